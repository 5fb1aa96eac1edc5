/**
 * What `kcl ui` shows, as plain data: one snapshot of the cluster, assembled from what the polls last saw (see
 * watch.ts). Pure functions only; the pages get these objects as JSON.
 */
import type {PartitionOffsets} from '../kafka/client.ts'
import type {GroupView} from '../kafka/groups.ts'
import type {MetadataAnswer, QuorumInfo} from '../kafka-client/index.ts'

export interface BrokerView {
  nodeId: number
  /** Where clients reach it: the advertised address, or for a kcl cluster's stopped broker its published one. */
  address: string
  /** A broker (seen in the cluster metadata, or one of a kcl cluster's nodes), not a dedicated KRaft controller. */
  broker: boolean
  /** Listed in the cluster metadata: registered with the controller and serving. */
  registered: boolean
  /** Docker's container state (running, exited, …) for kcl's own clusters; undefined for any other Kafka. */
  container: string | undefined
  health: string | undefined
  /** The node's part in the KRaft metadata quorum. */
  quorumRole: 'active controller' | 'voter' | 'observer' | undefined
}

export interface QuorumMember {
  nodeId: number
  logEndOffset: number
  /** Records of the metadata log this node is behind the leader. */
  lag: number
}

export interface QuorumView {
  /** The active controller: the Raft leader of the metadata log; -1 during an election. */
  leaderId: number
  epoch: number
  highWatermark: number
  voters: QuorumMember[]
  observers: QuorumMember[]
}

export interface PartitionView {
  partition: number
  /** -1 when the partition has no leader. */
  leader: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  underReplicated: boolean
  offline: boolean
  /** Log start and end offsets (high watermark); undefined until the offsets were read. */
  low: number | undefined
  high: number | undefined
}

export interface TopicView {
  name: string
  internal: boolean
  replicationFactor: number
  partitions: PartitionView[]
}

export interface LagPoint {
  /** Milliseconds since the epoch. */
  at: number
  lag: number
}

export interface GroupSnapshot extends GroupView {
  /** "consumer" for consumer groups, as the coordinator lists it. */
  protocolType: string
  /** Total lag over the last minutes, oldest first. */
  lagHistory: LagPoint[]
}

export interface ClusterSnapshot {
  /** Milliseconds since the epoch when this snapshot was assembled. */
  at: number
  /** The kcl cluster's name, when the view is of one. */
  cluster: string | undefined
  bootstrapServers: string[]
  /** Whether the last Metadata request was answered; `error` says why not. */
  reachable: boolean
  error: string | undefined
  clusterId: string | undefined
  brokers: BrokerView[]
  quorum: QuorumView | undefined
  quorumError: string | undefined
  topics: TopicView[]
  groups: GroupSnapshot[]
  groupsError: string | undefined
}

/** What the polls last saw; each part may be missing while its poll has not answered yet. */
export interface Observations {
  metadata: MetadataAnswer | undefined
  metadataError: string | undefined
  quorum: QuorumInfo | undefined
  quorumError: string | undefined
  /** Brokers known even when not in the metadata: a kcl cluster's nodes, and every broker seen so far. */
  knownNodes: Map<number, string>
  containers: Map<number, {state: string; health: string | undefined}> | undefined
  offsets: Map<string, PartitionOffsets[]>
  groups: GroupSnapshot[]
  groupsError: string | undefined
}

const ascending = (ids: number[]): number[] => [...ids].sort((a, b) => a - b)

export function quorumView(quorum: QuorumInfo): QuorumView {
  const leaderEnd = quorum.voters.find((v) => v.nodeId === quorum.leaderId)?.logEndOffset
  const member = (replica: {nodeId: number; logEndOffset: bigint}): QuorumMember => ({
    nodeId: replica.nodeId,
    logEndOffset: Number(replica.logEndOffset),
    lag: leaderEnd === undefined || replica.logEndOffset < 0n ? 0 : Math.max(0, Number(leaderEnd - replica.logEndOffset)),
  })
  const byNode = (a: QuorumMember, b: QuorumMember): number => a.nodeId - b.nodeId
  return {
    leaderId: quorum.leaderId,
    epoch: quorum.leaderEpoch,
    highWatermark: Number(quorum.highWatermark),
    voters: quorum.voters.map(member).sort(byNode),
    observers: quorum.observers.map(member).sort(byNode),
  }
}

function topicViews(metadata: MetadataAnswer, offsets: Map<string, PartitionOffsets[]>): TopicView[] {
  return [...Map.groupBy(metadata.partitions, (p) => p.topic)]
    .map(([name, partitions]): TopicView => {
      const ranges = offsets.get(name)
      return {
        name,
        internal: name.startsWith('__'),
        replicationFactor: partitions[0]?.replicas.length ?? 0,
        partitions: partitions
          .map((p): PartitionView => {
            const range = ranges?.find((r) => r.partition === p.partition)
            return {
              partition: p.partition,
              leader: p.leader,
              replicas: ascending(p.replicas),
              isr: ascending(p.isr),
              offlineReplicas: ascending(p.offlineReplicas ?? []),
              underReplicated: p.isr.length < p.replicas.length,
              offline: p.leader < 0,
              low: range?.low,
              high: range?.high,
            }
          })
          .sort((a, b) => a.partition - b.partition),
      }
    })
    .sort((a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name))
}

/** Every node known, with what Kafka and Docker say about it. */
function brokerViews(seen: Observations, quorum: QuorumView | undefined): BrokerView[] {
  const listed = new Map((seen.metadata?.brokers ?? []).map((b) => [b.nodeId, `${b.host}:${b.port}`]))
  const ids = new Set([...seen.knownNodes.keys(), ...listed.keys(), ...(quorum?.voters ?? []).map((v) => v.nodeId)])
  return ascending([...ids]).map((nodeId): BrokerView => {
    const container = seen.containers?.get(nodeId)
    const role =
      quorum === undefined
        ? undefined
        : nodeId === quorum.leaderId
          ? 'active controller'
          : quorum.voters.some((v) => v.nodeId === nodeId)
            ? 'voter'
            : quorum.observers.some((o) => o.nodeId === nodeId)
              ? 'observer'
              : undefined
    return {
      nodeId,
      address: listed.get(nodeId) ?? seen.knownNodes.get(nodeId) ?? 'unknown',
      broker: listed.has(nodeId) || seen.knownNodes.has(nodeId),
      registered: listed.has(nodeId),
      container: container?.state,
      health: container?.health,
      quorumRole: role,
    }
  })
}

export function assembleSnapshot(target: {cluster: string | undefined; bootstrapServers: string[]}, seen: Observations, at: number): ClusterSnapshot {
  const quorum = seen.quorum ? quorumView(seen.quorum) : undefined
  return {
    at,
    cluster: target.cluster,
    bootstrapServers: target.bootstrapServers,
    reachable: seen.metadata !== undefined && seen.metadataError === undefined,
    error: seen.metadataError,
    clusterId: seen.metadata?.clusterId ?? undefined,
    brokers: brokerViews(seen, quorum),
    quorum,
    quorumError: seen.quorumError,
    topics: seen.metadata ? topicViews(seen.metadata, seen.offsets) : [],
    groups: seen.groups,
    groupsError: seen.groupsError,
  }
}
