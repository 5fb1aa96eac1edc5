import type {
  BrokerInfo,
  CommittedOffset,
  ConfigEntry,
  ConnectOptions,
  ConsumeRequest,
  ConsumeSession,
  GroupDescription,
  GroupSummary,
  KafkaClient,
  NewTopic,
  PartitionOffsets,
  ProducerOptions,
  RecordProducer,
  ShareConsumeRequest,
  SharePartitionOffset,
  TopicMetadata,
} from '../kafka/client.ts'
import * as admin from './admin.ts'
import {Cluster} from './cluster.ts'
import type {ConnectionOptions} from './connection.ts'
import {translateKafkaError} from './errors.ts'
import {consumeInGroup} from './group-consumer.ts'
import {readWithoutGroup} from './partition-reader.ts'
import {openProducer} from './producer.ts'
import {consumeShared} from './share-consumer.ts'

const CONNECTION_TIMEOUT_MS = 3000

/**
 * kcl's Kafka client: admin calls, the producer and consumers with and without a group, all on kcl's own wire
 * code, sharing one connection per broker (consumers get connections of their own, closed when they stop).
 */
export class KclKafkaClient implements KafkaClient {
  readonly servers: string[]
  private readonly options: ConnectOptions
  private wire: Cluster | undefined
  private closed = false

  constructor(servers: string[], options: ConnectOptions) {
    this.servers = servers
    this.options = options
  }

  /** Runs a call on kcl's own wire code, translating its errors into kcl's. */
  private async call<T>(call: (cluster: Cluster) => Promise<T>, context: {topic?: string; group?: string} = {}): Promise<T> {
    // A connection opened after close() would never be closed and keep kcl from exiting.
    if (this.closed) throw new Error('the Kafka client is closed')
    try {
      return await call(this.cluster())
    } catch (error) {
      throw translateKafkaError(error, {servers: this.servers, ...context})
    }
  }

  /** The connections every call shares. */
  private cluster(): Cluster {
    this.wire ??= new Cluster(this.servers, this.connectionOptions)
    return this.wire
  }

  private get connectionOptions(): ConnectionOptions {
    return {clientId: this.clientId, connectTimeoutMs: CONNECTION_TIMEOUT_MS, security: this.options.security}
  }

  brokers(): Promise<BrokerInfo[]> {
    return this.call((cluster) => admin.brokers(cluster))
  }

  topicNames(): Promise<string[]> {
    return this.call((cluster) => admin.topicNames(cluster))
  }

  topicMetadata(names?: string[]): Promise<TopicMetadata[]> {
    return this.call((cluster) => admin.topicMetadata(cluster, names), {topic: names?.[0]})
  }

  createTopic(topic: NewTopic): Promise<boolean> {
    return this.call((cluster) => admin.createTopic(cluster, topic), {topic: topic.name})
  }

  deleteTopic(name: string): Promise<void> {
    return this.call((cluster) => admin.deleteTopic(cluster, name), {topic: name})
  }

  topicConfigs(name: string): Promise<ConfigEntry[]> {
    return this.call((cluster) => admin.topicConfigs(cluster, name), {topic: name})
  }

  topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.call((cluster) => admin.topicOffsets(cluster, topic), {topic})
  }

  offsetsForTimestamp(topic: string, timestamp: number): Promise<{partition: number; offset: number}[]> {
    return this.call((cluster) => admin.offsetsForTimestamp(cluster, topic, timestamp), {topic})
  }

  groups(): Promise<GroupSummary[]> {
    return this.call((cluster) => admin.groups(cluster))
  }

  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.call((cluster) => admin.describeGroup(cluster, groupId), {group: groupId})
  }

  committedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]> {
    return this.call((cluster) => admin.committedOffsets(cluster, groupId, topics), {group: groupId, topic: topics?.[0]})
  }

  commitGroupOffsets(groupId: string, topic: string, offsets: {partition: number; offset: number}[]): Promise<void> {
    return this.call((cluster) => admin.commitOffsets(cluster, groupId, topic, offsets), {group: groupId, topic})
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.call((cluster) => admin.deleteGroup(cluster, groupId), {group: groupId})
  }

  async producer(options: ProducerOptions): Promise<RecordProducer> {
    const producer = await this.call((cluster) => openProducer(cluster, options))
    const translated = <T>(topic: string, work: () => Promise<T>): Promise<T> =>
      work().catch((error: unknown) => {
        throw translateKafkaError(error, {servers: this.servers, topic})
      })
    return {
      send: (topic, records) => translated(topic, () => producer.send(topic, records)),
      recordSize: (key, valueLength, headers) => producer.recordSize(key, valueLength, headers),
      close: () => producer.close(),
      stream: async (topic, streamOptions) => {
        const stream = await translated(topic, () => producer.stream(topic, streamOptions))
        return {
          append: (key, source, start, end, headers, partition) => {
            const waiting = stream.append(key, source, start, end, headers, partition)
            return waiting && translated(topic, () => waiting)
          },
          flush: () => translated(topic, () => stream.flush()),
          settle: () => translated(topic, () => stream.settle()),
          get acknowledged() {
            return stream.acknowledged
          },
          get unanswered() {
            return stream.unanswered
          },
          get uncertain() {
            return stream.uncertain
          },
        }
      },
    }
  }

  async consume(request: ConsumeRequest): Promise<ConsumeSession> {
    if (this.closed) throw new Error('the Kafka client is closed')
    const context = {servers: this.servers, topic: request.topic, group: request.group}
    // Connections of its own: stopping the consumer closes them, whatever else this client still does.
    const cluster = new Cluster(this.servers, this.connectionOptions)
    const {group} = request
    const session = group === undefined ? readWithoutGroup(cluster, request) : consumeInGroup(cluster, {...request, group})
    const finished = session.finished.catch((error: unknown) => {
      throw translateKafkaError(error, context)
    })
    finished.catch(() => {})
    return {finished, stop: session.stop}
  }

  async consumeShared(request: ShareConsumeRequest): Promise<ConsumeSession> {
    if (this.closed) throw new Error('the Kafka client is closed')
    const context = {servers: this.servers, topic: request.topic, group: request.group}
    const session = consumeShared(new Cluster(this.servers, this.connectionOptions), request)
    const finished = session.finished.catch((error: unknown) => {
      throw translateKafkaError(error, context)
    })
    finished.catch(() => {})
    return {finished, stop: session.stop}
  }

  shareGroupOffsets(groupId: string): Promise<SharePartitionOffset[]> {
    return this.call((cluster) => admin.shareGroupOffsets(cluster, groupId), {group: groupId})
  }

  alterGroupConfigs(groupId: string, configs: Record<string, string | null>): Promise<void> {
    return this.call((cluster) => admin.alterGroupConfigs(cluster, groupId, configs), {group: groupId})
  }

  async close(): Promise<void> {
    this.closed = true
    this.wire?.close()
  }

  private get clientId(): string {
    return this.options.clientId ?? 'kcl'
  }
}
