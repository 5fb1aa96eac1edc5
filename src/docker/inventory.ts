import {CLUSTER_LABEL} from './containers.ts'
import {containerEngine} from './engine.ts'
import {runProcess} from './process.ts'
import {docker} from './run.ts'

/** What the engine holds (every container, network, image and volume), each read with one docker call; the doctor's view. */

export interface ContainerRow {
  id: string
  name: string
  state: string
  status: string
  cluster: string | undefined
  composeProject: string | undefined
  service: string | undefined
  /** Host ports published for the container's port 9092 (kcl's host listener) and all published host ports. */
  brokerHostPort: number | undefined
  hostPorts: number[]
}

const ROW_FORMAT = ['{{.ID}}', '{{.Names}}', '{{.State}}', '{{.Status}}', `{{.Label "${CLUSTER_LABEL}"}}`, '{{.Label "com.docker.compose.project"}}', '{{.Label "com.docker.compose.service"}}', '{{.Ports}}'].join('\t')

export function parseContainerRows(text: string): ContainerRow[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', name = '', state = '', status = '', cluster = '', composeProject = '', service = '', ports = ''] = line.split('\t')
      const published = [...ports.matchAll(/:(\d+)->(\d+)\/tcp/g)]
      const broker = published.find((match) => match[2] === '9092')
      return {
        id,
        name,
        state,
        status,
        cluster: cluster || undefined,
        composeProject: composeProject || undefined,
        service: service || undefined,
        brokerHostPort: broker ? Number(broker[1]) : undefined,
        hostPorts: [...new Set(published.map((match) => Number(match[1])))],
      }
    })
}

/** One container of `podman ps --format json`: Podman's templates have no `.Label "key"`, so kcl reads its JSON. */
interface PodmanContainer {
  Id: string
  Names: string[]
  State: string
  Status: string
  Labels: Record<string, string> | null
  Ports: {container_port: number; host_port: number; range?: number; protocol: string}[] | null
}

export function parsePodmanContainers(text: string): ContainerRow[] {
  return (JSON.parse(text) as PodmanContainer[]).map((c) => {
    const tcp = (c.Ports ?? []).filter((p) => p.protocol === 'tcp')
    const hostPorts = tcp.flatMap((p) => Array.from({length: p.range ?? 1}, (_, i) => p.host_port + i))
    const labels = c.Labels ?? {}
    return {
      id: c.Id,
      name: c.Names[0] ?? c.Id,
      state: c.State,
      status: c.Status,
      cluster: labels[CLUSTER_LABEL],
      composeProject: labels['com.docker.compose.project'],
      service: labels['com.docker.compose.service'],
      brokerHostPort: tcp.find((p) => p.container_port === 9092)?.host_port,
      hostPorts: [...new Set(hostPorts)],
    }
  })
}

/** Every container on the engine, running or not: names, kcl/compose labels and published ports. */
export async function listContainers(): Promise<ContainerRow[]> {
  if (containerEngine() === 'podman') return parsePodmanContainers(await docker(['ps', '--all', '--format', 'json'], {timeoutMs: 15_000}))
  return parseContainerRows(await docker(['ps', '--all', '--no-trunc', '--format', ROW_FORMAT], {timeoutMs: 15_000}))
}

export interface NetworkInfo {
  name: string
  id: string
  driver: string
  labels: Record<string, string>
  subnets: string[]
  gateways: string[]
  containers: number
}

interface InspectedNetwork {
  Name: string
  Id: string
  Driver: string
  Labels: Record<string, string> | null
  IPAM: {Config: {Subnet?: string; Gateway?: string}[] | null}
  Containers: Record<string, unknown> | null
}

/** Podman's `network inspect` (netavark) answers in its own shape. */
interface PodmanNetwork {
  name: string
  id: string
  driver: string
  labels?: Record<string, string>
  subnets?: {subnet?: string; gateway?: string}[]
}

function asDockerNetwork(network: InspectedNetwork | PodmanNetwork): InspectedNetwork {
  if ('Name' in network) return network
  const config = (network.subnets ?? []).map((s) => ({Subnet: s.subnet, Gateway: s.gateway}))
  return {Name: network.name, Id: network.id, Driver: network.driver, Labels: network.labels ?? null, IPAM: {Config: config}, Containers: null}
}

export async function listNetworks(): Promise<NetworkInfo[]> {
  const ids = (await docker(['network', 'ls', '--quiet', '--no-trunc'], {timeoutMs: 15_000})).split('\n').filter(Boolean)
  if (ids.length === 0) return []
  // A network removed between ls and inspect makes inspect fail; ask again once.
  const inspect = () => docker(['network', 'inspect', ...ids], {timeoutMs: 15_000})
  const raw = (JSON.parse(await inspect().catch(async () => listNetworksOneByOne(ids))) as (InspectedNetwork | PodmanNetwork)[]).map(asDockerNetwork)
  return raw.map((network) => ({
    name: network.Name,
    id: network.Id,
    driver: network.Driver,
    labels: network.Labels ?? {},
    subnets: (network.IPAM.Config ?? []).map((config) => config.Subnet).filter((subnet): subnet is string => Boolean(subnet)),
    gateways: (network.IPAM.Config ?? []).map((config) => config.Gateway).filter((gateway): gateway is string => Boolean(gateway)),
    containers: Object.keys(network.Containers ?? {}).length,
  }))
}

async function listNetworksOneByOne(ids: string[]): Promise<string> {
  const each = await Promise.all(ids.map((id) => docker(['network', 'inspect', id]).then((text) => JSON.parse(text) as InspectedNetwork[]).catch(() => [])))
  return JSON.stringify(each.flat())
}

export interface ImageInfo {
  os: string
  architecture: string
  variant: string | undefined
}

/** The image's platform, or undefined when it is not pulled yet. */
export async function imageInfo(image: string): Promise<ImageInfo | undefined> {
  try {
    const [os = '', architecture = '', variant = ''] = (await docker(['image', 'inspect', '--format', '{{.Os}}\t{{.Architecture}}\t{{.Variant}}', image], {timeoutMs: 15_000})).split('\t')
    return {os, architecture, variant: variant || undefined}
  } catch {
    return undefined
  }
}

/** The volume mounted at a container's path, per container id. */
export async function volumesAt(containerIds: string[], path: string): Promise<Map<string, string>> {
  const volumes = new Map<string, string>()
  if (containerIds.length === 0) return volumes
  const text = await docker(['inspect', '--type', 'container', '--format', `{{.Id}}\t{{range .Mounts}}{{if eq .Destination "${path}"}}{{.Name}}{{end}}{{end}}`, ...containerIds])
  for (const line of text.split('\n').filter(Boolean)) {
    const [id = '', name = ''] = line.split('\t')
    if (name) volumes.set(id, name)
  }
  return volumes
}

/** Reads one small file out of a container (running or stopped, volumes included) with `docker cp … -`, which streams a tar. */
export async function readContainerFile(container: string, path: string): Promise<string | undefined> {
  const result = await runProcess('docker', ['cp', `${container}:${path}`, '-'], {reject: false, encoding: 'buffer', timeout: 15_000})
  if (result.failed) return undefined
  return fileFromTar(Buffer.from(result.stdout))
}

/** The first regular file's content in a tar archive (512-byte header: size in octal at offset 124). */
export function fileFromTar(tar: Buffer): string | undefined {
  if (tar.length < 512) return undefined
  const size = Number.parseInt(tar.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim(), 8)
  if (!Number.isInteger(size)) return undefined
  return tar.toString('utf8', 512, 512 + size)
}
