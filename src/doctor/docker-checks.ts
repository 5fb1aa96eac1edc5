import {runProcess} from '../docker/process.ts'
import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import {classifyDockerFailure, DockerFailureError} from '../docker/errors.ts'
import {installDocker, restartDaemon, socketPermission, startDaemon} from './fixes.ts'
import {fail, ok, type CheckBase, type CheckResult} from './types.ts'

/** The parts of `docker info` the checks use. */
export interface DockerInfo {
  ServerVersion: string
  MemTotal: number
  NCPU: number
  Architecture: string
  OSType: string
  OperatingSystem: string
  DockerRootDir: string
  Name: string
}

export interface DaemonProbe {
  /** `docker --version`, when the docker program ran. */
  clientVersion?: string
  /** Where the docker CLI connects (DOCKER_HOST, else the current context's endpoint). */
  endpoint?: string
  context?: string
  info?: DockerInfo
  failure?: {kind: DockerFailureError['kind'] | 'timeout' | 'other'; message: string}
}

const DOCKER_TIMEOUT_MS = 10_000

async function runDocker(args: string[], timeout = DOCKER_TIMEOUT_MS) {
  return runProcess('docker', args, {reject: false, timeout, env: {DOCKER_CLI_HINTS: 'false'}})
}

/** Runs the docker program three ways at once: its version, its context, and `docker info` against the daemon. */
export async function probeDaemon(env: NodeJS.ProcessEnv = process.env): Promise<DaemonProbe> {
  const [version, context, info] = await Promise.all([
    runDocker(['--version']),
    runDocker(['context', 'inspect', '--format', '{{.Name}} {{.Endpoints.docker.Host}}']),
    runDocker(['info', '--format', '{{json .}}']),
  ])
  const probe: DaemonProbe = {}
  if (!version.failed) probe.clientVersion = /version ([^\s,]+)/.exec(version.stdout)?.[1] ?? version.stdout.trim()
  if (!context.failed) {
    const [name, host] = context.stdout.trim().split(' ')
    probe.context = env.DOCKER_HOST ? undefined : name
    probe.endpoint = env.DOCKER_HOST || host
  } else if (env.DOCKER_HOST) {
    probe.endpoint = env.DOCKER_HOST
  }
  if (!info.failed) {
    probe.info = JSON.parse(info.stdout) as DockerInfo
    return probe
  }
  if (info.timedOut) {
    probe.failure = {kind: 'timeout', message: `Docker does not answer within ${DOCKER_TIMEOUT_MS / 1000} s.`}
    return probe
  }
  const spawnErrorCode = (info.cause as NodeJS.ErrnoException | undefined)?.code
  const stderr = String(info.stderr ?? '')
  const known = classifyDockerFailure({command: 'docker', spawnErrorCode, stderr})
  const lastLine = stderr.trim().split('\n').filter(Boolean).at(-1) ?? info.shortMessage
  probe.failure =
    known instanceof DockerFailureError
      ? {kind: known.kind, message: known.message}
      : {kind: 'other', message: `docker info failed: ${lastLine}`}
  // `docker info` may print server errors in its JSON yet exit 0 on some versions; that case is handled above by `failed`.
  return probe
}

const binary: CheckBase = {group: 'Docker', id: 'docker.binary', title: 'docker command'}
const daemon: CheckBase = {group: 'Docker', id: 'docker.daemon', title: 'Docker daemon'}
const socket: CheckBase = {group: 'Docker', id: 'docker.socket', title: 'Docker socket'}

export function dockerBinaryCheck(probe: DaemonProbe): CheckResult {
  if (probe.clientVersion === undefined || probe.failure?.kind === 'docker-missing') {
    return fail(binary, 'There is no `docker` command on your PATH.', {fix: installDocker})
  }
  return ok(binary, `Docker CLI ${probe.clientVersion}`)
}

function where(probe: DaemonProbe): string {
  const at = probe.endpoint ? ` at ${probe.endpoint}` : ''
  return probe.context ? `${at} (context ${probe.context})` : at
}

export function daemonCheck(probe: DaemonProbe): CheckResult | undefined {
  if (probe.clientVersion === undefined) return undefined
  const {info, failure} = probe
  if (info) {
    const details = [`Engine ${info.ServerVersion}, ${info.OperatingSystem} (${info.OSType}/${info.Architecture}), ${info.NCPU} CPUs`, `Data root ${info.DockerRootDir}`]
    return ok(daemon, `Engine ${info.ServerVersion}${where(probe)}`, details)
  }
  switch (failure?.kind) {
    case 'socket-permission':
      return fail(daemon, `Docker refused the connection${where(probe)}: your user may not use its socket (see below).`)
    case 'daemon-down':
      return fail(daemon, `The Docker daemon is not running: nothing answers${where(probe)}.`, {fix: startDaemon(probe.endpoint)})
    case 'timeout':
      return fail(daemon, `${failure.message} The engine${where(probe)} takes the connection but does not reply: it is stuck, paused (a frozen VM, a stopped process) or overloaded; every kcl command that needs Docker fails until it answers.`, {
        fix: [{text: 'If it is just starting, wait a moment and run kcl doctor again.'}, ...restartDaemon(probe.endpoint)],
      })
    default:
      return fail(daemon, failure?.message ?? 'Docker did not answer.', {fix: startDaemon(probe.endpoint)})
  }
}

export function unixSocketPath(endpoint: string | undefined): string | undefined {
  return endpoint?.startsWith('unix://') ? endpoint.slice('unix://'.length) : undefined
}

/**
 * Whether this user may use the daemon's socket: a refused connection says so for sure; before that, the
 * socket file's mode tells even when the daemon is down.
 */
export async function socketCheck(probe: DaemonProbe): Promise<CheckResult | undefined> {
  if (probe.clientVersion === undefined) return undefined
  const path = unixSocketPath(probe.endpoint) ?? '/var/run/docker.sock'
  if (probe.failure?.kind === 'socket-permission') {
    return fail(socket, `Permission denied on ${path}: your user may not talk to Docker.`, {fix: socketPermission(path), details: await socketOwner(path)})
  }
  if (probe.info) {
    return ok(socket, unixSocketPath(probe.endpoint) ? `your user may use ${path}` : `connected through ${probe.endpoint ?? 'the default endpoint'}`)
  }
  if (!unixSocketPath(probe.endpoint)) return undefined
  try {
    await access(path, constants.R_OK | constants.W_OK)
    return ok(socket, `your user may use ${path}`)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EACCES') return fail(socket, `Permission denied on ${path}: your user may not talk to Docker.`, {fix: socketPermission(path), details: await socketOwner(path)})
    return undefined // no socket: the daemon check already says it is not running
  }
}

async function socketOwner(path: string): Promise<string[]> {
  try {
    const info = await stat(path)
    return [`${path}: mode ${(info.mode & 0o777).toString(8)}, owner uid ${info.uid}, group gid ${info.gid}; you are uid ${process.getuid?.()} in groups ${process.getgroups?.().join(',')}`]
  } catch {
    return []
  }
}
