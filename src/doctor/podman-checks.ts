// Doctor's checks when kcl drives Podman (KCL_ENGINE=podman, or no docker CLI): the podman program and its service,
// a compose provider, and what rootless Podman and a confined root cannot do that Kafka containers need.
import {readFile, readdir} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import {join} from 'node:path'
import {detectCompose} from '../docker/compose.ts'
import {runProcess} from '../docker/process.ts'
import {fail, ok, warn, type CheckBase, type CheckResult, type FixStep} from './types.ts'

/** The parts of `podman info --format json` the checks use. */
export interface PodmanInfo {
  host: {security: {rootless: boolean}; cgroupVersion: string; ociRuntime: {name: string}}
  version: {Version: string}
}

export interface PodmanProbe {
  /** `podman --version`, when the podman program ran. */
  clientVersion?: string
  info?: PodmanInfo
  /** Why `podman info` failed: its last error line. */
  failure?: string
  /** The compose program kcl would run, e.g. "podman-compose 1.0.3", or undefined when there is none. */
  compose?: string
  /** The lowest port an unprivileged user may publish (net.ipv4.ip_unprivileged_port_start). */
  unprivilegedPortStart?: number
  /** Whether /etc/subuid gives the user a range, for rootless Podman (undefined: could not tell). */
  subordinateIds?: boolean
  /** Whether this process may raise resource limits (CAP_SYS_RESOURCE), as rootful Podman does for every container. */
  mayRaiseLimits: boolean
  /** Whether containers.conf sets default_ulimits for open files and processes. */
  ulimitsConfigured: boolean
}

const binary: CheckBase = {group: 'Podman', id: 'podman.binary', title: 'podman command'}
const service: CheckBase = {group: 'Podman', id: 'podman.service', title: 'Podman'}
const compose: CheckBase = {group: 'Podman', id: 'podman.compose', title: 'Compose provider'}
const ports: CheckBase = {group: 'Podman', id: 'podman.rootless-ports', title: 'Rootless ports'}
const ids: CheckBase = {group: 'Podman', id: 'podman.rootless-ids', title: 'Subordinate user ids'}
const limits: CheckBase = {group: 'Podman', id: 'podman.limits', title: 'Container resource limits'}

const CAP_SYS_RESOURCE = 24
const ULIMITS_FIX: FixStep[] = [
  {os: 'linux', text: 'Add under [containers] in /etc/containers/containers.conf (rootless: ~/.config/containers/containers.conf): default_ulimits = ["nofile=16384:16384", "nproc=8192:8192"]'},
]

export async function probePodman(env: NodeJS.ProcessEnv = process.env): Promise<PodmanProbe> {
  const [version, info, composeTool, portStart, status, ulimits] = await Promise.all([
    runProcess('podman', ['--version'], {reject: false, timeout: 10_000}),
    runProcess('podman', ['info', '--format', 'json'], {reject: false, timeout: 20_000}),
    detectCompose(env).catch(() => undefined),
    readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => undefined),
    readFile('/proc/self/status', 'utf8').catch(() => ''),
    ulimitsInContainersConf(env),
  ])
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1]
  const probe: PodmanProbe = {
    mayRaiseLimits: capEff === undefined || (BigInt(`0x${capEff}`) & (1n << BigInt(CAP_SYS_RESOURCE))) !== 0n,
    ulimitsConfigured: ulimits,
    compose: composeTool && `${composeTool.command.join(' ')} ${composeTool.version}`,
    unprivilegedPortStart: portStart === undefined ? undefined : Number(portStart.trim()),
  }
  if (!version.failed) probe.clientVersion = /version (\S+)/.exec(version.stdout)?.[1] ?? version.stdout.trim()
  if (!info.failed) probe.info = JSON.parse(info.stdout) as PodmanInfo
  else if (probe.clientVersion) probe.failure = String(info.stderr).trim().split('\n').filter(Boolean).at(-1) ?? info.shortMessage
  if (probe.info?.host.security.rootless) probe.subordinateIds = await hasSubordinateIds(userInfo().username)
  return probe
}

async function hasSubordinateIds(user: string): Promise<boolean | undefined> {
  const text = await readFile('/etc/subuid', 'utf8').catch(() => undefined)
  return text === undefined ? undefined : text.split('\n').some((line) => line.split(':')[0] === user || line.split(':')[0] === String(process.getuid?.()))
}

/** Whether any containers.conf Podman reads sets default_ulimits with nofile and nproc. */
async function ulimitsInContainersConf(env: NodeJS.ProcessEnv): Promise<boolean> {
  const dropIns = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.conf')).map((f) => join(dir, f))
  const userDir = join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'containers')
  const files = [
    '/usr/share/containers/containers.conf',
    '/etc/containers/containers.conf',
    ...(await dropIns('/etc/containers/containers.conf.d')),
    join(userDir, 'containers.conf'),
    ...(await dropIns(join(userDir, 'containers.conf.d'))),
    ...(env.CONTAINERS_CONF ? [env.CONTAINERS_CONF] : []),
  ]
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')))
  return texts.some((text) => /^\s*default_ulimits\s*=\s*\[[^\]]*nofile[^\]]*nproc|^\s*default_ulimits\s*=\s*\[[^\]]*nproc[^\]]*nofile/ms.test(text))
}

/** The Podman checks, from a probe and the lowest host port the clusters in focus publish. */
export function podmanChecks(probe: PodmanProbe, lowestPort: number): CheckResult[] {
  if (probe.clientVersion === undefined) {
    return [
      fail(binary, 'There is no `podman` command on your PATH (KCL_ENGINE=podman, or no docker CLI was found).', {
        fix: [{os: 'linux', text: 'sudo apt-get install podman podman-compose (Debian/Ubuntu), or sudo dnf install podman podman-compose (Fedora)'}, {text: 'Or unset KCL_ENGINE to use Docker.'}],
      }),
    ]
  }
  const results = [ok(binary, `podman ${probe.clientVersion}`)]
  const info = probe.info
  if (!info) {
    results.push(fail(service, `podman info failed: ${probe.failure ?? 'no answer'}`, {fix: [{text: 'Run podman info to see why; rootless Podman may need podman system migrate after a change of user ids.'}]}))
  } else {
    const mode = info.host.security.rootless ? 'rootless' : 'rootful'
    results.push(ok(service, `Podman ${info.version.Version}, ${mode}, cgroup ${info.host.cgroupVersion}, runtime ${info.host.ociRuntime.name}`))
  }
  results.push(
    probe.compose
      ? ok(compose, probe.compose)
      : fail(compose, 'Neither `podman compose` nor `podman-compose` works: kcl runs its clusters through compose.', {
          fix: [{os: 'linux', text: 'sudo apt-get install podman-compose (Debian/Ubuntu), or pip install podman-compose; Podman 4.7+ then also runs it as `podman compose`.'}],
        }),
  )
  if (info?.host.security.rootless) {
    const start = probe.unprivilegedPortStart
    if (start !== undefined && lowestPort < start) {
      results.push(
        fail(ports, `Rootless Podman cannot publish port ${lowestPort}: ports below ${start} (net.ipv4.ip_unprivileged_port_start) need root.`, {
          fix: [{text: `Give the cluster ports from ${start} up: kcl up --port ${Math.max(start, 19092)}`}, {os: 'linux', text: `Or allow them: sudo sysctl net.ipv4.ip_unprivileged_port_start=${lowestPort}`}],
        }),
      )
    } else {
      results.push(ok(ports, `ports from ${start ?? 1024} up can be published; the cluster's start at ${lowestPort}`))
    }
    if (probe.subordinateIds === false) {
      results.push(
        fail(ids, 'Your user has no subordinate user ids in /etc/subuid: rootless Podman cannot run the Kafka image, which runs as uid 1000.', {
          fix: [{os: 'linux', text: 'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER, then podman system migrate'}],
        }),
      )
    } else if (probe.subordinateIds === true) {
      results.push(ok(ids, 'your user has a range in /etc/subuid'))
    }
  } else if (info && !probe.mayRaiseLimits && !probe.ulimitsConfigured) {
    results.push(
      warn(limits, 'Podman raises every container\'s open-files and process limits to 1048576, which needs CAP_SYS_RESOURCE; this root lacks it, so containers fail to start ("error setting rlimit … operation not permitted").', {
        fix: ULIMITS_FIX,
      }),
    )
  } else if (info && !info.host.security.rootless) {
    results.push(ok(limits, probe.ulimitsConfigured ? 'default_ulimits set in containers.conf' : 'Podman may set the containers\' limits'))
  }
  return results
}
