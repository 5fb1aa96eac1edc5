import {randomBytes} from 'node:crypto'
import {createRequire} from 'node:module'
import {isSea} from 'node:sea'
import type {Admin, Assigner, Consumer, IHeaders, Kafka, KafkaMessage, logCreator, Message, PartitionAssigner} from 'kafkajs'
import type {
  BrokerInfo,
  CommittedOffset,
  ConfigEntry,
  ConfigSource,
  ConnectOptions,
  ConsumedRecord,
  ConsumeRequest,
  ConsumeSession,
  GroupDescription,
  GroupSummary,
  KafkaClient,
  NewTopic,
  OutgoingRecord,
  PartitionOffsets,
  ProducedBatch,
  ProducerOptions,
  RecordHeader,
  RecordProducer,
  TopicMetadata,
} from './client.ts'
import {translateKafkaError, unreachable} from './errors.ts'
import {brokerMetadata, firstAnswer} from './probes.ts'
import {parseAddress} from './wire.ts'
import {loadKafkajs} from './kafkajs.ts'

type KafkaJs = typeof import('kafkajs')

// An unreachable bootstrap server is caught by a probe before kafkajs starts (one line, in seconds), so
// kafkajs can retry patiently (about 30 s in all): a fresh cluster answers "coordinator not available"
// for a few seconds while it creates __consumer_offsets on the first group request, and after a failover
// the new leaders of the internal topics' partitions load them before coordinators answer again.
const RETRY = {retries: 12, initialRetryTime: 250, maxRetryTime: 3000}
const CONNECTION_TIMEOUT_MS = 3000
const REQUEST_TIMEOUT_MS = 15_000

/**
 * kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` per message, which is
 * quadratic: for a batch of 7,500 lines it spent more time copying arrays (and collecting them) than
 * everything else. kafkajs is pinned and unmaintained, so its module is replaced, before kafkajs loads,
 * by the same grouping in linear time.
 */
function linearPartitionGrouping(): void {
  // In the standalone binary kafkajs is bundled, not on disk: bin/build-binary.mjs puts the function below in its place.
  if (isSea()) return
  const require = createRequire(import.meta.url)
  const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')
  require(path)
  const cached = require.cache[path]
  if (!cached) return
  cached.exports = groupMessagesPerPartitionLinearly
}

export function groupMessagesPerPartitionLinearly({topic, partitionMetadata, messages, partitioner}: GroupingInput): Record<number, Message[]> {
  const result: Record<number, Message[]> = {}
  if (partitionMetadata.length === 0) return result
  for (const message of messages) (result[partitioner({topic, partitionMetadata, message})] ??= []).push(message)
  return result
}

interface GroupingInput {
  topic: string
  partitionMetadata: unknown[]
  messages: Message[]
  partitioner: (args: {topic: string; partitionMetadata: unknown[]; message: Message}) => number
}

/** kafkajs logs nothing unless KCL_DEBUG is set; then everything goes to stderr. */
function debugLogCreator(kafkajs: KafkaJs): {logLevel: number; logCreator?: logCreator} {
  if (!process.env.KCL_DEBUG) return {logLevel: kafkajs.logLevel.NOTHING}
  return {
    logLevel: kafkajs.logLevel.DEBUG,
    logCreator: () => (entry) => process.stderr.write(`kafkajs ${entry.label} ${entry.namespace}: ${JSON.stringify(entry.log)}\n`),
  }
}

const toNumber = (value: string | number | null | undefined): number => (value === null || value === undefined ? -1 : Number(value))

function toHeaders(headers: RecordHeader[]): IHeaders | undefined {
  if (headers.length === 0) return undefined
  const result: Record<string, Buffer[]> = {}
  for (const [key, value] of headers) (result[key] ??= []).push(value)
  return Object.fromEntries(Object.entries(result).map(([key, values]) => [key, values.length === 1 ? values[0] : values])) as IHeaders
}

function fromHeaders(headers: IHeaders | undefined): RecordHeader[] {
  if (!headers) return []
  const result: RecordHeader[] = []
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) result.push([key, Buffer.isBuffer(one) ? one : Buffer.from(one)])
  }
  return result
}

function toMessage(record: OutgoingRecord): Message {
  return {key: record.key, value: record.value, headers: toHeaders(record.headers), partition: record.partition}
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
    headers: fromHeaders(message.headers),
  }
}

// DescribeConfigs' source codes (KIP-226).
const CONFIG_SOURCES: Record<number, ConfigSource> = {1: 'topic', 4: 'broker', 5: 'default'}

export class KafkajsClient implements KafkaClient {
  readonly servers: string[]
  private readonly options: ConnectOptions
  private kafkaPromise: Promise<{kafkajs: KafkaJs; kafka: Kafka}> | undefined
  private adminPromise: Promise<Admin> | undefined

  constructor(servers: string[], options: ConnectOptions) {
    this.servers = servers
    this.options = options
  }

  private kafka(): Promise<{kafkajs: KafkaJs; kafka: Kafka}> {
    this.kafkaPromise ??= this.probe().then(() => {
      linearPartitionGrouping()
      return loadKafkajs()
    }).then((module) => {
      const kafkajs = ((module as unknown as {default?: KafkaJs}).default ?? module) as KafkaJs
      const kafka = new kafkajs.Kafka({
        clientId: this.options.clientId ?? 'kcl',
        brokers: this.servers,
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        retry: RETRY,
        ...debugLogCreator(kafkajs),
      })
      return {kafkajs, kafka}
    })
    return this.kafkaPromise
  }

  /** Fails fast, with one clear line, when no bootstrap server answers a Metadata request. */
  private async probe(): Promise<void> {
    try {
      await firstAnswer(this.servers.map(parseAddress), (address) => brokerMetadata(address, CONNECTION_TIMEOUT_MS))
    } catch (error) {
      throw unreachable(this.servers, error)
    }
  }

  /** Runs an admin call, translating the client's errors into kcl's. */
  private async admin<T>(call: (admin: Admin, kafkajs: KafkaJs) => Promise<T>, context: {topic?: string; group?: string} = {}): Promise<T> {
    try {
      const {kafka, kafkajs} = await this.kafka()
      this.adminPromise ??= (async () => {
        const admin = kafka.admin({retry: RETRY})
        await admin.connect()
        return admin
      })()
      return await call(await this.adminPromise, kafkajs)
    } catch (error) {
      throw translateKafkaError(error, {servers: this.servers, ...context})
    }
  }

  async brokers(): Promise<BrokerInfo[]> {
    return this.admin(async (admin) => (await admin.describeCluster()).brokers.map((b) => ({nodeId: b.nodeId, host: b.host, port: b.port})))
  }

  async topicNames(): Promise<string[]> {
    return this.admin(async (admin) => (await admin.listTopics()).sort())
  }

  async topicMetadata(names?: string[]): Promise<TopicMetadata[]> {
    return this.admin(
      async (admin) => {
        const {topics} = await admin.fetchTopicMetadata(names ? {topics: names} : undefined)
        return topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions
            .map((p) => ({
              partition: p.partitionId,
              leader: p.leader,
              replicas: p.replicas,
              isr: p.isr,
              offlineReplicas: p.offlineReplicas ?? [],
            }))
            .sort((a, b) => a.partition - b.partition),
        }))
      },
      {topic: names?.[0]},
    )
  }

  async createTopic(topic: NewTopic): Promise<boolean> {
    return this.admin(
      (admin) =>
        admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: topic.name,
              numPartitions: topic.partitions ?? -1,
              replicationFactor: topic.replicationFactor ?? -1,
              configEntries: Object.entries(topic.configs).map(([name, value]) => ({name, value})),
            },
          ],
        }),
      {topic: topic.name},
    )
  }

  async deleteTopic(name: string): Promise<void> {
    await this.admin((admin) => admin.deleteTopics({topics: [name]}), {topic: name})
  }

  async topicConfigs(name: string): Promise<ConfigEntry[]> {
    return this.admin(
      async (admin, kafkajs) => {
        const {resources} = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{type: kafkajs.ConfigResourceTypes.TOPIC, name}],
        })
        return (resources[0]?.configEntries ?? []).map((entry) => ({
          name: entry.configName,
          value: entry.configValue,
          source: CONFIG_SOURCES[(entry as {configSource?: number}).configSource ?? -1] ?? (entry.isDefault ? 'default' : 'other'),
          sensitive: entry.isSensitive,
        }))
      },
      {topic: name},
    )
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.admin(
      async (admin) =>
        (await admin.fetchTopicOffsets(topic))
          .map((p) => ({partition: p.partition, low: Number(p.low), high: Number(p.high)}))
          .sort((a, b) => a.partition - b.partition),
      {topic},
    )
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<{partition: number; offset: number}[]> {
    return this.admin(
      async (admin) => (await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((p) => ({partition: p.partition, offset: Number(p.offset)})),
      {topic},
    )
  }

  async groups(): Promise<GroupSummary[]> {
    return this.admin(async (admin) =>
      (await admin.listGroups()).groups.map((g) => ({groupId: g.groupId, protocolType: g.protocolType})).sort((a, b) => a.groupId.localeCompare(b.groupId)),
    )
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    return this.admin(
      async (admin, kafkajs) => {
        const {groups} = await admin.describeGroups([groupId])
        const group = groups[0]
        if (!group) return {groupId, state: 'Dead', protocolType: '', members: []}
        return {
          groupId,
          state: group.state,
          protocolType: group.protocolType,
          members: group.members.map((member) => {
            const decoded = member.memberAssignment.length > 0 ? kafkajs.AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null
            return {memberId: member.memberId, clientId: member.clientId, clientHost: member.clientHost, assignment: decoded?.assignment ?? {}}
          }),
        }
      },
      {group: groupId},
    )
  }

  async committedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]> {
    return this.admin(
      async (admin) => {
        const response = await admin.fetchOffsets({groupId, topics})
        return response.flatMap(({topic, partitions}) => partitions.map((p) => ({topic, partition: p.partition, offset: toNumber(p.offset)})))
      },
      {group: groupId, topic: topics?.[0]},
    )
  }

  async commitGroupOffsets(groupId: string, topic: string, offsets: {partition: number; offset: number}[]): Promise<void> {
    await this.admin(
      (admin) => admin.setOffsets({groupId, topic, partitions: offsets.map((o) => ({partition: o.partition, offset: String(o.offset)}))}),
      {group: groupId, topic},
    )
  }

  async producer(options: ProducerOptions): Promise<RecordProducer> {
    const context = {servers: this.servers}
    const {kafka, kafkajs} = await this.kafka()
    const idempotent = options.acks === 'all'
    const producer = kafka.producer({
      idempotent,
      // One request in flight keeps the idempotent producer's sequence numbers in order.
      maxInFlightRequests: idempotent ? 1 : 5,
      allowAutoTopicCreation: false,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      retry: idempotent ? {...RETRY, retries: 5} : RETRY,
    })
    try {
      await producer.connect()
    } catch (error) {
      throw translateKafkaError(error, context)
    }
    const acks = options.acks === 'all' ? -1 : Number(options.acks)
    const compression = options.compression === 'gzip' ? kafkajs.CompressionTypes.GZIP : kafkajs.CompressionTypes.None
    return {
      async send(topic, records): Promise<ProducedBatch[]> {
        try {
          const metadata = await producer.send({topic, acks, compression, messages: records.map(toMessage)})
          return metadata.map((m) => ({partition: m.partition, baseOffset: toNumber(m.baseOffset ?? m.offset)}))
        } catch (error) {
          throw translateKafkaError(error, {...context, topic})
        }
      },
      async close() {
        await producer.disconnect().catch(() => {})
      },
    }
  }

  async consume(request: ConsumeRequest): Promise<ConsumeSession> {
    const {kafka, kafkajs} = await this.kafka()
    // kafkajs can only consume as a group member. Without --group kcl joins a group of its own, whose one
    // member gets every (requested) partition, never commits, and deletes the group when it leaves.
    const throwaway = request.group === undefined
    const groupId = request.group ?? `kcl-consume-${process.pid}-${randomBytes(4).toString('hex')}`
    const context = {servers: this.servers, topic: request.topic, group: request.group}
    const consumer: Consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      partitionAssigners: throwaway ? [takeEverything(kafkajs, request.partitions)] : [kafkajs.PartitionAssigners.roundRobin],
      maxBytes: 50 * 1024 * 1024,
      maxBytesPerPartition: 10 * 1024 * 1024,
      maxWaitTimeInMs: 500,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      retry: {...RETRY, restartOnFailure: async () => false},
    })

    let resolveFinished: () => void = () => {}
    let rejectFinished: (error: unknown) => void = () => {}
    const finished = new Promise<void>((resolve, reject) => {
      resolveFinished = resolve
      rejectFinished = reject
    })
    finished.catch(() => {})

    let assigned: number[] = []
    consumer.on(consumer.events.GROUP_JOIN, async ({payload}) => {
      const partitions = [...(payload.memberAssignment[request.topic] ?? [])].sort((a, b) => a - b)
      for (const partition of partitions) {
        const offset = request.startOffsets?.get(partition)
        if (offset !== undefined) consumer.seek({topic: request.topic, partition, offset: String(offset)})
      }
      if (partitions.join() !== assigned.join()) {
        assigned = partitions
        try {
          await request.onAssignment(partitions)
        } catch (error) {
          rejectFinished(error)
        }
      }
    })
    consumer.on(consumer.events.CRASH, ({payload}) => rejectFinished(translateKafkaError(payload.error, context)))

    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await consumer.disconnect().catch(() => {})
        if (throwaway) await this.admin((admin) => admin.deleteGroups([groupId])).catch(() => {})
        resolveFinished()
      })()
      return stopping
    }

    try {
      await consumer.connect()
      await consumer.subscribe({topics: [request.topic], fromBeginning: request.fromBeginning})
      await consumer.run({
        autoCommit: !throwaway,
        eachBatchAutoResolve: false,
        eachBatch: async ({batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale}) => {
          if (stopping || !isRunning() || isStale() || batch.messages.length === 0) return
          const records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m))
          const taken = await request.onRecords(records)
          if (taken > 0) {
            resolveOffset(batch.messages[taken - 1]!.offset)
            if (!throwaway) await commitOffsetsIfNecessary()
          }
        },
      })
    } catch (error) {
      await consumer.disconnect().catch(() => {})
      throw translateKafkaError(error, context)
    }
    return {finished, stop}
  }

  async close(): Promise<void> {
    if (this.adminPromise) await (await this.adminPromise.catch(() => undefined))?.disconnect()
  }
}

/** The assigner of kcl's throwaway groups: the only member takes every partition, or just the requested ones. */
function takeEverything(kafkajs: KafkaJs, only: number[] | undefined): PartitionAssigner {
  const {MemberAssignment, MemberMetadata} = kafkajs.AssignerProtocol
  return ({cluster}): Assigner => ({
    name: 'KclTakeEverything',
    version: 0,
    async assign({members, topics}) {
      const assignment: Record<string, number[]> = {}
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)
        assignment[topic] = partitions.filter((p) => only === undefined || only.includes(p)).sort((a, b) => a - b)
      }
      return members.map((member, index) => ({
        memberId: member.memberId,
        memberAssignment: MemberAssignment.encode({version: 0, assignment: index === 0 ? assignment : {}, userData: Buffer.alloc(0)}),
      }))
    },
    protocol({topics}) {
      return {name: 'KclTakeEverything', metadata: MemberMetadata.encode({version: 0, topics, userData: Buffer.alloc(0)})}
    },
  })
}
