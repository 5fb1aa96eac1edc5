import {sendRequest, type BrokerAddress} from './connection.ts'
import {KafkaProtocolError} from './protocol/error-codes.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {kafkajsSecurity, loadKafkajs} from './kafkajs.ts'
import {Reader, Writer} from './protocol/primitives.ts'

export const METADATA = 3
const DESCRIBE_QUORUM = 55
/** KRaft keeps cluster metadata in this single-partition topic; DescribeQuorum asks about its Raft quorum. */
const METADATA_TOPIC = '__cluster_metadata'

export interface BrokerMetadata {
  clusterId: string | null
  /** The brokers this broker knows to be registered and alive. */
  brokers: {nodeId: number; host: string; port: number}[]
}

export interface PartitionState {
  topic: string
  partition: number
  /** -1 when the partition has no leader. */
  leader: number
  replicas: number[]
  isr: number[]
  /** Replicas on a broker that is down (Metadata v5 and later only). */
  offlineReplicas?: number[]
}

export interface MetadataAnswer extends BrokerMetadata {
  partitions: PartitionState[]
  /** Kafka's error code per topic asked about and not served (3: it does not exist). */
  topicErrors: Map<string, number>
}

/** Metadata v4 or v5, which adds offline replicas (in KRaft its controller id is a random broker, so it is not read). */
export function decodeMetadata(reader: Reader, version: 4 | 5 = 4): MetadataAnswer {
  reader.int32() // throttle time
  const brokers = reader.array(() => {
    const nodeId = reader.int32()
    const host = reader.string() ?? ''
    const port = reader.int32()
    reader.string() // rack
    return {nodeId, host, port}
  })
  const clusterId = reader.string()
  reader.int32() // controller id
  const topicErrors = new Map<string, number>()
  const partitions = reader
    .array(() => {
      const topicError = reader.int16()
      const topic = reader.string() ?? ''
      if (topicError !== 0) topicErrors.set(topic, topicError)
      reader.int8() // internal
      return reader.array(() => {
        reader.int16() // partition error; a leaderless partition says so with leader -1
        const partition = reader.int32()
        const leader = reader.int32()
        const replicas = reader.array(() => reader.int32())
        const isr = reader.array(() => reader.int32())
        if (version < 5) return {topic, partition, leader, replicas, isr}
        return {topic, partition, leader, replicas, isr, offlineReplicas: reader.array(() => reader.int32())}
      })
    })
    .flat()
  return {clusterId, brokers: brokers.sort((a, b) => a.nodeId - b.nodeId), partitions, topicErrors}
}

export const decodeTopicMetadata = (reader: Reader): PartitionState[] => decodeMetadata(reader).partitions

/** A Metadata v4/v5 request body: the named topics (every topic when `topics` is undefined), never creating one. */
export function encodeMetadataRequest(topics: string[] | undefined): Buffer {
  const writer = new Writer()
  if (topics === undefined) writer.int32(-1)
  else topics.reduce((w, topic) => w.string(topic), writer.int32(topics.length))
  return writer.int8(0).bytes()
}

/** Metadata without topics: the cheapest proof that a broker serves requests, and which brokers it knows. */
export async function brokerMetadata(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<BrokerMetadata> {
  const {clusterId, brokers} = decodeMetadata(await sendRequest(address, {apiKey: METADATA, apiVersion: 4, flexible: false, body: encodeMetadataRequest([])}, timeoutMs, security))
  return {clusterId, brokers}
}

/** Metadata for every topic: each partition's leader, replicas and in-sync replicas. */
export async function topicPartitions(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<PartitionState[]> {
  return decodeTopicMetadata(await sendRequest(address, {apiKey: METADATA, apiVersion: 4, flexible: false, body: encodeMetadataRequest(undefined)}, timeoutMs, security))
}

/** One Metadata v5 request for everything: the cluster id, the live brokers and every partition with its offline replicas. */
export async function clusterMetadata(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<MetadataAnswer> {
  return decodeMetadata(await sendRequest(address, {apiKey: METADATA, apiVersion: 5, flexible: false, body: encodeMetadataRequest(undefined)}, timeoutMs, security), 5)
}

export interface QuorumReplica {
  nodeId: number
  logEndOffset: bigint
}

export interface QuorumInfo {
  /** The active controller: the Raft leader of the metadata log, -1 while an election runs. */
  leaderId: number
  leaderEpoch: number
  highWatermark: bigint
  voters: QuorumReplica[]
  observers: QuorumReplica[]
}

export function encodeDescribeQuorumRequest(): Buffer {
  return new Writer().uvarint(2).compactString(METADATA_TOPIC).uvarint(2).int32(0).noTags().noTags().noTags().bytes()
}

export function decodeDescribeQuorumResponse(reader: Reader): QuorumInfo {
  const errorCode = reader.int16()
  if (errorCode !== 0) throw new KafkaProtocolError(errorCode, 'DescribeQuorum')
  const replica = (): QuorumReplica => {
    const nodeId = reader.int32()
    const logEndOffset = reader.int64()
    reader.skipTags()
    return {nodeId, logEndOffset}
  }
  const topics = reader.compactArray(() => {
    reader.compactString()
    const partitions = reader.compactArray(() => {
      reader.int32() // partition index, always 0
      const partitionError = reader.int16()
      const info: QuorumInfo = {
        leaderId: reader.int32(),
        leaderEpoch: reader.int32(),
        highWatermark: reader.int64(),
        voters: reader.compactArray(replica),
        observers: reader.compactArray(replica),
      }
      reader.skipTags()
      if (partitionError !== 0) throw new KafkaProtocolError(partitionError, 'DescribeQuorum')
      return info
    })
    reader.skipTags()
    return partitions
  })
  const info = topics[0]?.[0]
  if (!info) throw new Error('DescribeQuorum answered without the metadata partition')
  return info
}

/** Asks a broker (which forwards to the controllers) who leads the KRaft metadata quorum. */
export async function describeQuorum(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<QuorumInfo> {
  const reader = await sendRequest(address, {apiKey: DESCRIBE_QUORUM, apiVersion: 0, flexible: true, body: encodeDescribeQuorumRequest()}, timeoutMs, security)
  return decodeDescribeQuorumResponse(reader)
}

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
 * A full client round trip as users will make it: kafkajs bootstraps from the advertised listeners, reads the
 * cluster's brokers and lists topics. Returns the broker ids it saw.
 */
export async function clientRoundTrip(servers: string[], timeoutMs = 5000, security: ConnectionSecurity = {}): Promise<number[]> {
  const {Kafka, logLevel} = await loadKafkajs()
  const admin = new Kafka({
    clientId: 'kcl',
    brokers: servers,
    ...kafkajsSecurity(security),
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: {retries: 0},
  }).admin()
  await admin.connect()
  try {
    const {brokers} = await admin.describeCluster()
    await admin.listTopics()
    return brokers.map((b) => b.nodeId).sort((a, b) => a - b)
  } finally {
    await admin.disconnect()
  }
}
