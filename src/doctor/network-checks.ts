import type {NetworkInterfaceInfo} from 'node:os'
import {hostPort, nameFlag, nodeIds, type ClusterSpec} from '../cluster/spec.ts'
import type {ContainerInfo} from '../docker/containers.ts'
import type {ContainerRow, NetworkInfo} from '../docker/inventory.ts'
import {describeOwner, portOwners, portState, suggestBasePort} from './ports.ts'
import {fail, ok, warn, type CheckBase, type CheckResult} from './types.ts'

export interface PortFinding {
  port: number
  nodeId: number
  /** Who holds it when it is taken by something other than this cluster. */
  takenBy?: string
  /** Held by this cluster's own broker container (as expected while it runs). */
  ours?: boolean
}

export function portsCheck(spec: ClusterSpec, findings: PortFinding[], suggestion: number | undefined): CheckResult {
  const base: CheckBase = {group: 'Network', id: 'network.ports', title: 'Host ports', cluster: spec.name}
  const ports = nodeIds(spec).map((id) => hostPort(spec, id))
  const range = ports.length === 1 ? `${ports[0]}` : `${ports[0]}-${ports.at(-1)}`
  const taken = findings.filter((finding) => finding.takenBy !== undefined)
  if (taken.length === 0) {
    const ours = findings.filter((finding) => finding.ours).length
    return ok(base, ours > 0 ? `${range} held by the cluster's brokers` : `${range} free`)
  }
  const what = taken.map((finding) => `${finding.port} (kafka-${finding.nodeId}) is taken by ${finding.takenBy}`).join('; ')
  const brokersFlag = spec.brokers === 1 ? '' : ` --brokers ${spec.brokers}`
  return fail(base, `${what}.`, {
    fix: [
      suggestion === undefined
        ? {text: 'Stop what listens there, or pick free ports with kcl up --port PORT.'}
        : {text: `Use other ports: kcl up${nameFlag(spec)}${brokersFlag} --port ${suggestion} (${suggestion}-${suggestion + spec.brokers - 1} are free), or stop what listens there.`},
    ],
  })
}

/** Which of the cluster's host ports are taken, by whom, and a base port that would work instead. */
export async function hostPortsCheck(spec: ClusterSpec, rows: ContainerRow[], ownContainers: Promise<ContainerInfo[]>): Promise<CheckResult> {
  const own = await ownContainerRows(spec, rows, ownContainers)
  const findings: PortFinding[] = await Promise.all(
    nodeIds(spec).map(async (nodeId): Promise<PortFinding> => {
      const port = hostPort(spec, nodeId)
      if (own.some((row) => row.hostPorts.includes(port))) return {port, nodeId, ours: true}
      if ((await portState(port, spec.expose)) === 'free') return {port, nodeId}
      const container = rows.find((row) => row.state === 'running' && row.hostPorts.includes(port))
      return {port, nodeId, takenBy: describeOwner(port, container ? [] : await portOwners(port), container?.name)}
    }),
  )
  const taken = findings.some((finding) => finding.takenBy !== undefined)
  const avoid = new Set(rows.flatMap((row) => row.hostPorts))
  const suggestion = taken ? await suggestBasePort(spec.brokers, spec.expose, avoid) : undefined
  return portsCheck(spec, findings, suggestion)
}

async function ownContainerRows(spec: ClusterSpec, rows: ContainerRow[], ownContainers: Promise<ContainerInfo[]>): Promise<ContainerRow[]> {
  const ids = new Set((await ownContainers).map((c) => c.id))
  return rows.filter((row) => ids.has(row.id) || row.cluster === spec.name)
}

export interface Ipv4Range {
  start: number
  end: number
}

export function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.').map(Number)
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined
  return (((parts[0] as number) * 256 + (parts[1] as number)) * 256 + (parts[2] as number)) * 256 + (parts[3] as number)
}

export function parseCidr(cidr: string): Ipv4Range | undefined {
  const [address = '', bits = ''] = cidr.split('/')
  const start = ipv4ToNumber(address)
  const prefix = Number(bits)
  if (start === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined
  const size = 2 ** (32 - prefix)
  const first = Math.floor(start / size) * size
  return {start: first, end: first + size - 1}
}

export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.start <= b.end && b.start <= a.end
}

/** Docker's default pools: 172.17-31.0.0/16 and 192.168.0.0/16 in /20s, 31 networks in all. */
export const DEFAULT_POOL_NETWORKS = 31

/** A host interface's network that is not one of Docker's own bridges. */
export interface HostNetwork {
  interfaceName: string
  cidr: string
}

export function hostNetworks(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, dockerGateways: Set<string>): HostNetwork[] {
  const networks: HostNetwork[] = []
  for (const [name, addresses] of Object.entries(interfaces)) {
    if (/^(docker\d*|br-[0-9a-f]+|veth.*)$/.test(name)) continue
    for (const address of addresses ?? []) {
      if (address.family !== 'IPv4' || address.internal || !address.cidr || dockerGateways.has(address.address)) continue
      networks.push({interfaceName: name, cidr: address.cidr})
    }
  }
  return networks
}

/**
 * Docker networks whose subnets overlap a network this machine is on (a VPN or the LAN): traffic to those
 * hosts goes into the container network instead. And the bridge networks that use up Docker's default pools.
 */
export function addressPoolCheck(networks: NetworkInfo[], host: HostNetwork[]): CheckResult {
  const base: CheckBase = {group: 'Network', id: 'network.address-pools', title: 'Docker address pools'}
  const clashes: string[] = []
  for (const network of networks) {
    for (const subnet of network.subnets) {
      const range = parseCidr(subnet)
      if (!range) continue
      for (const hostNet of host) {
        const hostRange = parseCidr(hostNet.cidr)
        if (hostRange && overlaps(range, hostRange)) clashes.push(`Docker network ${network.name} (${subnet}) overlaps ${hostNet.interfaceName} (${hostNet.cidr})`)
      }
    }
  }
  const bridges = networks.filter((network) => network.driver === 'bridge' && network.subnets.some((subnet) => parseCidr(subnet)))
  const details = networks.filter((network) => network.subnets.length > 0).map((network) => `${network.name}: ${network.subnets.join(', ')}`)
  if (clashes.length > 0) {
    return warn(base, `${clashes.join('; ')}: hosts in that range are unreachable from containers, and a new network may be refused ("Pool overlaps with other one on this address space").`, {
      details,
      fix: [
        {text: 'Remove networks you no longer use: docker network ls, then docker network rm NAME (docker network prune removes all unused ones).'},
        {text: 'Or move Docker\'s pools away from your networks: "default-address-pools": [{"base": "10.200.0.0/16", "size": 24}] in daemon.json, then restart Docker.'},
        {os: 'linux', text: 'daemon.json is /etc/docker/daemon.json; restart with sudo systemctl restart docker.'},
        {os: 'macos', text: 'Docker Desktop → Settings → Docker Engine holds daemon.json; colima: colima start --edit.'},
      ],
    })
  }
  if (bridges.length >= DEFAULT_POOL_NETWORKS - 3) {
    return warn(base, `${bridges.length} bridge networks exist; Docker's default pools hold about ${DEFAULT_POOL_NETWORKS}, so new clusters may get "could not find an available, non-overlapping IPv4 address pool".`, {
      details,
      fix: [{text: 'Remove networks you no longer use: docker network prune (removes every network no container uses), or set larger default-address-pools in daemon.json.'}],
    })
  }
  return ok(base, `${bridges.length} bridge network(s), none overlapping this machine's networks`, details)
}
