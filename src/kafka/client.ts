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

/**
 * classic (JoinGroup/SyncGroup, client-side assignment), consumer (KIP-848: the coordinator assigns), share
 * (KIP-932), streams, or whatever a newer broker calls a new kind.
 */
export type GroupType = string

export interface GroupSummary {
  groupId: string
  /** "consumer" for consumer groups of either protocol; "" for groups that only commit offsets. */
  protocolType: string
  type: GroupType
  /** Stable, Empty, PreparingRebalance, Reconciling, Assigning, Dead, … as the coordinator says. */
  state: string
}

/** Topic → partitions. */
export type Assignment = Record<string, number[]>

export interface GroupMember {
  memberId: string
  clientId: string
  clientHost: string
  /** What this member owns now. */
  assignment: Assignment
  /** Consumer-protocol groups: what the coordinator is moving this member to (equal to `assignment` once it reconciled). */
  targetAssignment?: Assignment
  /** Consumer-protocol groups: the member's epoch (it catches up with the group's as it reconciles). */
  memberEpoch?: number
}

export interface GroupDescription {
  groupId: string
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Reconciling, Dead, … as the coordinator says. */
  state: string
  protocolType: string
  type: GroupType
  /** The assignor: the one the members agreed on (classic: range, roundrobin, …) or the coordinator's (consumer: uniform, range). */
  assignor: string
  /** Consumer-protocol groups: the group's epoch and the epoch of the assignment the coordinator computed. */
  groupEpoch?: number
  assignmentEpoch?: number
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

export interface RecordProducer {
  /**
   * Sends records now, in one request per leader; resolves when the brokers acknowledged them (per acks). For
   * a few records at a time (messages given as arguments, probes); streams go through stream().
   */
  send(topic: string, records: OutgoingRecord[]): Promise<ProducedBatch[]>
  /** A stream of records to one topic, batched per partition. */
  stream(topic: string, options: StreamOptions): Promise<RecordStream>
  /** The most bytes a record takes in a batch, to hold against the topic's max.message.bytes before it is sent. */
  recordSize(key: Buffer | null, valueLength: number, headers: RecordHeader[]): number
  /** Waits for what is on its way. */
  close(): Promise<void>
}

export interface StreamOptions {
  /** The bytes of records a batch holds at most (a lone larger record gets a batch of its own). */
  batchBytes: number
}

/**
 * Records appended go straight into their partition's batch; a full batch is sent at once, with at most 5 sends
 * unacknowledged (Kafka remembers an idempotent producer's last 5 batches per partition): appending waits for
 * one to settle meanwhile, so memory stays bounded however long the input is. A batch that is not full goes out
 * a few milliseconds after its first record, so records that come slowly are sent as they come.
 */
export interface RecordStream {
  /**
   * Appends a record whose value is `source[start, end)` (null `source`: no value), copied into the batch without
   * a slice. Its partition: `partition`, else the key's (murmur2, as Java clients pick it), else the stream's
   * sticky one. Returns a promise only when the caller must wait before appending more: the backpressure.
   */
  append(key: Buffer | null, source: Buffer | null, start: number, end: number, headers: RecordHeader[], partition?: number): Promise<void> | undefined
  /** Sends every partition's open batch. */
  flush(): Promise<void>
  /** Waits until every batch sent was answered; throws the first failure (once the others settled). */
  settle(): Promise<void>
  /** Records the brokers acknowledged so far (with acks=0: written). */
  readonly acknowledged: number
  /** Records sent and not answered yet. */
  readonly unanswered: number
  /** Records whose send failed without the broker's answer (a connection lost): they may or may not be in the topic. */
  readonly uncertain: number
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
  /** Share groups: how many times the record was handed to a consumer (1 the first time; more after a release or a lock that timed out). */
  deliveryCount?: number
}

export type GroupProtocol = 'consumer' | 'classic'

export interface ConsumeRequest {
  topic: string
  /**
   * The consumer group to join, whose committed offsets are used and committed. Without one, the client
   * reads without committing anything and leaves no group behind.
   */
  group?: string
  /**
   * The group protocol: consumer (KIP-848, the coordinator assigns) or classic (JoinGroup/SyncGroup). Without
   * one, consumer where the coordinator speaks it, else classic.
   */
  groupProtocol?: GroupProtocol
  /** Only these partitions (only without a group). */
  partitions?: number[]
  /** Where a partition without a committed offset starts: earliest (true) or latest. */
  fromBeginning: boolean
  /**
   * Explicit start offsets per partition. With a group they apply the first time this consumer is assigned the
   * partition (then over a committed offset); later assignments go on from the group's commits. Required
   * without a group, for every partition read.
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
   * aborted transactions take offsets but are never shown).
   */
  onPosition?(partition: number, next: number): void
}

export interface ConsumeSession {
  /** Settles when the consumer stops; rejects if it crashed. */
  readonly finished: Promise<void>
  /** Commits what was taken (with a group), leaves the group and disconnects. Safe to call twice. */
  stop(): Promise<void>
}

/** What a share consumer does with each record it took: done (accept), hand back for redelivery (release), or give up on (reject). */
export type ShareAck = 'accept' | 'release' | 'reject'

/** Records a share consumer acquired in one answer: offsets first to last of a partition, delivered deliveryCount times. */
export interface AcquiredRange {
  partition: number
  firstOffset: number
  lastOffset: number
  deliveryCount: number
}

export interface ShareConsumeRequest {
  topic: string
  /** The share group to join (KIP-932): its members share the records, each acquired by one member at a time. */
  group: string
  /** How each record taken is acknowledged; records not taken are released. */
  ack: ShareAck
  /** The partitions the group lets this member fetch from, each time that changes. */
  onAssignment(partitions: number[]): void | Promise<void>
  /** The records one answer acquired, before they are handed over. */
  onAcquired?(ranges: AcquiredRange[]): void
  /** Acquired records of one partition, in offset order, with their delivery counts; returns how many (a prefix) it took. */
  onRecords(records: ConsumedRecord[]): Promise<number>
}

/** A share group's progress on one partition. */
export interface SharePartitionOffset {
  topic: string
  partition: number
  /** The share-partition start offset: records before it are all acknowledged (or archived). -1 while not initialised. */
  startOffset: number
  /** Records from the start offset to the end not yet acknowledged, as the broker counts them; null when it does not say. */
  lag: number | null
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
  /** Deletes a group without members and its committed offsets. */
  deleteGroup(groupId: string): Promise<void>
  producer(options: ProducerOptions): Promise<RecordProducer>
  consume(request: ConsumeRequest): Promise<ConsumeSession>
  /** Consumes as a member of a share group; stop() acknowledges what was taken, releases the rest and leaves. */
  consumeShared(request: ShareConsumeRequest): Promise<ConsumeSession>
  /** A share group's start offset and lag per partition it has state for. */
  shareGroupOffsets(groupId: string): Promise<SharePartitionOffset[]>
  /** Sets (or with null removes) dynamic configs of a group, e.g. share.auto.offset.reset. */
  alterGroupConfigs(groupId: string, configs: Record<string, string | null>): Promise<void>
  close(): Promise<void>
}

export interface ConnectOptions {
  clientId?: string
  /** TLS and SASL for every connection; none when absent. */
  security?: ConnectionSecurity
}
