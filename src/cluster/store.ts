import {mkdir, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {KclError} from '../errors.ts'
import {kclHome} from '../home.ts'
import {validateClusterName, type ClusterSpec} from './spec.ts'

export function clusterDir(name: string, env?: NodeJS.ProcessEnv): string {
  return join(kclHome(env), 'clusters', validateClusterName(name))
}

export function composeFilePath(name: string, env?: NodeJS.ProcessEnv): string {
  return join(clusterDir(name, env), 'compose.yaml')
}

const SPEC_FILE = 'cluster.json'

export async function readSpec(name: string, env?: NodeJS.ProcessEnv): Promise<ClusterSpec | undefined> {
  const file = join(clusterDir(name, env), SPEC_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return JSON.parse(text) as ClusterSpec
  } catch {
    throw new KclError(`${file} is not valid JSON.`, {hint: `Fix or delete it; kcl writes it again on \`kcl up --name ${name}\`.`})
  }
}

export async function saveCluster(spec: ClusterSpec, composeYaml: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const dir = clusterDir(spec.name, env)
  await mkdir(dir, {recursive: true})
  await writeFile(join(dir, SPEC_FILE), JSON.stringify(spec, null, 2) + '\n')
  const composeFile = join(dir, 'compose.yaml')
  await writeFile(composeFile, composeYaml)
  return composeFile
}

export async function forgetCluster(name: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await rm(clusterDir(name, env), {recursive: true, force: true})
}

export async function savedClusterNames(env?: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    return (await readdir(join(kclHome(env), 'clusters'))).sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}
