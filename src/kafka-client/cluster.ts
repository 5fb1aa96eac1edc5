import {BrokerConnection, ConnectionError, parseAddress, type BrokerAddress, type ConnectionOptions} from './connection.ts'
import {KafkaProtocolError, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE} from './protocol/error-codes.ts'
import {FindCoordinator, Metadata, type MetadataResponse} from './protocol/messages/index.ts'

const METADATA_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 10_000

export interface PartitionState {
  topic: string
  partition: number
  /** -1 when the partition has no leader. */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  /** Replicas on a broker that is down. */
  offlineReplicas: number[]
}

export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
}

export interface MetadataAnswer {
  clusterId: string | null
  /** The brokers the answering broker knows to be registered and alive, by node id. */
  brokers: BrokerInfo[]
  /** Partitions of every topic asked about (or every topic), by topic then partition. */
  partitions: PartitionState[]
  /** Kafka's error code per topic asked about and not served (3: it does not exist). */
  topicErrors: Map<string, number>
  /** Topic name → Kafka's topic id. */
  topicIds: Map<string, string>
}

/** The answer of Metadata, in kcl's terms. */
export function metadataAnswer(response: MetadataResponse): MetadataAnswer {
  const topicErrors = new Map<string, number>()
  const topicIds = new Map<string, string>()
  const partitions: PartitionState[] = []
  for (const topic of response.topics) {
    const name = topic.name ?? ''
    if (topic.errorCode !== 0) topicErrors.set(name, topic.errorCode)
    else topicIds.set(name, topic.topicId)
    for (const p of topic.partitions) {
      partitions.push({
        topic: name,
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
      })
    }
  }
  partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  const brokers = response.brokers.map((b) => ({nodeId: b.nodeId, host: b.host, port: b.port})).sort((a, b) => a.nodeId - b.nodeId)
  return {clusterId: response.clusterId, brokers, partitions, topicErrors, topicIds}
}

/** A Metadata request for the named topics (every topic when undefined), never creating one. */
export const metadataRequest = (topics: string[] | undefined) => ({
  topics: topics === undefined ? null : topics.map((name) => ({name})),
  allowAutoTopicCreation: false,
  includeTopicAuthorizedOperations: false,
})

/** Asks each address in turn until one answers. */
export async function firstAnswer<T>(addresses: BrokerAddress[], ask: (address: BrokerAddress) => Promise<T>): Promise<T> {
  let lastError: unknown = new Error('no broker address to ask')
  for (const address of addresses) {
    try {
      return await ask(address)
    } catch (error) {
      lastError = error
    }
  }
  throw lastError
}

/**
 * A client's view of a cluster: where each broker is (from Metadata, as any client learns it from the bootstrap
 * servers), one open connection per broker shared by every request to it, and the group coordinators.
 */
export class Cluster {
  readonly options: ConnectionOptions
  private readonly bootstrap: BrokerAddress[]
  private readonly brokers = new Map<number, BrokerAddress>()
  private readonly connections = new Map<string, Promise<BrokerConnection>>()
  private readonly coordinators = new Map<string, Promise<number>>()
  private closed = false

  constructor(servers: string[], options: ConnectionOptions) {
    this.bootstrap = servers.map(parseAddress)
    this.options = options
  }

  /**
   * Metadata for the named topics (every topic when undefined), from the first broker that answers (known
   * brokers first, then the bootstrap servers); the last failure when none does.
   */
  async metadata(topics: string[] | undefined): Promise<MetadataAnswer> {
    const answer = await firstAnswer([...this.brokers.values(), ...this.bootstrap], async (address) => {
      const connection = await this.connect(address)
      return metadataAnswer(await connection.request(Metadata, metadataRequest(topics), METADATA_TIMEOUT_MS))
    })
    for (const broker of answer.brokers) this.brokers.set(broker.nodeId, {host: broker.host, port: broker.port})
    return answer
  }

  /** The topic's partitions with their leaders; KafkaProtocolError for a topic Kafka does not serve. */
  async topicPartitions(topic: string): Promise<PartitionState[]> {
    const answer = await this.metadata([topic])
    const topicError = answer.topicErrors.get(topic)
    if (topicError !== undefined) throw new KafkaProtocolError(topicError, `Metadata for topic "${topic}"`)
    return answer.partitions
  }

  /** Whether a broker of this cluster ever answered (then a failing connection is worth retrying). */
  get answered(): boolean {
    return this.brokers.size > 0
  }

  /** The connection to a broker by node id (known from the last Metadata answer). */
  async broker(nodeId: number): Promise<BrokerConnection> {
    if (!this.brokers.has(nodeId)) await this.metadata([])
    const address = this.brokers.get(nodeId)
    if (!address) throw new ConnectionError({host: `node ${nodeId}`, port: 0}, 'ENOTFOUND', 'not in the cluster metadata')
    return this.connect(address)
  }

  /** Any broker that answers: for requests every broker serves. */
  any(): Promise<BrokerConnection> {
    return firstAnswer([...this.brokers.values(), ...this.bootstrap], (address) => this.connect(address))
  }

  /** The connection to the group coordinator of `group` (FindCoordinator, remembered until forgotten). */
  async coordinator(group: string): Promise<BrokerConnection> {
    let nodeId = this.coordinators.get(group)
    if (!nodeId) {
      nodeId = this.findCoordinator(group)
      this.coordinators.set(group, nodeId)
      nodeId.catch(() => this.coordinators.delete(group))
    }
    return this.broker(await nodeId)
  }

  /** After NOT_COORDINATOR or a broken connection: the next coordinator() asks again. */
  forgetCoordinator(group: string): void {
    this.coordinators.delete(group)
  }

  private async findCoordinator(group: string): Promise<number> {
    const connection = await this.any()
    const response = await connection.request(FindCoordinator, {keyType: 0, coordinatorKeys: [group]}, REQUEST_TIMEOUT_MS)
    const found = response.coordinators[0]
    if (!found) throw new KafkaProtocolError(COORDINATOR_NOT_AVAILABLE, `FindCoordinator for group "${group}"`)
    if (found.errorCode !== 0) throw new KafkaProtocolError(found.errorCode, `FindCoordinator for group "${group}"`, found.errorMessage)
    this.brokers.set(found.nodeId, {host: found.host, port: found.port})
    return found.nodeId
  }

  close(): void {
    this.closed = true
    for (const connection of this.connections.values()) connection.then((c) => c.close(), () => {})
    this.connections.clear()
  }

  private async connect(address: BrokerAddress): Promise<BrokerConnection> {
    if (this.closed) throw new ConnectionError(address, 'ECONNRESET', 'closed by kcl')
    const key = `${address.host}:${address.port}`
    const existing = this.connections.get(key)
    if (existing) {
      const connection = await existing.catch(() => undefined)
      if (connection && !connection.broken) return connection
      if (this.connections.get(key) !== existing) return this.connect(address)
    }
    const opening = BrokerConnection.open(address, this.options)
    this.connections.set(key, opening)
    return opening
  }
}

/** Whether a group request should go to a fresh coordinator: it moved, or its broker went away. */
export const coordinatorMoved = (error: unknown): boolean =>
  error instanceof ConnectionError || (error instanceof KafkaProtocolError && (error.errorCode === NOT_COORDINATOR || error.errorCode === COORDINATOR_NOT_AVAILABLE))
