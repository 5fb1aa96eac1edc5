/**
 * The small Kafka client interface the rest of kcl talks to: types only. src/kafka-client/ implements it
 * (connectKafka and withKafka there open one); the domain modules beside this file take a KafkaClient and
 * never see what sits behind it. Offsets are plain numbers: they stay far below 2^53 on any real topic.
 */

import type {ConnectionSecurity} from './security.ts'

export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
}

export interface PartitionInfo {
  partition: number
  /** -1 when the partition has no leader (offline). */
  leader: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
}

export interface TopicMetadata {
  name: string
  partitions: PartitionInfo[]
}

export interface NewTopic {
  name: string
  /** Broker default (num.partitions) when absent. */
  partitions?: number
  /** Broker default (default.replication.factor) when absent. */
  replicationFactor?: number
  configs: Record<string, string>
}

export type ConfigSource = 'topic' | 'broker' | 'default' | 'other'

export interface ConfigEntry {
  name: string
  value: string | null
  source: ConfigSource
  sensitive: boolean
}

export interface PartitionOffsets {
  partition: number
  /** The log start offset. */
  low: number
  /** The high watermark: the offset the next record will get. */
  high: number
}

export interface GroupSummary {
  groupId: string
  protocolType: string
}

export interface GroupMember {
  memberId: string
  clientId: string
  clientHost: string
  /** topic → partitions assigned to this member. */
  assignment: Record<string, number[]>
}

export interface GroupDescription {
  groupId: string
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, … as the coordinator says. */
  state: string
  protocolType: string
  members: GroupMember[]
}

export interface CommittedOffset {
  topic: string
  partition: number
  /** -1 when the group has committed nothing for this partition. */
  offset: number
}

/** One header; keys may repeat, order is kept. */
export type RecordHeader = [key: string, value: Buffer]

export interface OutgoingRecord {
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
  /** Chosen by the partitioner (murmur2 of the key, as Java clients do) when absent. */
  partition?: number
}

export interface ProducedBatch {
  partition: number
  /** Offset of the first record this send wrote to the partition. */
  baseOffset: number
}

export type Acks = 'all' | '1' | '0'
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface ProducerOptions {
  acks: Acks
  compression: Compression
}

/**
 * Records laid out in Kafka's record format after room for the batch header (a RecordsWriter's batch), all
 * bound for one partition: `partition`, else the producer's sticky one.
 */
export interface EncodedRecords {
  buffer: Buffer
  /** Where the records end in `buffer`. */
  end: number
  count: number
  partition: number | undefined
}

export interface RecordProducer {
  /**
   * Sends records in one request per broker; resolves when the broker acknowledged them (per --acks). Up to
   * 5 sends (Kafka's limit for an idempotent producer) may be on their way at once: they are written in the order they were made. Records
   * already encoded (a RecordsWriter's batch, the fast path for streams) go to one partition as they are.
   */
  send(topic: string, records: OutgoingRecord[] | EncodedRecords): Promise<ProducedBatch[]>
  close(): Promise<void>
}

export interface ConsumedRecord {
  topic: string
  partition: number
  offset: number
  /** Milliseconds since the epoch. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

export interface ConsumeRequest {
  topic: string
  /**
   * The consumer group to join, whose committed offsets are used and committed. Without one, the client
   * reads without committing anything and leaves no group behind.
   */
  group?: string
  /** Only these partitions (only without a group). */
  partitions?: number[]
  /** Where a partition without a committed offset starts: earliest (true) or latest. */
  fromBeginning: boolean
  /**
   * Explicit start offsets per partition, applied when the partition is assigned (overrides commits).
   * Required without a group, for every partition read.
   */
  startOffsets?: Map<number, number>
  /** The partitions this consumer now owns, each time that changes. */
  onAssignment(partitions: number[]): void | Promise<void>
  /**
   * Records fetched from one partition, in offset order. Returns how many of them (a prefix) it took;
   * only those count as consumed and, with a group, get committed. Awaited: this is the backpressure.
   */
  onRecords(records: ConsumedRecord[]): Promise<number>
  /**
   * The offset a partition reads next, after records were handed over or skipped (transaction markers and
   * aborted transactions take offsets but are never shown). Only reads without a group report it.
   */
  onPosition?(partition: number, next: number): void
}

export interface ConsumeSession {
  /** Settles when the consumer stops; rejects if it crashed. */
  readonly finished: Promise<void>
  /** Commits what was taken (with a group), leaves the group and disconnects. Safe to call twice. */
  stop(): Promise<void>
}

export interface KafkaClient {
  readonly servers: string[]
  brokers(): Promise<BrokerInfo[]>
  topicNames(): Promise<string[]>
  /** Metadata for the named topics (all topics when none named). Throws for a topic that does not exist. */
  topicMetadata(names?: string[]): Promise<TopicMetadata[]>
  /** false when the topic already existed. */
  createTopic(topic: NewTopic): Promise<boolean>
  deleteTopic(name: string): Promise<void>
  topicConfigs(name: string): Promise<ConfigEntry[]>
  topicOffsets(topic: string): Promise<PartitionOffsets[]>
  /** Per partition, the first offset whose timestamp is at or after `timestamp` (the high watermark if none). */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<{partition: number; offset: number}[]>
  groups(): Promise<GroupSummary[]>
  describeGroup(groupId: string): Promise<GroupDescription>
  /** Committed offsets of the group, for the named topics or every topic it committed to. */
  committedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]>
  commitGroupOffsets(groupId: string, topic: string, offsets: {partition: number; offset: number}[]): Promise<void>
  producer(options: ProducerOptions): Promise<RecordProducer>
  consume(request: ConsumeRequest): Promise<ConsumeSession>
  close(): Promise<void>
}

export interface ConnectOptions {
  clientId?: string
  /** TLS and SASL for every connection; none when absent. */
  security?: ConnectionSecurity
}
