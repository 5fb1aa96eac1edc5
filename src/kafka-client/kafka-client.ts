import type {Admin, Consumer, IHeaders, Kafka, KafkaMessage, logCreator} from 'kafkajs'
import type {
  BrokerInfo,
  CommittedOffset,
  ConfigEntry,
  ConnectOptions,
  ConsumedRecord,
  ConsumeRequest,
  ConsumeSession,
  GroupDescription,
  GroupSummary,
  KafkaClient,
  NewTopic,
  PartitionOffsets,
  ProducedBatch,
  ProducerOptions,
  RecordHeader,
  RecordProducer,
  TopicMetadata,
} from '../kafka/client.ts'
import {KclError} from '../errors.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {ClusterConnections} from './cluster.ts'
import {translateKafkaError, unreachable} from './errors.ts'
import {kafkajsSecurity, loadKafkajs} from './kafkajs.ts'
import {readPartitions} from './partition-reader.ts'
import * as wire from './admin.ts'
import {brokerMetadata, firstAnswer} from './probes.ts'
import {parseAddress} from './connection.ts'
import {openProducer} from './producer.ts'

type KafkaJs = typeof import('kafkajs')

// An unreachable bootstrap server is caught by a probe before kafkajs starts (one line, in seconds), so
// kafkajs can retry patiently (about 30 s in all): a fresh cluster answers "coordinator not available"
// for a few seconds while it creates __consumer_offsets on the first group request, and after a failover
// the new leaders of the internal topics' partitions load them before coordinators answer again.
const RETRY = {retries: 12, initialRetryTime: 250, maxRetryTime: 3000}
const CONNECTION_TIMEOUT_MS = 3000
const GROUP_JOIN_BUDGET_MS = 30_000
const REQUEST_TIMEOUT_MS = 15_000

/** kafkajs logs nothing unless KCL_DEBUG is set; then everything goes to stderr. */
function debugLogCreator(kafkajs: KafkaJs): {logLevel: number; logCreator?: logCreator} {
  if (!process.env.KCL_DEBUG) return {logLevel: kafkajs.logLevel.NOTHING}
  return {
    logLevel: kafkajs.logLevel.DEBUG,
    logCreator: () => (entry) => process.stderr.write(`kafkajs ${entry.label} ${entry.namespace}: ${JSON.stringify(entry.log)}\n`),
  }
}

const toNumber = (value: string | number | null | undefined): number => (value === null || value === undefined ? -1 : Number(value))

function fromHeaders(headers: IHeaders | undefined): RecordHeader[] {
  if (!headers) return []
  const result: RecordHeader[] = []
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) result.push([key, Buffer.isBuffer(one) ? one : Buffer.from(one)])
  }
  return result
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

/**
 * kafkajs for topic changes and consumer groups; kcl's own wire code for producing, reading without a group
 * and the topic reads those need first, so `kcl produce` and `kcl consume` never load kafkajs.
 */
export class KclKafkaClient implements KafkaClient {
  readonly servers: string[]
  private readonly options: ConnectOptions
  private kafkaPromise: Promise<{kafkajs: KafkaJs; kafka: Kafka}> | undefined
  private adminPromise: Promise<Admin> | undefined
  private wire: ClusterConnections | undefined
  private closed = false

  constructor(servers: string[], options: ConnectOptions) {
    this.servers = servers
    this.options = options
  }

  private kafka(): Promise<{kafkajs: KafkaJs; kafka: Kafka}> {
    this.kafkaPromise ??= this.probe().then(loadKafkajs).then((module) => {
      const kafkajs = ((module as unknown as {default?: KafkaJs}).default ?? module) as KafkaJs
      const kafka = new kafkajs.Kafka({
        clientId: this.clientId,
        brokers: this.servers,
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        retry: RETRY,
        ...kafkajsSecurity(this.security),
        ...debugLogCreator(kafkajs),
      })
      return {kafkajs, kafka}
    })
    return this.kafkaPromise
  }

  /** Fails fast, with one clear line, when no bootstrap server answers a Metadata request. */
  private async probe(): Promise<void> {
    try {
      await firstAnswer(this.servers.map(parseAddress), (address) => brokerMetadata(address, CONNECTION_TIMEOUT_MS, this.security))
    } catch (error) {
      // TLS and SASL failures already say what is wrong, and kafkajs would only say it worse.
      throw error instanceof KclError ? error : unreachable(this.servers, error)
    }
  }

  /** Runs a read on kcl's own wire code, translating its errors into kcl's. */
  private async read<T>(call: (connections: ClusterConnections) => Promise<T>, context: {topic?: string} = {}): Promise<T> {
    try {
      return await call(this.connections())
    } catch (error) {
      throw translateKafkaError(error, {servers: this.servers, ...context})
    }
  }

  /** The connections of the data path and of the reads it needs, shared by all of them. */
  private connections(): ClusterConnections {
    this.wire ??= new ClusterConnections(this.servers, this.clientId, this.security)
    return this.wire
  }

  /** Runs an admin call, translating the client's errors into kcl's. */
  private async admin<T>(call: (admin: Admin, kafkajs: KafkaJs) => Promise<T>, context: {topic?: string; group?: string} = {}): Promise<T> {
    // An admin connected after close() would never be disconnected and keep kcl from exiting.
    if (this.closed) throw new Error('the Kafka client is closed')
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
    return this.read((connections) => wire.topicNames(connections))
  }

  async topicMetadata(names?: string[]): Promise<TopicMetadata[]> {
    return this.read((connections) => wire.topicMetadata(connections, names), {topic: names?.[0]})
  }

  async createTopic(topic: NewTopic): Promise<boolean> {
    const created = await this.admin(
      (admin) =>
        admin.createTopics({
          // kafkajs' own wait asks one broker and gives up when that one does not know the new topic yet.
          waitForLeaders: false,
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
    if (created) await this.read((connections) => wire.waitForLeaders(connections, topic.name), {topic: topic.name})
    return created
  }

  async deleteTopic(name: string): Promise<void> {
    await this.admin((admin) => admin.deleteTopics({topics: [name]}), {topic: name})
  }

  async topicConfigs(name: string): Promise<ConfigEntry[]> {
    return this.read((connections) => wire.topicConfigs(connections, name), {topic: name})
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.read((connections) => wire.topicOffsets(connections, topic), {topic})
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<{partition: number; offset: number}[]> {
    return this.read((connections) => wire.offsetsForTimestamp(connections, topic, timestamp), {topic})
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
    const producer = await openProducer(this.connections(), options).catch((error: unknown) => {
      throw translateKafkaError(error, context)
    })
    return {
      async send(topic, records): Promise<ProducedBatch[]> {
        try {
          return await producer.send(topic, records)
        } catch (error) {
          throw translateKafkaError(error, {...context, topic})
        }
      },
      close: () => producer.close(),
    }
  }

  async consume(request: ConsumeRequest): Promise<ConsumeSession> {
    const context = {servers: this.servers, topic: request.topic, group: request.group}
    const {group} = request
    if (group === undefined) {
      // Its own connections: stopping the read closes them, whatever else this client still does.
      const session = readPartitions(new ClusterConnections(this.servers, this.clientId, this.security), request)
      const finished = session.finished.catch((error: unknown) => {
        throw translateKafkaError(error, context)
      })
      finished.catch(() => {})
      return {finished, stop: session.stop}
    }
    const {kafka, kafkajs} = await this.kafka()
    let assigned: number[] | undefined
    let stopping: Promise<void> | undefined
    // The first group on a fresh cluster creates __consumer_offsets, whose coordinators move for a few seconds
    // ("not the coordinator") while its partitions get leaders; kafkajs gives up joining on that. Until the group
    // has assigned this consumer its partitions, kafkajs restarts it on such retriable failures, for a while.
    const joinDeadline = performance.now() + GROUP_JOIN_BUDGET_MS
    const consumer: Consumer = kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      partitionAssigners: [kafkajs.PartitionAssigners.roundRobin],
      maxBytes: 50 * 1024 * 1024,
      maxBytesPerPartition: 10 * 1024 * 1024,
      maxWaitTimeInMs: 500,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      retry: {...RETRY, restartOnFailure: async () => assigned === undefined && !stopping && performance.now() < joinDeadline},
    })

    let resolveFinished: () => void = () => {}
    let rejectFinished: (error: unknown) => void = () => {}
    const finished = new Promise<void>((resolve, reject) => {
      resolveFinished = resolve
      rejectFinished = reject
    })
    finished.catch(() => {})

    consumer.on(consumer.events.GROUP_JOIN, async ({payload}) => {
      const partitions = [...(payload.memberAssignment[request.topic] ?? [])].sort((a, b) => a - b)
      for (const partition of partitions) {
        const offset = request.startOffsets?.get(partition)
        if (offset !== undefined) consumer.seek({topic: request.topic, partition, offset: String(offset)})
      }
      if (partitions.join() !== assigned?.join()) {
        assigned = partitions
        try {
          await request.onAssignment(partitions)
        } catch (error) {
          rejectFinished(error)
        }
      }
    })
    consumer.on(consumer.events.CRASH, ({payload}) => {
      // A restart is kafkajs trying again; a failure while leaving (the last commit) does not undo what was read.
      if (payload.restart || stopping) return
      rejectFinished(translateKafkaError(payload.error, context))
    })

    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await consumer.disconnect().catch(() => {})
        resolveFinished()
      })()
      return stopping
    }

    try {
      await consumer.connect()
      await consumer.subscribe({topics: [request.topic], fromBeginning: request.fromBeginning})
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        eachBatch: async ({batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale}) => {
          if (stopping || !isRunning() || isStale() || batch.messages.length === 0) return
          const records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m))
          const taken = await request.onRecords(records)
          if (taken > 0) {
            resolveOffset(batch.messages[taken - 1]!.offset)
            await commitOffsetsIfNecessary()
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
    this.closed = true
    this.wire?.close()
    if (this.adminPromise) await (await this.adminPromise.catch(() => undefined))?.disconnect()
  }

  private get security(): ConnectionSecurity {
    return this.options.security ?? {}
  }

  private get clientId(): string {
    return this.options.clientId ?? 'kcl'
  }
}
