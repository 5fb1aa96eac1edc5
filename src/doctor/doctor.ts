import {statfs} from 'node:fs/promises'
import {cpus, freemem, hostname, networkInterfaces} from 'node:os'
import {DEFAULT_BASE_PORT, DEFAULT_CLUSTER_NAME, DEFAULT_HEAP, DEFAULT_IMAGE, hostPort, imageFromEnvironment, nodeIds, validateClusterName, validateSpecRequest, type ClusterSpec} from '../cluster/spec.ts'
import {composeFilePath, readSpec, savedClusterNames} from '../cluster/store.ts'
import {clusterContainers, containerLogTail, type ContainerInfo} from '../docker/containers.ts'
import {docker} from '../docker/run.ts'
import {brokersCheck, clusterIdOf, clusterIdsCheck, leftoversCheck, nameConflictCheck, type BrokerLogs} from './cluster-checks.ts'
import {containerEngine} from '../docker/engine.ts'
import {composeCheck, probeCompose} from './compose-checks.ts'
import {daemonCheck, dockerBinaryCheck, probeDaemon, socketCheck, unixSocketPath, type DaemonProbe} from './docker-checks.ts'
import {podmanChecks, probePodman, type PodmanProbe} from './podman-checks.ts'
import {imageInfo, listContainers, listNetworks, readContainerFile, volumesAt, type ContainerRow, type NetworkInfo} from '../docker/inventory.ts'
import {listenersCheck, partitionsCheck, quorumCheck, type RunningBroker} from './kafka-checks.ts'
import {clusterSecurity} from '../cluster/secrets.ts'
import {addressPoolCheck, hostNetworks, hostPortsCheck} from './network-checks.ts'
import {appleSveApplies, appleSveCheck, diskCheck, imageArchCheck, memoryCheck} from './resources-checks.ts'
import {CHECK_GROUPS, type CheckResult, type SkippedCheck} from './types.ts'

export interface DoctorOptions {
  /** Check this cluster only (and what `kcl up --name` would create); else every running kcl cluster, or the default one. */
  name?: string
  brokers?: number
  port?: number
  /** Run the slow extras too (docker-compose v1's version when v2 exists). */
  verbose?: boolean
}

export interface DoctorSummary {
  ok: number
  warn: number
  fail: number
  skipped: number
  fixable: number
}

export interface DoctorReport {
  ok: boolean
  summary: DoctorSummary
  /** The kcl clusters the cluster checks looked at. */
  clusters: string[]
  checks: CheckResult[]
  skipped: SkippedCheck[]
  durationMs: number
}

/** A cluster the doctor looks at: the spec kcl saved (or would create), and whether kcl knows it. */
export interface FocusCluster {
  spec: ClusterSpec
  saved: boolean
}

export async function focusSpec(name: string, options: DoctorOptions, rows: ContainerRow[] = [], env: NodeJS.ProcessEnv = process.env): Promise<FocusCluster> {
  const saved = await readSpec(name, env)
  const seen = saved ? undefined : shapeFromContainers(name, rows)
  const spec: ClusterSpec = {
    name,
    brokers: options.brokers ?? saved?.brokers ?? seen?.brokers ?? 1,
    basePort: options.port ?? saved?.basePort ?? seen?.basePort ?? DEFAULT_BASE_PORT,
    image: saved?.image ?? imageFromEnvironment(env) ?? DEFAULT_IMAGE,
    expose: saved?.expose ?? false,
    heap: saved?.heap ?? DEFAULT_HEAP,
    clusterId: saved?.clusterId ?? '',
    security: saved?.security,
  }
  return {spec, saved: saved !== undefined}
}

/** A cluster kcl has no files for (another KCL_HOME, or deleted ones): its size and ports as its containers show. */
export function shapeFromContainers(name: string, rows: ContainerRow[]): {brokers: number; basePort?: number} | undefined {
  const nodes = rows
    .filter((row) => row.cluster === name)
    .map((row) => ({nodeId: Number(/^kafka-(\d+)$/.exec(row.service ?? '')?.[1]), port: row.brokerHostPort}))
    .filter((node) => Number.isInteger(node.nodeId) && node.nodeId > 0)
  if (nodes.length === 0) return undefined
  const published = nodes.find((node) => node.port !== undefined)
  return {brokers: Math.max(...nodes.map((node) => node.nodeId)), basePort: published ? (published.port as number) - published.nodeId + 1 : undefined}
}

/**
 * The clusters to check: --name, else every cluster that runs or that kcl knows and has containers of (all of them
 * stopped after a reboot), else the only one kcl knows, else "local".
 */
export function focusNames(options: DoctorOptions, rows: ContainerRow[] | undefined, saved: string[]): string[] {
  if (options.name !== undefined) return [options.name]
  const withContainers = (rows ?? []).filter((row) => row.cluster !== undefined && (row.state === 'running' || saved.includes(row.cluster)))
  const names = [...new Set(withContainers.map((row) => row.cluster as string))].sort()
  if (names.length > 0) return names
  return saved.length === 1 ? saved : [DEFAULT_CLUSTER_NAME]
}

/** Runs checks concurrently but reports them in a fixed order. */
class Results {
  readonly checks: CheckResult[] = []
  readonly skipped: SkippedCheck[] = []
  private readonly pending: Promise<void>[] = []

  add(result: CheckResult | undefined): void {
    if (result) this.checks.push(result)
  }
  later(work: () => Promise<CheckResult | CheckResult[] | undefined>): void {
    this.pending.push(
      work().then((result) => {
        for (const item of [result ?? []].flat()) this.add(item)
      }),
    )
  }
  async settled(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0))
  }
}

const CHECK_ORDER = [
  'docker.binary', 'docker.daemon', 'docker.socket', 'compose',
  'resources.memory', 'resources.disk', 'resources.image-arch', 'resources.apple-sve',
  'network.ports', 'network.listeners', 'network.address-pools',
  'cluster.name-conflicts', 'cluster.leftovers', 'cluster.brokers', 'cluster.quorum', 'cluster.partitions', 'cluster.ids',
]

function sortChecks<T extends {group: string; id: string; cluster?: string}>(items: T[], clusters: string[]): T[] {
  const rank = (item: T) => [CHECK_GROUPS.indexOf(item.group as (typeof CHECK_GROUPS)[number]), clusters.indexOf(item.cluster ?? ''), CHECK_ORDER.indexOf(item.id)]
  return items.sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)]
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number)
    return 0
  })
}

function isLocalEngine(probe: DaemonProbe): boolean {
  const info = probe.info
  return process.platform === 'linux' && info !== undefined && !/Docker Desktop/i.test(info.OperatingSystem) && info.Name === hostname() && unixSocketPath(probe.endpoint) !== undefined
}

/** What the doctor learns as it goes: the engine, the clusters it looks at, and the checks so far. */
interface Survey {
  options: DoctorOptions
  env: NodeJS.ProcessEnv
  results: Results
  podman: PodmanProbe | undefined
  probe: DaemonProbe
  daemonUp: boolean
  /** Every container on the engine; undefined when the engine cannot be asked. */
  rows: ContainerRow[] | undefined
  /** The clusters kcl has saved. */
  saved: string[]
  focus: FocusCluster[]
  networks: Promise<NetworkInfo[]>
  containersByCluster: Map<string, Promise<ContainerInfo[]>>
}

export async function runDoctor(options: DoctorOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const started = performance.now()
  if (options.name !== undefined) validateClusterName(options.name)
  validateSpecRequest({brokers: options.brokers, basePort: options.port})
  const results = new Results()
  const {composeDone, ...engine} = await engineChecks(options, env, results)
  const survey = await surveyClusters({options, env, results, ...engine})
  if (!survey.daemonUp) skipWithoutEngine(survey)
  checkEachCluster(survey)
  if (survey.daemonUp && survey.probe.info) checkMachine(survey, survey.probe.info)
  checkCpu(survey)
  await composeDone
  await results.settled()
  return reportOf(results, survey.focus.map((f) => f.spec.name), started)
}

/** Docker's binary, daemon, socket and compose, or with Podman (src/docker/engine.ts) its own checks instead. */
async function engineChecks(options: DoctorOptions, env: NodeJS.ProcessEnv, results: Results) {
  const podman = containerEngine(env) === 'podman' ? await probePodman(env) : undefined
  const composeDone = podman ? Promise.resolve() : probeCompose({all: options.verbose ?? false}, env).then((versions) => results.add(composeCheck(versions, env)))
  const probe: DaemonProbe = podman ? {} : await probeDaemon(env)
  if (!podman) {
    results.add(dockerBinaryCheck(probe))
    results.add(daemonCheck(probe))
    results.later(() => socketCheck(probe))
  }
  const daemonUp = podman ? podman.info !== undefined : probe.info !== undefined
  return {podman, probe, daemonUp, composeDone}
}

/** The engine's containers and networks, and the clusters to check with what kcl knows of each. */
async function surveyClusters(engine: Pick<Survey, 'options' | 'env' | 'results' | 'podman' | 'probe' | 'daemonUp'>): Promise<Survey> {
  const {options, env, results, podman, daemonUp} = engine
  const rows = daemonUp ? await listContainers().catch(() => undefined) : undefined
  const saved = await savedClusterNames(env)
  const names = focusNames(options, rows, saved)
  const focus = await Promise.all(names.map((name) => focusSpec(name, options, rows, env)))
  if (podman) for (const check of podmanChecks(podman, Math.min(...focus.map((f) => f.spec.basePort)))) results.add(check)
  const networks = daemonUp ? listNetworks().catch(() => [] as NetworkInfo[]) : Promise.resolve([] as NetworkInfo[])
  const containersByCluster = new Map<string, Promise<ContainerInfo[]>>(
    focus.map(({spec}) => [spec.name, daemonUp ? clusterContainers(spec.name).catch(() => []) : Promise.resolve([])]),
  )
  return {...engine, rows, saved, focus, networks, containersByCluster}
}

/** Without an engine to ask, the checks that need one are listed as skipped, with why. */
function skipWithoutEngine({podman, focus, results}: Survey): void {
  const reason = podman ? 'needs Podman' : 'needs the Docker daemon'
  for (const [group, id, title] of [
    ['Resources', 'resources.memory', 'Memory'], ['Resources', 'resources.disk', 'Disk'], ['Resources', 'resources.image-arch', 'Image architecture'],
    ['Network', 'network.address-pools', 'Docker address pools'], ['Cluster', 'cluster.leftovers', 'Leftovers'],
  ] as const) results.skipped.push({group, id, title, reason})
  for (const {spec} of focus) {
    for (const [group, id, title] of [['Cluster', 'cluster.name-conflicts', 'Container names'], ['Cluster', 'cluster.brokers', 'Brokers']] as const) {
      results.skipped.push({group, id, title, reason, cluster: spec.name})
    }
  }
}

/** Per cluster: its host ports and, with an engine, its container names, containers and Kafka. */
function checkEachCluster({focus, rows, networks, containersByCluster, daemonUp, results, env}: Survey): void {
  for (const {spec, saved} of focus) {
    results.later(() => hostPortsCheck(spec, rows ?? [], containersByCluster.get(spec.name) as Promise<ContainerInfo[]>))
    if (!daemonUp) continue
    results.later(async () => nameConflictCheck(spec, rows ?? [], await networks))
    results.later(() => clusterChecks(spec, saved, containersByCluster.get(spec.name) as Promise<ContainerInfo[]>, env))
  }
}

/** What the engine's machine offers all clusters: leftovers, address pools, images, memory and disk. */
function checkMachine(survey: Survey, info: NonNullable<DaemonProbe['info']>): void {
  const {options, focus, rows, networks, containersByCluster, results} = survey
  const local = isLocalEngine(survey.probe)
  const scope = options.name === undefined ? () => true : (cluster: string) => cluster === options.name
  // Clusters kcl knows are never leftovers: their stopped brokers are started (when checked), not removed.
  const keep = new Set(survey.saved)
  results.later(async () => leftoversCheck({containers: rows ?? [], networks: await networks, inScope: scope, keep}))
  results.later(async () => addressPoolCheck(await networks, hostNetworks(networkInterfaces(), new Set((await networks).flatMap((n) => n.gateways)))))
  const images = [...new Set(focus.map((f) => f.spec.image))]
  const imagesPresent = Promise.all(images.map(async (image) => ({image, info: await imageInfo(image)})))
  results.later(async () => (await imagesPresent).map(({image, info: imageDetails}) => imageArchCheck({image, daemonArch: info.Architecture, info: imageDetails})))
  results.later(async () => {
    const containers = (await Promise.all(containersByCluster.values())).flat()
    const running = new Set(containers.filter((c) => c.state === 'running').map((c) => `${c.cluster}/${c.nodeId}`))
    const brokers = focus.reduce((sum, f) => sum + f.spec.brokers, 0)
    const toStart = focus.reduce((sum, f) => sum + nodeIds(f.spec).filter((id) => !running.has(`${f.spec.name}/${id}`)).length, 0)
    return memoryCheck({totalBytes: info.MemTotal, freeBytes: local ? freemem() : undefined, brokers, heap: focus[0]?.spec.heap ?? DEFAULT_HEAP, brokersToStart: toStart})
  })
  results.later(async () => {
    const space = local ? await statfs(info.DockerRootDir).catch(() => undefined) : undefined
    const present = (await imagesPresent).every((image) => image.info !== undefined)
    const brokers = focus.reduce((sum, f) => sum + f.spec.brokers, 0)
    return diskCheck({freeBytes: space && space.bavail * space.bsize, totalBytes: space && space.blocks * space.bsize, root: info.DockerRootDir, brokers, imagePresent: present})
  })
}

/** Apple silicon's SVE, which crashes the JVM of some images. */
function checkCpu({focus, results, env}: Survey): void {
  const cpuModel = cpus()[0]?.model
  const names = focus.map((f) => f.spec.name)
  if (appleSveApplies(process.platform, process.arch, cpuModel)) results.add(appleSveCheck(cpuModel as string, names.length === 1 ? composeFilePath(names[0] as string, env) : undefined))
}

function reportOf(results: Results, names: string[], started: number): DoctorReport {
  const checks = sortChecks(results.checks, names)
  const summary: DoctorSummary = {
    ok: checks.filter((c) => c.status === 'ok').length,
    warn: checks.filter((c) => c.status === 'warn').length,
    fail: checks.filter((c) => c.status === 'fail').length,
    skipped: results.skipped.length,
    fixable: checks.filter((c) => c.fixable).length,
  }
  return {ok: summary.fail === 0, summary, clusters: names, checks, skipped: sortChecks(results.skipped, names), durationMs: Math.round(performance.now() - started)}
}

/** The checks of one kcl cluster's containers and, when brokers run, of Kafka itself. */
async function clusterChecks(spec: ClusterSpec, saved: boolean, containersPromise: Promise<ContainerInfo[]>, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const containers = await containersPromise
  // A cluster kcl has no files for and nothing running of is a leftover (see that check), not brokers to start.
  const leftover = !saved && !containers.some((c) => c.state === 'running')
  const brokers = leftover ? [] : containers.filter((c) => c.nodeId !== undefined)
  const troubled = brokers.filter((c) => c.state !== 'running' || c.health === 'unhealthy')
  const logs: BrokerLogs = Object.fromEntries(await Promise.all(troubled.map(async (c) => [c.name, await containerLogTail(c.id, 15)] as const)))
  const results: CheckResult[] = [brokersCheck({name: spec.name, spec: saved ? spec : undefined, containers: brokers, logs, composeFile: saved ? composeFilePath(spec.name, env) : undefined})]
  if (brokers.length === 0) return results

  const idsCheck = clusterIdsOfVolumes(spec, saved, brokers)
  // Kafka is asked only through brokers that passed their healthcheck: one still starting has nothing to say yet.
  const serving = brokers.filter((c) => c.state === 'running' && (c.health === undefined || c.health === 'healthy'))
  if (serving.length > 0) {
    const addresses = await brokerAddresses(serving, spec, saved)
    // A cluster kcl has files for is asked the way its clients ask it: through its secured listener.
    const security = saved ? await clusterSecurity(spec) : {}
    const [listeners, quorum] = await Promise.all([listenersCheck(spec.name, addresses, security), quorumCheck(spec.name, addresses, security)])
    const live = listeners.metadata ? new Set(listeners.metadata.brokers.map((b) => b.nodeId)) : undefined
    results.push(listeners.result, quorum, await partitionsCheck(spec.name, addresses, live, security))
  }
  results.push(await idsCheck)
  return results
}

/** Where each running broker listens on this machine: its published port 9092 (the saved spec's port when kcl knows it). */
async function brokerAddresses(running: ContainerInfo[], spec: ClusterSpec, saved: boolean): Promise<RunningBroker[]> {
  return Promise.all(
    running.map(async (container) => {
      const nodeId = container.nodeId as number
      if (saved) return {nodeId, address: {host: 'localhost', port: hostPort(spec, nodeId)}}
      const published = await docker(['port', container.id, '9092/tcp']).catch(() => '')
      const port = Number(/:(\d+)\s*$/m.exec(published)?.[1] ?? hostPort(spec, nodeId))
      return {nodeId, address: {host: 'localhost', port}}
    }),
  )
}

async function clusterIdsOfVolumes(spec: ClusterSpec, saved: boolean, brokers: ContainerInfo[]): Promise<CheckResult> {
  const dataDir = '/var/lib/kafka/data'
  const volumes = await volumesAt(brokers.map((c) => c.id), dataDir).catch(() => new Map<string, string>())
  const ids = await Promise.all(
    brokers.map(async (container) => {
      const meta = await readContainerFile(container.id, `${dataDir}/meta.properties`)
      return {nodeId: container.nodeId as number, container: container.name, volume: volumes.get(container.id), clusterId: meta === undefined ? undefined : clusterIdOf(meta)}
    }),
  )
  return clusterIdsCheck({name: spec.name, expected: saved && spec.clusterId ? spec.clusterId : undefined, volumes: ids})
}
