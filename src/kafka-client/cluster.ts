import type {ConnectionSecurity} from '../kafka/security.ts'
import {BrokerConnection, ConnectionError, parseAddress, type BrokerAddress} from './connection.ts'
import {KafkaProtocolError} from './protocol/error-codes.ts'
import {METADATA, decodeMetadata, encodeMetadataRequest, firstAnswer, type MetadataAnswer, type PartitionState} from './probes.ts'

const CONNECT_TIMEOUT_MS = 3000
const METADATA_TIMEOUT_MS = 10_000

/**
 * The data path's view of a cluster: where each broker is (from Metadata, as any client learns it from the
 * bootstrap servers) and one open connection per broker, reused by every request to it.
 */
export class ClusterConnections {
  private readonly bootstrap: BrokerAddress[]
  private readonly clientId: string
  private readonly brokers = new Map<number, BrokerAddress>()
  private readonly connections = new Map<string, Promise<BrokerConnection>>()
  private readonly security: ConnectionSecurity
  private closed = false

  constructor(servers: string[], clientId: string, security: ConnectionSecurity = {}) {
    this.bootstrap = servers.map(parseAddress)
    this.clientId = clientId
    this.security = security
  }

  /**
   * Metadata v5 for the named topics (every topic when undefined), from the first broker that answers (known
   * brokers first, then the bootstrap servers); the last ConnectionError when none does.
   */
  async metadata(topics: string[] | undefined): Promise<MetadataAnswer> {
    let lastError: Error = new ConnectionError(this.bootstrap[0] ?? {host: '?', port: 0}, 'ECONNREFUSED', 'no bootstrap server')
    for (const address of [...this.brokers.values(), ...this.bootstrap]) {
      let answer: MetadataAnswer
      try {
        const connection = await this.connect(address)
        answer = decodeMetadata(await connection.request({apiKey: METADATA, apiVersion: 5, body: [encodeMetadataRequest(topics)], timeoutMs: METADATA_TIMEOUT_MS}), 5)
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error
        lastError = error
        continue
      }
      for (const broker of answer.brokers) this.brokers.set(broker.nodeId, {host: broker.host, port: broker.port})
      answer.partitions.sort((a, b) => a.partition - b.partition)
      return answer
    }
    throw lastError
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
  broker(nodeId: number): Promise<BrokerConnection> {
    const address = this.brokers.get(nodeId)
    if (!address) return Promise.reject(new ConnectionError({host: `node ${nodeId}`, port: 0}, 'ENOTFOUND', 'not in the cluster metadata'))
    return this.connect(address)
  }

  /** Any broker that answers: for requests every broker serves. */
  any(): Promise<BrokerConnection> {
    return firstAnswer([...this.brokers.values(), ...this.bootstrap], (address) => this.connect(address))
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
    const opening = BrokerConnection.open(address, this.clientId, CONNECT_TIMEOUT_MS, this.security)
    this.connections.set(key, opening)
    return opening
  }
}
