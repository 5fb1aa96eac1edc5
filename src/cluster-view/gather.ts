/**
 * Everything `kcl ui` asks Kafka and Docker, in one place, through kcl's own domain modules: the probes for
 * Metadata and DescribeQuorum (the real KRaft controller), the Kafka client for offsets and groups, topics.ts,
 * produce.ts and consume.ts for the actions and the records a page shows. New kinds of groups or connection
 * profiles are added here.
 */
import type {ResolvedConnection} from '../connection/resolve.ts'
import {brokerAddress, hostPort, nodeIds} from '../cluster/spec.ts'
import {clusterContainers} from '../docker/containers.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import type {KafkaClient, PartitionOffsets} from '../kafka/client.ts'
import {consume} from '../kafka/consume.ts'
import {describeGroup} from '../kafka/groups.ts'
import {produce} from '../kafka/produce.ts'
import type {JsonRecord} from '../kafka/records.ts'
import {createTopic, type CreateTopicResult} from '../kafka/topics.ts'
import {
  clusterMetadata,
  connectKafka,
  describeQuorum,
  firstAnswer,
  parseAddress,
  type BrokerAddress,
  type MetadataAnswer,
  type QuorumInfo,
} from '../kafka-client/index.ts'
import type {GroupSnapshot} from './snapshot.ts'

/** Per request of the fast poll: a stopped broker must not hold up the view of the others. */
const PROBE_TIMEOUT_MS = 1000
const METADATA_TIMEOUT_MS = 2000

export interface NewTopicRequest {
  name: string
  partitions?: number
  replicationFactor?: number
}

export interface NewRecordRequest {
  topic: string
  value: string
  key?: string
  partition?: number
}

export class ClusterReader {
  readonly target: ResolvedConnection
  private client: Promise<KafkaClient> | undefined
  /** Brokers seen in metadata: asked too when the bootstrap servers are down. */
  private readonly seenAddresses = new Map<string, BrokerAddress>()

  constructor(target: ResolvedConnection) {
    this.target = target
  }

  /** Nodes known without asking Kafka: a kcl cluster's, by its spec, with the address it is published on. */
  knownNodes(): Map<number, string> {
    const spec = this.target.cluster
    return new Map(spec ? nodeIds(spec).map((id) => [id, `localhost:${hostPort(spec, id)}`]) : [])
  }

  private addresses(): BrokerAddress[] {
    const spec = this.target.cluster
    const own = spec ? nodeIds(spec).map((id) => brokerAddress(spec, id)) : this.target.servers.map(parseAddress)
    const all = new Map(own.map((a) => [`${a.host}:${a.port}`, a]))
    for (const [key, address] of this.seenAddresses) if (!all.has(key)) all.set(key, address)
    return [...all.values()]
  }

  /** One Metadata request (the first broker that answers): brokers, cluster id, every partition. */
  async metadata(): Promise<MetadataAnswer> {
    const answer = await firstAnswer(this.addresses(), (address) => clusterMetadata(address, METADATA_TIMEOUT_MS, this.target.security))
    if (!this.target.cluster) for (const b of answer.brokers) this.seenAddresses.set(`${b.host}:${b.port}`, {host: b.host, port: b.port})
    return answer
  }

  /** One DescribeQuorum request: the KRaft metadata quorum as its leader sees it (never Metadata's "controller id"). */
  quorum(): Promise<QuorumInfo> {
    return firstAnswer(this.addresses(), (address) => describeQuorum(address, PROBE_TIMEOUT_MS, this.target.security))
  }

  /** Container state per node for kcl's own clusters; undefined for any other Kafka. */
  async containers(): Promise<Map<number, {state: string; health: string | undefined}> | undefined> {
    const spec = this.target.cluster
    if (!spec) return undefined
    const containers = await clusterContainers(spec.name)
    return new Map(containers.flatMap((c) => (c.nodeId === undefined ? [] : [[c.nodeId, {state: c.state, health: c.health}] as const])))
  }

  /** The shared client; dropped after a failure so the next poll starts afresh (e.g. once the cluster is back up). */
  private async withClient<T>(work: (client: KafkaClient) => Promise<T>): Promise<T> {
    const connecting = (this.client ??= connectKafka(this.target.servers, {clientId: 'kcl-ui', security: this.target.security}))
    const client = await connecting
    try {
      return await work(client)
    } catch (error) {
      // Bad input (a topic that exists, a record too large) says nothing about the connection.
      if (this.client === connecting && !(error instanceof KclError && error.exitCode === ExitCode.usage)) {
        this.client = undefined
        await client.close().catch(() => {})
      }
      throw error
    }
  }

  /** Log start and end offsets of each topic. */
  offsets(topics: string[]): Promise<Map<string, PartitionOffsets[]>> {
    return this.withClient(async (client) => new Map(await Promise.all(topics.map(async (topic) => [topic, await client.topicOffsets(topic)] as const))))
  }

  /** Every consumer group with its members, committed offsets and lag. */
  groups(): Promise<Omit<GroupSnapshot, 'lagHistory'>[]> {
    return this.withClient(async (client) => {
      const summaries = await client.groups()
      const views = await Promise.all(
        summaries.map(async (summary) => {
          // A group can vanish between the listing and the description.
          const view = await describeGroup(client, summary.groupId).catch(() => undefined)
          return view ? [{...view, protocolType: summary.protocolType}] : []
        }),
      )
      return views.flat()
    })
  }

  /** The last `count` records of a partition, as `kcl consume --output json` prints them. */
  latestRecords(topic: string, partition: number, count: number): Promise<JsonRecord[]> {
    if (!Number.isInteger(count) || count < 1 || count > 500) throw usageError(`The number of records must be 1 to 500, not ${count}.`)
    return this.withClient(async (client) => {
      const lines: string[] = []
      await consume(client, {
        topic,
        partition,
        from: `-${count}`,
        exitAtEnd: true,
        output: 'json',
        out: {
          write: async (chunk) => {
            lines.push(String(chunk))
            return true
          },
          closed: new Promise(() => {}),
        },
        notice: () => {},
      })
      return lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonRecord)
    })
  }

  createTopic(request: NewTopicRequest): Promise<CreateTopicResult> {
    return this.withClient((client) =>
      createTopic(client, {name: request.name, partitions: request.partitions, replicationFactor: request.replicationFactor, configs: [], ifNotExists: false}),
    )
  }

  /** Produces one record with acks=all, as `kcl produce` does; resolves with where it landed. */
  produce(request: NewRecordRequest): Promise<{partition: number; offset: number}> {
    return this.withClient(async (client) => {
      const result = await produce(client, {
        topic: request.topic,
        messages: [request.value],
        input: 'text',
        key: request.key,
        headers: [],
        partition: request.partition,
        acks: 'all',
        compression: 'none',
        stdin: (async function* () {})(),
      })
      const delivery = result.deliveries[0]
      return {partition: delivery?.partition ?? -1, offset: delivery?.offset ?? -1}
    })
  }

  async close(): Promise<void> {
    const client = this.client
    this.client = undefined
    await client?.then((c) => c.close()).catch(() => {})
  }
}
