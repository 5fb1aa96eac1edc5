import {runProcess} from './process.ts'
import {containerEngine} from './engine.ts'
import {docker} from './run.ts'

export const CLUSTER_LABEL = 'com.kcl.cluster'
export const NODE_ID_LABEL = 'com.kcl.node-id'
export const ROLES_LABEL = 'com.kcl.roles'

export interface ContainerInfo {
  id: string
  name: string
  /** The compose service, e.g. kafka-2. */
  service: string | undefined
  cluster: string | undefined
  nodeId: number | undefined
  roles: string[]
  /** Docker's state: created, running, paused, restarting, removing, exited or dead. */
  state: string
  /** The healthcheck's verdict, when the container has one: starting, healthy or unhealthy. */
  health: string | undefined
  exitCode: number
  oomKilled: boolean
  startedAt: string
  image: string
  labels: Record<string, string>
}

interface InspectedContainer {
  Id: string
  Name: string
  Config: {Labels: Record<string, string> | null; Image: string}
  State: {Status: string; ExitCode: number; OOMKilled: boolean; StartedAt: string; Health?: {Status: string}}
}

function toContainerInfo(raw: InspectedContainer): ContainerInfo {
  const labels = raw.Config.Labels ?? {}
  const nodeId = Number(labels[NODE_ID_LABEL])
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    service: labels['com.docker.compose.service'],
    cluster: labels[CLUSTER_LABEL],
    nodeId: Number.isInteger(nodeId) && nodeId > 0 ? nodeId : undefined,
    roles: (labels[ROLES_LABEL] ?? '').split(',').filter(Boolean),
    state: raw.State.Status,
    health: raw.State.Health?.Status,
    exitCode: raw.State.ExitCode,
    oomKilled: raw.State.OOMKilled,
    startedAt: raw.State.StartedAt,
    image: raw.Config.Image,
    labels,
  }
}

export async function inspectContainers(ids: string[]): Promise<ContainerInfo[]> {
  if (ids.length === 0) return []
  const raw = JSON.parse(await docker(['inspect', '--type', 'container', ...ids])) as InspectedContainer[]
  return raw.map(toContainerInfo)
}

/** Containers (running or not) carrying the label, e.g. com.kcl.cluster=dev, or just com.kcl.cluster for all of kcl's. */
export async function containersWithLabel(label: string): Promise<ContainerInfo[]> {
  const ids = (await docker(['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${label}`])).split('\n').filter(Boolean)
  const containers = await inspectContainers(ids)
  return containers.sort((a, b) => (a.nodeId ?? 0) - (b.nodeId ?? 0) || a.name.localeCompare(b.name))
}

export function clusterContainers(clusterName: string): Promise<ContainerInfo[]> {
  return containersWithLabel(`${CLUSTER_LABEL}=${clusterName}`)
}

/** The last lines a container logged (stdout and stderr interleaved), for explaining why a broker did not start. */
export async function containerLogTail(container: string, lines = 20): Promise<string> {
  const result = await runProcess(containerEngine(), ['logs', '--tail', String(lines), container], {all: true, reject: false})
  return result.failed ? '' : String(result.all).trimEnd()
}

/** The names in a directory of a running container (`docker exec C ls DIR`), or undefined when it cannot be listed. */
export async function listContainerDirectory(container: string, dir: string): Promise<string[] | undefined> {
  const result = await runProcess(containerEngine(), ['exec', container, 'ls', dir], {reject: false, timeout: 10_000})
  return result.failed ? undefined : result.stdout.split('\n').filter(Boolean)
}

/** Runs a program in a running container (argument array, environment added with -e), returning its stdout. */
export function execInContainer(container: string, args: string[], options: {env?: Record<string, string>; timeoutMs?: number} = {}): Promise<string> {
  const env = Object.entries(options.env ?? {}).flatMap(([key, value]) => ['--env', `${key}=${value}`])
  return docker(['exec', ...env, container, ...args], {timeoutMs: options.timeoutMs})
}

export async function namesOfResources(kind: 'volume' | 'network', label: string): Promise<string[]> {
  return (await docker([kind, 'ls', '--quiet', '--filter', `label=${label}`])).split('\n').filter(Boolean)
}

export async function stopContainers(ids: string[]): Promise<void> {
  if (ids.length > 0) await docker(['stop', ...ids], {timeoutMs: 120_000})
}

export async function removeContainers(ids: string[]): Promise<void> {
  if (ids.length > 0) await docker(['rm', '--force', ...ids], {timeoutMs: 120_000})
}

/** Removes the networks labelled as the cluster's (compose's default network; they hold no data). */
export async function removeClusterNetworks(clusterName: string): Promise<void> {
  const networks = await namesOfResources('network', `${CLUSTER_LABEL}=${clusterName}`)
  if (networks.length > 0) await docker(['network', 'rm', ...networks])
}
