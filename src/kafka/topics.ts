import {usageError} from '../errors.ts'
import type {ConfigEntry, KafkaClient, PartitionInfo} from './client.ts'

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/
export const MAX_TOPIC_NAME_LENGTH = 249

/** Kafka's own rules for topic names, checked before anything reaches the broker. */
export function validateTopicName(name: string): string {
  if (name.length === 0) throw usageError('The topic name is empty.', 'Use 1 to 249 characters of a-z, A-Z, 0-9, ".", "_" and "-".')
  if (name === '.' || name === '..') throw usageError(`"${name}" cannot be a topic name.`, 'Kafka reserves "." and "..".')
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw usageError(`The topic name is ${name.length} characters long; Kafka allows at most ${MAX_TOPIC_NAME_LENGTH}.`)
  }
  if (!TOPIC_NAME.test(name)) {
    const bad = [...name].find((c) => !/[a-zA-Z0-9._-]/.test(c))
    throw usageError(`Topic name "${name}" contains "${bad}", which Kafka does not allow.`, 'Use only a-z, A-Z, 0-9, ".", "_" and "-".')
  }
  return name
}

const CONFIG_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/

/** `--config key=value …` into an object; the broker checks names and values, kcl only the shape. */
export function parseTopicConfigs(entries: string[]): Record<string, string> {
  const configs: Record<string, string> = {}
  for (const entry of entries) {
    const equals = entry.indexOf('=')
    const name = entry.slice(0, equals)
    if (equals <= 0 || !CONFIG_NAME.test(name)) {
      throw usageError(`--config "${entry}" is not key=value.`, 'For example --config retention.ms=86400000.')
    }
    if (name in configs) throw usageError(`--config ${name} is given twice.`)
    configs[name] = entry.slice(equals + 1)
  }
  return configs
}

export interface CreateTopicRequest {
  name: string
  partitions?: number
  replicationFactor?: number
  configs: string[]
  ifNotExists: boolean
}

export interface CreateTopicResult {
  name: string
  created: boolean
  partitions: number
  replicationFactor: number
}

/** More partitions than this in one topic is a typo: Kafka would try, and a local broker would choke on it. */
const MAX_PARTITIONS = 10_000

export async function createTopic(client: KafkaClient, request: CreateTopicRequest): Promise<CreateTopicResult> {
  validateTopicName(request.name)
  if (request.partitions !== undefined && (!Number.isInteger(request.partitions) || request.partitions < 1 || request.partitions > MAX_PARTITIONS)) {
    throw usageError(`--partitions must be from 1 to ${MAX_PARTITIONS}, not ${request.partitions}.`, 'A topic rarely needs more than a few hundred; more can be added later, never fewer.')
  }
  if (request.replicationFactor !== undefined && (!Number.isInteger(request.replicationFactor) || request.replicationFactor < 1)) {
    throw usageError(`--replication-factor must be 1 or more, not ${request.replicationFactor}.`)
  }
  const configs = parseTopicConfigs(request.configs)
  if (request.replicationFactor !== undefined) {
    const brokers = await client.brokers()
    if (request.replicationFactor > brokers.length) {
      throw usageError(
        `--replication-factor ${request.replicationFactor} is more than the ${brokers.length} broker${brokers.length === 1 ? '' : 's'} this cluster has.`,
        `Use --replication-factor ${brokers.length} or less, or start a bigger cluster (kcl up --brokers ${request.replicationFactor}).`,
      )
    }
  }
  const created = await client.createTopic({name: request.name, partitions: request.partitions, replicationFactor: request.replicationFactor, configs})
  if (!created && !request.ifNotExists) {
    throw usageError(`Topic "${request.name}" already exists.`, 'Pass --if-not-exists to accept an existing topic.')
  }
  const [metadata] = await client.topicMetadata([request.name])
  return {
    name: request.name,
    created,
    partitions: metadata?.partitions.length ?? 0,
    replicationFactor: metadata?.partitions[0]?.replicas.length ?? 0,
  }
}

export interface TopicSummary {
  name: string
  partitions: number
  replicationFactor: number
  internal: boolean
}

export async function listTopics(client: KafkaClient, options: {internal: boolean}): Promise<TopicSummary[]> {
  const topics = await client.topicMetadata()
  return topics
    .map((t) => ({
      name: t.name,
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      internal: t.name.startsWith('__'),
    }))
    .filter((t) => options.internal || !t.internal)
    .sort((a, b) => compareTopicNames(a.name, b.name))
}

// Primary weights of ICU's root collation (what localeCompare uses) for the characters of topic names.
const COLLATION_ORDER = '_-.0123456789abcdefghijklmnopqrstuvwxyz'

/**
 * The order a.localeCompare(b) gives two topic names in English (punctuation, digits, then letters regardless of case; lower case
 * first among names that differ only in case), without it: creating ICU's collator costs a command ~5 ms.
 */
export function compareTopicNames(a: string, b: string): number {
  if (!TOPIC_NAME.test(a) || !TOPIC_NAME.test(b)) return a.localeCompare(b)
  const weight = (c: string) => COLLATION_ORDER.indexOf(c.toLowerCase())
  const common = Math.min(a.length, b.length)
  for (let i = 0; i < common; i++) {
    const difference = weight(a[i] as string) - weight(b[i] as string)
    if (difference !== 0) return difference
  }
  if (a.length !== b.length) return a.length - b.length
  for (let i = 0; i < common; i++) {
    if (a[i] !== b[i]) return a[i] === (a[i] as string).toLowerCase() ? -1 : 1
  }
  return 0
}

/** Fails with a clear message when the topic does not exist (instead of the client's retries). */
export async function requireTopic(client: KafkaClient, name: string): Promise<PartitionInfo[]> {
  validateTopicName(name)
  const names = await client.topicNames()
  if (!names.includes(name)) {
    throw usageError(`Topic "${name}" does not exist.`, `\`kcl topic list\` shows the topics; \`kcl topic create ${name}\` makes it.`)
  }
  const [metadata] = await client.topicMetadata([name])
  return metadata?.partitions ?? []
}

export interface PartitionDescription extends PartitionInfo {
  underReplicated: boolean
  offline: boolean
  low: number
  high: number
}

export interface TopicDescription {
  name: string
  partitions: PartitionDescription[]
  replicationFactor: number
  /** Configs set on this topic, i.e. that differ from the broker's defaults. */
  configs: ConfigEntry[]
}

export async function describeTopic(client: KafkaClient, name: string): Promise<TopicDescription> {
  const partitions = await requireTopic(client, name)
  const [offsets, configs] = await Promise.all([client.topicOffsets(name), client.topicConfigs(name)])
  return {
    name,
    replicationFactor: partitions[0]?.replicas.length ?? 0,
    partitions: partitions.map((p) => {
      const o = offsets.find((x) => x.partition === p.partition)
      return {
        ...p,
        offline: p.leader < 0,
        underReplicated: p.isr.length < p.replicas.length,
        low: o?.low ?? 0,
        high: o?.high ?? 0,
      }
    }),
    configs: configs.filter((c) => c.source === 'topic'),
  }
}

/** Deletes a topic once it is known to exist and `confirmed` agrees; false when it did not. */
export async function deleteTopic(client: KafkaClient, name: string, confirmed: () => Promise<boolean>): Promise<boolean> {
  await requireTopic(client, name)
  if (!(await confirmed())) return false
  await client.deleteTopic(name)
  return true
}
