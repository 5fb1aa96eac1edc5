import type * as Crypto from 'node:crypto'
import {link, mkdir, readFile, readdir, rename, rm, unlink, writeFile} from 'node:fs/promises'
import {rmdirSync, unlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {ExitCode, KclError} from '../errors.ts'
import {kclHome} from '../home.ts'
import {interruptibleSleep} from '../interrupt.ts'
import {savedSpecProblem, validateClusterName, type ClusterSpec} from './spec.ts'

export function clusterDir(name: string, env?: NodeJS.ProcessEnv): string {
  return join(kclHome(env), 'clusters', validateClusterName(name))
}

export function composeFilePath(name: string, env?: NodeJS.ProcessEnv): string {
  return join(clusterDir(name, env), 'compose.yaml')
}

/**
 * cluster.json is the spec of the cluster as it last came up. cluster.next.json is the spec a `kcl up` is starting,
 * written before compose runs and made cluster.json once the cluster is up; one left behind (kcl killed) tells the
 * next `kcl up` what the containers it finds were made from.
 */
const SPEC_FILES = {saved: 'cluster.json', pending: 'cluster.next.json'} as const
type SpecKind = keyof typeof SPEC_FILES

export function specFilePath(name: string, env?: NodeJS.ProcessEnv, kind: SpecKind = 'saved'): string {
  return join(clusterDir(name, env), SPEC_FILES[kind])
}

/** The cluster's saved spec, checked field by field: a broken or hand-edited file is refused with one line, never trusted. */
export async function readSpec(name: string, env?: NodeJS.ProcessEnv, kind: SpecKind = 'saved'): Promise<ClusterSpec | undefined> {
  const file = specFilePath(name, env, kind)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const hint = `Fix it, or delete it: the next \`kcl up --name ${name}\` adopts the cluster's data from its Docker volumes.`
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new KclError(`${file} is not valid JSON.`, {hint, exitCode: ExitCode.usage})
  }
  const problem = savedSpecProblem(value, name)
  if (problem) throw new KclError(`${file}: ${problem}.`, {hint, exitCode: ExitCode.usage})
  return value as ClusterSpec
}

/** 8 random hex digits, for temporary file names. node:crypto loads only here: loading it costs a command that only
 * reads a saved cluster (every Kafka command) ~4 ms. */
function randomSuffix(): string {
  return (process.getBuiltinModule('node:crypto') as typeof Crypto).randomBytes(4).toString('hex')
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename over it. */
export async function writeFileAtomic(file: string, content: string, mode = 0o644): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomSuffix()}.tmp`
  try {
    await writeFile(temporary, content, {mode})
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, {force: true})
    throw error
  }
}

/** Writes the compose file `kcl up` is about to run; the spec is saved only once the cluster is up (saveSpec). */
export async function writeComposeFile(name: string, composeYaml: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const dir = clusterDir(name, env)
  await mkdir(dir, {recursive: true})
  const composeFile = join(dir, 'compose.yaml')
  await writeFileAtomic(composeFile, composeYaml)
  return composeFile
}

export async function saveSpec(spec: ClusterSpec, env?: NodeJS.ProcessEnv, kind: SpecKind = 'saved'): Promise<void> {
  await mkdir(clusterDir(spec.name, env), {recursive: true})
  await writeFileAtomic(specFilePath(spec.name, env, kind), JSON.stringify(spec, null, 2) + '\n')
  if (kind === 'saved') await rm(specFilePath(spec.name, env, 'pending'), {force: true})
}

export async function forgetPendingSpec(name: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await rm(specFilePath(name, env, 'pending'), {force: true})
}

export async function saveCluster(spec: ClusterSpec, composeYaml: string, env?: NodeJS.ProcessEnv): Promise<string> {
  await saveSpec(spec, env)
  return writeComposeFile(spec.name, composeYaml, env)
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

interface LockOwner {
  pid: number
  command: string
  since: string
}

const LOCK_POLL_MS = 200
export const LOCK_WAIT_MS = 5000

function lockFilePath(name: string, env?: NodeJS.ProcessEnv): string {
  // Beside the clusters' directories, not in one: a failed first `up` removes its cluster's directory.
  return join(kclHome(env), 'locks', `${validateClusterName(name)}.lock`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is another user's (e.g. a `sudo kcl up`).
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner
    return Number.isInteger(owner.pid) ? owner : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs `work` holding the cluster's lock, so two kcl commands that change one cluster never interleave. The lock is
 * a file made whole by a hard link (so it is never seen half-written) naming its process; one whose process is gone
 * (kill -9, a crash) is taken over. When a live process holds it, waits up to `waitMs`, then refuses with one line.
 */
export async function withClusterLock<T>(name: string, command: string, work: () => Promise<T>, options: {waitMs?: number; env?: NodeJS.ProcessEnv} = {}): Promise<T> {
  const file = lockFilePath(name, options.env)
  const dir = dirname(file)
  const mine: LockOwner = {pid: process.pid, command, since: new Date().toISOString()}
  const temporary = `${file}.${process.pid}.${randomSuffix()}`
  const deadline = Date.now() + (options.waitMs ?? LOCK_WAIT_MS)
  try {
    // Not src/poll.ts's loop: a lost race (the file appeared or vanished, a dead holder taken over) is tried again at
    // once; only a live holder is waited for.
    for (;;) {
      try {
        // Again on each try: a holder that leaves removes the directory when it is empty.
        await mkdir(dir, {recursive: true})
        await writeFile(temporary, JSON.stringify(mine) + '\n')
        await link(temporary, file)
        break
      } catch (error) {
        if (!['EEXIST', 'ENOENT'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      }
      const owner = await readOwner(file)
      if (!owner || !alive(owner.pid)) {
        await takeOverStale(file, owner)
        continue
      }
      if (Date.now() > deadline) {
        throw new KclError(`Another \`${owner.command}\` (process ${owner.pid}, since ${owner.since}) is changing cluster "${name}".`, {
          hint: `Wait for it to finish, then run this again. If no kcl is running, delete ${file}.`,
          exitCode: ExitCode.environment,
        })
      }
      await interruptibleSleep(LOCK_POLL_MS)
    }
  } finally {
    await unlink(temporary).catch(() => {})
  }
  // An exit in the middle (process.exit on a signal) still frees the lock.
  const release = () => {
    try {
      unlinkSync(file)
      // Nothing of the lock is left behind, not even its directory, unless another cluster's lock is in it.
      rmdirSync(dir)
    } catch {
      // already gone, or the directory holds other locks
    }
  }
  process.once('exit', release)
  try {
    return await work()
  } finally {
    process.removeListener('exit', release)
    release()
  }
}

/** Removes a lock whose process is gone, unless another process replaced it meanwhile (then it is put back). */
async function takeOverStale(file: string, seen: LockOwner | undefined): Promise<void> {
  const aside = `${file}.stale.${process.pid}`
  try {
    await rename(file, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = await readOwner(aside)
  if (moved && alive(moved.pid) && moved.pid !== seen?.pid) await link(aside, file).catch(() => {})
  await unlink(aside).catch(() => {})
}
