import {runProcess} from './process.ts'
import {usageError} from '../errors.ts'
import {composeMissingError} from './errors.ts'
import {containerEngine} from './engine.ts'
import {docker, runDockerProgram, type RunOptions} from './run.ts'

/** docker compose v2 reads the Compose Specification; docker-compose v1 (1.29) needs a `version` and rejects `name`. */
export type ComposeVariant = 'v2' | 'v1'

export interface ComposeTool {
  variant: ComposeVariant
  version: string
  /** The program and leading arguments: ["docker", "compose"], ["docker-compose"], ["podman", "compose"] or ["podman-compose"]. */
  command: [string, ...string[]]
}

/** Versions asked once per process: `kcl up` wants compose's for its plan and again in its pre-flight checks. */
const versions = new Map<string, Promise<string | undefined>>()

function versionOf(file: string, args: string[]): Promise<string | undefined> {
  const key = [file, ...args].join(' ')
  let version = versions.get(key)
  if (!version) {
    version = runProcess(file, args, {reject: false, timeout: 15_000}).then((result) =>
      result.failed ? undefined : (/v?(\d+\.\d+\.\d+[\w.+-]*)/.exec(result.stdout)?.[1] ?? result.stdout.trim()),
    )
    versions.set(key, version)
  }
  return version
}

export async function composeV2Version(): Promise<string | undefined> {
  return versionOf('docker', ['compose', 'version', '--short'])
}

export async function composeV1Version(): Promise<string | undefined> {
  return versionOf('docker-compose', ['version', '--short'])
}

/** podman-compose prints its version among podman's: `podman-composer version  1.0.3`. */
async function podmanComposeVersion(): Promise<string | undefined> {
  const result = await runProcess('podman-compose', ['version'], {reject: false, timeout: 15_000})
  return result.failed ? undefined : /podman-compose\S* version\s+v?(\d+\.\d+\.\d+\S*)/.exec(result.stdout)?.[1]
}

/**
 * The compose program to use. With Docker: the `docker compose` v2 plugin when it is there, else `docker-compose` v1;
 * KCL_COMPOSE=v1 or v2 insists on one (tests use it to run every flow with both). With Podman: `podman compose`
 * (Podman 4.7 and later, which runs a compose provider), else `podman-compose`.
 */
export async function detectCompose(env: NodeJS.ProcessEnv = process.env): Promise<ComposeTool> {
  if (containerEngine(env) === 'podman') return detectPodmanCompose()
  const wanted = env.KCL_COMPOSE
  if (wanted !== undefined && wanted !== 'v1' && wanted !== 'v2') {
    throw usageError(`KCL_COMPOSE must be v1 or v2, not "${wanted}".`)
  }
  if (wanted !== 'v1') {
    const version = await composeV2Version()
    if (version) return {variant: 'v2', version, command: ['docker', 'compose']}
  }
  if (wanted !== 'v2') {
    const version = await composeV1Version()
    if (version) return {variant: 'v1', version, command: ['docker-compose']}
  }
  // `docker info` first: a stopped daemon or a missing docker is the likelier cause, and deserves its own message.
  await docker(['info', '--format', '{{.ServerVersion}}'], {timeoutMs: 15_000})
  throw composeMissingError('docker')
}

async function detectPodmanCompose(): Promise<ComposeTool> {
  const builtIn = await versionOf('podman', ['compose', 'version'])
  if (builtIn) return {variant: 'v2', version: builtIn, command: ['podman', 'compose']}
  const version = await podmanComposeVersion()
  if (version) return {variant: 'v2', version, command: ['podman-compose']}
  await docker(['info', '--format', '{{.Host.Arch}}'], {timeoutMs: 15_000})
  throw composeMissingError('podman')
}

/** How long a compose call may take unless its caller says: up and down start or stop every broker of a cluster. */
export const COMPOSE_TIMEOUT_MS = 180_000

/** Runs compose for one kcl cluster: its project name and compose file, then the given arguments. */
export function runCompose(tool: ComposeTool, project: {name: string; file: string}, args: string[], options: RunOptions = {}): Promise<string> {
  const [file, ...lead] = tool.command
  return runDockerProgram(file, [...lead, '--project-name', project.name, '--file', project.file, ...args], {
    what: `${tool.command.join(' ')} ${args[0] ?? ''}`.trim(),
    ...options,
    timeoutMs: options.timeoutMs ?? COMPOSE_TIMEOUT_MS,
  })
}
