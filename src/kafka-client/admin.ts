import {setTimeout as sleep} from 'node:timers/promises'
import {ConnectionError} from './connection.ts'
import type {ConfigEntry, ConfigSource, PartitionOffsets, TopicMetadata} from '../kafka/client.ts'
import type {ClusterConnections} from './cluster.ts'
import type {PartitionState} from './probes.ts'
import {KafkaProtocolError, LEADER_NOT_AVAILABLE, retryDelay} from './protocol/error-codes.ts'
import {Writer} from './protocol/primitives.ts'

/**
 * The reads produce and consume need before they start (which topics exist, partitions, configs, offsets), on
 * kcl's own wire code: with them, `kcl produce` and `kcl consume` without a group never load kafkajs.
 */

const LIST_OFFSETS = 2
const DESCRIBE_CONFIGS = 32
const TOPIC_RESOURCE = 2
const REQUEST_TIMEOUT_MS = 10_000
/** Leadership moving or a broker starting: retried this long, as kafkajs' admin retries did. */
const RETRY_BUDGET_MS = 30_000
const UNKNOWN_TOPIC_OR_PARTITION = 3
const EARLIEST = -2
const LATEST = -1

/** How long a topic Kafka does not know is waited for, when the caller knows it exists (see topicMetadata). */
const NEW_TOPIC_WAIT_MS = 5000

/**
 * Runs `read`, again (with fresh metadata) while it fails with an error that goes away by itself. A cluster
 * that never answered is not waited for: a wrong -b gets its one clear line at once.
 */
async function retrying<T>(connections: ClusterConnections, read: () => Promise<T>, options: {topicExists?: boolean} = {}): Promise<T> {
  const started = performance.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return await read()
    } catch (error) {
      const elapsed = performance.now() - started
      const unknownTopic = error instanceof KafkaProtocolError && error.errorCode === UNKNOWN_TOPIC_OR_PARTITION
      const transient = unknownTopic
        ? options.topicExists === true && elapsed < NEW_TOPIC_WAIT_MS
        : (error instanceof ConnectionError && connections.answered) || (error instanceof KafkaProtocolError && error.retriable)
      if (!transient || elapsed > RETRY_BUDGET_MS) throw error
      await sleep(retryDelay(attempt))
    }
  }
}

export async function topicNames(connections: ClusterConnections): Promise<string[]> {
  const answer = await retrying(connections, () => connections.metadata(undefined))
  return [...new Set(answer.partitions.map((p) => p.topic))].concat([...answer.topicErrors.keys()]).sort()
}

/**
 * Metadata of the named topics (every topic when none named); throws for a topic that does not exist. Callers
 * ask for topics they know exist (listed, or just created), so one unknown to the broker asked is waited for a
 * moment: a new topic reaches every broker's metadata a little after the controller created it.
 */
export async function topicMetadata(connections: ClusterConnections, names?: string[]): Promise<TopicMetadata[]> {
  const answer = await retrying(
    connections,
    async () => {
      const metadata = await connections.metadata(names)
      for (const [topic, errorCode] of metadata.topicErrors) throw new KafkaProtocolError(errorCode, `Metadata for topic "${topic}"`)
      return metadata
    },
    {topicExists: true},
  )
  return [...Map.groupBy(answer.partitions, (p) => p.topic)].map(([name, partitions]) => ({
    name,
    partitions: partitions.map((p) => ({partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas ?? []})),
  }))
}

/** The topic's partitions, each with a leader; LEADER_NOT_AVAILABLE (which `retrying` retries) while one has none. */
async function ledPartitions(connections: ClusterConnections, topic: string, request: string): Promise<PartitionState[]> {
  const partitions = await connections.topicPartitions(topic)
  const leaderless = partitions.find((p) => p.leader < 0)
  if (leaderless) throw new KafkaProtocolError(LEADER_NOT_AVAILABLE, `${request} for ${topic}[${leaderless.partition}]`)
  return partitions
}

/** Waits until a topic just created has a leader for every partition, as the brokers' metadata shows it. */
export async function waitForLeaders(connections: ClusterConnections, topic: string): Promise<void> {
  await retrying(
    connections,
    async () => {
      // A broker may list the new topic before its partitions.
      const partitions = await ledPartitions(connections, topic, 'Metadata')
      if (partitions.length === 0) throw new KafkaProtocolError(LEADER_NOT_AVAILABLE, `Metadata for ${topic}[0]`)
    },
    {topicExists: true},
  )
}

// DescribeConfigs' source codes (KIP-226): dynamic topic config; dynamic broker, dynamic default broker and static
// broker config; Kafka's default.
const CONFIG_SOURCES: Record<number, ConfigSource> = {1: 'topic', 2: 'broker', 3: 'broker', 4: 'broker', 5: 'default'}

/** Every config of a topic with where its value comes from (DescribeConfigs v1, any broker answers). */
export async function topicConfigs(connections: ClusterConnections, topic: string): Promise<ConfigEntry[]> {
  return retrying(connections, async () => {
    const connection = await connections.any()
    const body = new Writer().int32(1).int8(TOPIC_RESOURCE).string(topic).int32(-1).int8(0).bytes() // every key, no synonyms
    const reader = await connection.request({apiKey: DESCRIBE_CONFIGS, apiVersion: 1, body: [body], timeoutMs: REQUEST_TIMEOUT_MS})
    reader.int32() // throttle time
    const [result] = reader.array(() => {
      const errorCode = reader.int16()
      reader.string() // error message
      reader.int8() // resource type
      reader.string() // resource name
      const configs = reader.array((): ConfigEntry => {
        const name = reader.string() ?? ''
        const value = reader.string()
        reader.int8() // read only
        const source = CONFIG_SOURCES[reader.int8()] ?? 'other'
        const sensitive = reader.int8() !== 0
        reader.array(() => [reader.string(), reader.string(), reader.int8()]) // synonyms (none asked for)
        return {name, value, source, sensitive}
      })
      return {errorCode, configs}
    })
    if (!result) throw new KafkaProtocolError(-1, `DescribeConfigs for topic "${topic}"`)
    if (result.errorCode !== 0) throw new KafkaProtocolError(result.errorCode, `DescribeConfigs for topic "${topic}"`)
    return result.configs
  })
}

/**
 * ListOffsets v1 for every partition, asked of each partition's leader: per partition the offset for `timestamp`
 * (EARLIEST, LATEST, or the first offset at or after a time in ms; -1 when there is none).
 */
async function listOffsets(connections: ClusterConnections, topic: string, timestamp: number): Promise<Map<number, number>> {
  return retrying(connections, async () => {
    const byLeader = Map.groupBy(await ledPartitions(connections, topic, 'ListOffsets'), (p) => p.leader)
    const offsets = new Map<number, number>()
    await Promise.all(
      [...byLeader].map(async ([leader, owned]) => {
        const writer = new Writer().int32(-1).int32(1).string(topic).int32(owned.length)
        for (const {partition} of owned) writer.int32(partition).int64(timestamp)
        const connection = await connections.broker(leader)
        const reader = await connection.request({apiKey: LIST_OFFSETS, apiVersion: 1, body: [writer.bytes()], timeoutMs: REQUEST_TIMEOUT_MS})
        reader.array(() => {
          reader.string() // topic
          reader.array(() => {
            const partition = reader.int32()
            const errorCode = reader.int16()
            reader.int64() // timestamp
            const offset = Number(reader.int64())
            if (errorCode !== 0) throw new KafkaProtocolError(errorCode, `ListOffsets for ${topic}[${partition}]`)
            offsets.set(partition, offset)
          })
        })
      }),
    )
    return offsets
  })
}

export async function topicOffsets(connections: ClusterConnections, topic: string): Promise<PartitionOffsets[]> {
  const [low, high] = await Promise.all([listOffsets(connections, topic, EARLIEST), listOffsets(connections, topic, LATEST)])
  return [...high].map(([partition, offset]) => ({partition, low: low.get(partition) ?? 0, high: offset})).sort((a, b) => a.partition - b.partition)
}

export async function offsetsForTimestamp(connections: ClusterConnections, topic: string, timestamp: number): Promise<{partition: number; offset: number}[]> {
  const offsets = await listOffsets(connections, topic, timestamp)
  return [...offsets].map(([partition, offset]) => ({partition, offset})).sort((a, b) => a.partition - b.partition)
}
