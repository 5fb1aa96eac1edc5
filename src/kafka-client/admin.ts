/**
 * Admin requests: topics, configs, offsets, groups and committed offsets, each sent to the broker that serves it
 * (any broker, a partition's leader, a group's coordinator) and retried while the cause goes away by itself.
 */

import type {
  Assignment,
  BrokerInfo,
  CommittedOffset,
  ConfigEntry,
  ConfigSource,
  GroupDescription,
  GroupSummary,
  NewTopic,
  PartitionOffsets,
  SharePartitionOffset,
  TopicMetadata,
} from '../kafka/client.ts'
import {emptyAssignment} from './assignors.ts'
import {usageError} from '../errors.ts'
import {coordinatorMoved, type Cluster, type PartitionState} from './cluster.ts'
import type {BrokerConnection} from './connection.ts'
import {GROUP_ID_NOT_FOUND, KafkaProtocolError, LEADER_NOT_AVAILABLE, TOPIC_ALREADY_EXISTS} from './protocol/error-codes.ts'
import {
  ConsumerGroupDescribe,
  CreateTopics,
  DeleteGroups,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  DescribeShareGroupOffsets,
  IncrementalAlterConfigs,
  ListGroups,
  ListOffsets,
  OffsetCommit,
  OffsetFetch,
  ShareGroupDescribe,
  readConsumerProtocolAssignment,
} from './protocol/messages/index.ts'
import type {AnyApi} from './protocol/api.ts'
import {Reader} from './protocol/primitives.ts'
import {retrying} from './retry.ts'

const REQUEST_TIMEOUT_MS = 10_000
/** How long the controller may take to create or delete a topic before answering. */
const TOPIC_CHANGE_TIMEOUT_MS = 30_000
const TOPIC_RESOURCE = 2
const GROUP_RESOURCE = 32
const CONFIG_SET = 0
const CONFIG_DELETE = 1
const EARLIEST = -2n
const LATEST = -1n
/** Offsets a consumer that reads committed records sees: up to the last stable offset, as kcl's reads do. */
const READ_COMMITTED = 1

/** Throws the error a result carries, naming what was asked. */
function check(errorCode: number, what: string, message?: string | null): void {
  if (errorCode !== 0) throw new KafkaProtocolError(errorCode, what, message)
}

export async function brokers(cluster: Cluster): Promise<BrokerInfo[]> {
  return retrying(cluster, async () => {
    const response = await (await cluster.any()).request(DescribeCluster, {includeClusterAuthorizedOperations: false}, REQUEST_TIMEOUT_MS)
    check(response.errorCode, 'DescribeCluster', response.errorMessage)
    return response.brokers.map((b) => ({nodeId: b.brokerId, host: b.host, port: b.port})).sort((a, b) => a.nodeId - b.nodeId)
  })
}

export async function topicNames(cluster: Cluster): Promise<string[]> {
  const answer = await retrying(cluster, () => cluster.metadata(undefined))
  return [...new Set(answer.partitions.map((p) => p.topic))].concat([...answer.topicErrors.keys()]).sort()
}

/**
 * Metadata of the named topics (every topic when none named); throws for a topic that does not exist. Callers
 * ask for topics they know exist (listed, or just created), so one unknown to the broker asked is waited for a
 * moment: a new topic reaches every broker's metadata a little after the controller created it.
 */
export async function topicMetadata(cluster: Cluster, names?: string[]): Promise<TopicMetadata[]> {
  const answer = await retrying(
    cluster,
    async () => {
      const metadata = await cluster.metadata(names)
      for (const [topic, errorCode] of metadata.topicErrors) throw new KafkaProtocolError(errorCode, `Metadata for topic "${topic}"`)
      return metadata
    },
    {topicExists: true},
  )
  return [...Map.groupBy(answer.partitions, (p) => p.topic)].map(([name, partitions]) => ({
    name,
    partitions: partitions.map((p) => ({partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas})),
  }))
}

/** The topic's partitions, each with a leader; LEADER_NOT_AVAILABLE (which `retrying` retries) while one has none. */
async function ledPartitions(cluster: Cluster, topic: string, request: string): Promise<PartitionState[]> {
  const partitions = await cluster.topicPartitions(topic)
  const leaderless = partitions.find((p) => p.leader < 0)
  if (leaderless) throw new KafkaProtocolError(LEADER_NOT_AVAILABLE, `${request} for ${topic}[${leaderless.partition}]`)
  return partitions
}

/** Waits until a topic just created has a leader for every partition, as the brokers' metadata shows it. */
export async function waitForLeaders(cluster: Cluster, topic: string): Promise<void> {
  await retrying(
    cluster,
    async () => {
      // A broker may list the new topic before its partitions.
      const partitions = await ledPartitions(cluster, topic, 'Metadata')
      if (partitions.length === 0) throw new KafkaProtocolError(LEADER_NOT_AVAILABLE, `Metadata for ${topic}[0]`)
    },
    {topicExists: true},
  )
}

/** Creates a topic (any broker hands it to the controller); false when it already existed. Waits for its leaders. */
export async function createTopic(cluster: Cluster, topic: NewTopic): Promise<boolean> {
  const created = await retrying(cluster, async () => {
    const request = {
      topics: [
        {
          name: topic.name,
          numPartitions: topic.partitions ?? -1,
          replicationFactor: topic.replicationFactor ?? -1,
          assignments: [],
          configs: Object.entries(topic.configs).map(([name, value]) => ({name, value})),
        },
      ],
      timeoutMs: TOPIC_CHANGE_TIMEOUT_MS,
    }
    const response = await (await cluster.any()).request(CreateTopics, request, TOPIC_CHANGE_TIMEOUT_MS + 5000)
    const result = response.topics.find((t) => t.name === topic.name)
    if (!result) throw new KafkaProtocolError(-1, `CreateTopics for "${topic.name}"`, 'the answer does not name the topic')
    if (result.errorCode === TOPIC_ALREADY_EXISTS) return false
    check(result.errorCode, `CreateTopics for "${topic.name}"`, result.errorMessage)
    return true
  })
  if (created) await waitForLeaders(cluster, topic.name)
  return created
}

export async function deleteTopic(cluster: Cluster, name: string): Promise<void> {
  await retrying(cluster, async () => {
    const request = {topics: [{name}], topicNames: [name], timeoutMs: TOPIC_CHANGE_TIMEOUT_MS}
    const response = await (await cluster.any()).request(DeleteTopics, request, TOPIC_CHANGE_TIMEOUT_MS + 5000)
    const result = response.responses.find((r) => r.name === name)
    if (!result) throw new KafkaProtocolError(-1, `DeleteTopics for "${name}"`, 'the answer does not name the topic')
    check(result.errorCode, `DeleteTopics for "${name}"`, result.errorMessage)
  })
}

// DescribeConfigs' source codes (KIP-226): dynamic topic config; dynamic broker, dynamic default broker and static
// broker config; Kafka's default.
const CONFIG_SOURCES: Record<number, ConfigSource> = {1: 'topic', 2: 'broker', 3: 'broker', 4: 'broker', 5: 'default'}

/** Every config of a topic with where its value comes from (any broker answers). */
export async function topicConfigs(cluster: Cluster, topic: string): Promise<ConfigEntry[]> {
  return retrying(cluster, async () => {
    const request = {resources: [{resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null}]}
    const response = await (await cluster.any()).request(DescribeConfigs, request, REQUEST_TIMEOUT_MS)
    const result = response.results[0]
    if (!result) throw new KafkaProtocolError(-1, `DescribeConfigs for topic "${topic}"`, 'the answer is empty')
    check(result.errorCode, `DescribeConfigs for topic "${topic}"`, result.errorMessage)
    return result.configs.map((c) => ({name: c.name, value: c.value, source: CONFIG_SOURCES[c.configSource] ?? 'other', sensitive: c.isSensitive}))
  })
}

/**
 * ListOffsets for every partition, asked of each partition's leader: per partition the offset for `timestamp`
 * (EARLIEST, LATEST, or the first offset at or after a time in ms; -1 when there is none).
 */
async function listOffsets(cluster: Cluster, topic: string, timestamp: bigint): Promise<Map<number, number>> {
  return retrying(cluster, async () => {
    const byLeader = Map.groupBy(await ledPartitions(cluster, topic, 'ListOffsets'), (p) => p.leader)
    const offsets = new Map<number, number>()
    await Promise.all(
      [...byLeader].map(async ([leader, owned]) => {
        const request = {
          replicaId: -1,
          isolationLevel: READ_COMMITTED,
          topics: [{name: topic, partitions: owned.map((p) => ({partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp}))}],
        }
        const response = await (await cluster.broker(leader)).request(ListOffsets, request, REQUEST_TIMEOUT_MS)
        for (const answered of response.topics) {
          for (const p of answered.partitions) {
            check(p.errorCode, `ListOffsets for ${topic}[${p.partitionIndex}]`)
            offsets.set(p.partitionIndex, Number(p.offset))
          }
        }
      }),
    )
    return offsets
  })
}

export async function topicOffsets(cluster: Cluster, topic: string): Promise<PartitionOffsets[]> {
  const [low, high] = await Promise.all([listOffsets(cluster, topic, EARLIEST), listOffsets(cluster, topic, LATEST)])
  return [...high].map(([partition, offset]) => ({partition, low: low.get(partition) ?? 0, high: offset})).sort((a, b) => a.partition - b.partition)
}

export async function offsetsForTimestamp(cluster: Cluster, topic: string, timestamp: number): Promise<{partition: number; offset: number}[]> {
  const offsets = await listOffsets(cluster, topic, BigInt(timestamp))
  return [...offsets].map(([partition, offset]) => ({partition, offset})).sort((a, b) => a.partition - b.partition)
}

// -- groups -------------------------------------------------------------------------------------------------------

/** Runs a request on the group's coordinator, finding it again when it moved. */
export function onCoordinator<T>(cluster: Cluster, group: string, call: (coordinator: BrokerConnection) => Promise<T>): Promise<T> {
  return retrying(cluster, async () => call(await cluster.coordinator(group)), {
    onRetry: (error) => {
      if (coordinatorMoved(error)) cluster.forgetCoordinator(group)
    },
  })
}

/** Every group of every broker (each lists the groups it coordinates), with its type and state. */
export async function groups(cluster: Cluster): Promise<GroupSummary[]> {
  const {brokers} = await retrying(cluster, () => cluster.metadata([]))
  const lists = await Promise.all(
    brokers.map((broker) =>
      retrying(cluster, async () => {
        const response = await (await cluster.broker(broker.nodeId)).request(ListGroups, {}, REQUEST_TIMEOUT_MS)
        check(response.errorCode, `ListGroups on node ${broker.nodeId}`)
        return response.groups
      }),
    ),
  )
  const byId = new Map<string, GroupSummary>()
  for (const group of lists.flat()) {
    byId.set(group.groupId, {groupId: group.groupId, protocolType: group.protocolType, type: group.groupType || 'classic', state: group.groupState})
  }
  return [...byId.values()].sort((a, b) => a.groupId.localeCompare(b.groupId))
}

/** A classic member's assignment, as consumers write it in SyncGroup (ConsumerProtocolAssignment). */
export function decodeMemberAssignment(bytes: Buffer): Assignment {
  if (bytes.length === 0) return emptyAssignment()
  const reader = new Reader(bytes)
  const version = reader.int16()
  const assignment = emptyAssignment()
  for (const topic of readConsumerProtocolAssignment(reader, Math.min(version, 3)).assignedPartitions) assignment[topic.topic] = topic.partitions
  return assignment
}

/** A consumer or share group member's assignment as ConsumerGroupDescribe and ShareGroupDescribe tell it. */
const fromTopicPartitions = (assignment: {topicPartitions: {topicName: string; partitions: number[]}[]}): Assignment =>
  Object.assign(emptyAssignment(), Object.fromEntries(assignment.topicPartitions.map((t) => [t.topicName, t.partitions])))

/**
 * A group as its coordinator describes it: ConsumerGroupDescribe for consumer-protocol groups (which
 * DescribeGroups does not describe), DescribeGroups for classic ones.
 */
export async function describeGroup(cluster: Cluster, groupId: string): Promise<GroupDescription> {
  return onCoordinator(cluster, groupId, async (coordinator) => {
    if (coordinator.supports(ConsumerGroupDescribe)) {
      const response = await coordinator.request(ConsumerGroupDescribe, {groupIds: [groupId], includeAuthorizedOperations: false}, REQUEST_TIMEOUT_MS)
      const group = response.groups[0]
      // Any error (no such group, a classic group, a Kafka 3.x whose coordinator does not run the consumer protocol
      // yet): DescribeGroups tells the rest.
      if (group && group.errorCode === 0) return coordinatedGroup(groupId, 'consumer', group)
    }
    const shared = await describeShareGroup(coordinator, groupId)
    if (shared) return shared
    const response = await coordinator.request(DescribeGroups, {groups: [groupId], includeAuthorizedOperations: false}, REQUEST_TIMEOUT_MS)
    const group = response.groups[0]
    // A group that does not exist: Dead (older brokers) or GROUP_ID_NOT_FOUND (DescribeGroups v6).
    if (!group || group.errorCode === GROUP_ID_NOT_FOUND) return {groupId, state: 'Dead', protocolType: '', type: 'classic', assignor: '', members: []}
    check(group.errorCode, `DescribeGroups for group "${groupId}"`, group.errorMessage)
    return {
      groupId,
      state: group.groupState,
      protocolType: group.protocolType,
      type: 'classic',
      assignor: group.protocolData,
      members: group.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: group.protocolType === 'consumer' ? decodeMemberAssignment(m.memberAssignment) : emptyAssignment(),
      })),
    }
  })
}

/** A share group as ShareGroupDescribe tells it; undefined for any other group (or where share groups do not run). */
async function describeShareGroup(coordinator: BrokerConnection, groupId: string): Promise<GroupDescription | undefined> {
  if (!coordinator.supports(ShareGroupDescribe)) return undefined
  const response = await coordinator.request(ShareGroupDescribe, {groupIds: [groupId], includeAuthorizedOperations: false}, REQUEST_TIMEOUT_MS)
  const group = response.groups[0]
  return group && group.errorCode === 0 ? coordinatedGroup(groupId, 'share', group) : undefined
}

type TopicPartitions = Parameters<typeof fromTopicPartitions>[0]

/**
 * A group whose coordinator assigns the partitions (KIP-848 consumer, KIP-932 share), as ConsumerGroupDescribe or
 * ShareGroupDescribe answers: the same fields, and for consumer groups each member's target assignment.
 */
function coordinatedGroup(
  groupId: string,
  type: 'consumer' | 'share',
  group: {
    groupState: string
    assignorName: string
    groupEpoch: number
    assignmentEpoch: number
    members: {memberId: string; clientId: string; clientHost: string; memberEpoch: number; assignment: TopicPartitions; targetAssignment?: TopicPartitions}[]
  },
): GroupDescription {
  return {
    groupId,
    state: group.groupState,
    protocolType: type,
    type,
    assignor: group.assignorName,
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberEpoch: m.memberEpoch,
      assignment: fromTopicPartitions(m.assignment),
      ...(m.targetAssignment ? {targetAssignment: fromTopicPartitions(m.targetAssignment)} : {}),
    })),
  }
}

/** Throws one clear line when a broker does not run share groups (it does not list their requests). */
export function requireShareGroups(connection: BrokerConnection, api: AnyApi): void {
  if (connection.supports(api)) return
  throw usageError(
    'This Kafka does not run share groups.',
    'Share groups need Kafka 4.2 or newer, or Kafka 4.1 with the share.version feature enabled (`kafka-features.sh upgrade --feature share.version=1`).',
  )
}

/** A share group's start offset and lag on every partition it has state for (DescribeShareGroupOffsets). */
export async function shareGroupOffsets(cluster: Cluster, groupId: string): Promise<SharePartitionOffset[]> {
  return onCoordinator(cluster, groupId, async (coordinator) => {
    requireShareGroups(coordinator, DescribeShareGroupOffsets)
    const response = await coordinator.request(DescribeShareGroupOffsets, {groups: [{groupId, topics: null}]}, REQUEST_TIMEOUT_MS)
    const group = response.groups[0]
    if (!group) throw new KafkaProtocolError(-1, `DescribeShareGroupOffsets for group "${groupId}"`, 'the answer is empty')
    if (group.errorCode === GROUP_ID_NOT_FOUND) return []
    check(group.errorCode, `DescribeShareGroupOffsets for group "${groupId}"`, group.errorMessage)
    return group.topics
      .flatMap((topic) =>
        topic.partitions.map((p) => {
          check(p.errorCode, `DescribeShareGroupOffsets for group "${groupId}", ${topic.topicName}[${p.partitionIndex}]`, p.errorMessage)
          const lag = Number(p.lag)
          return {topic: topic.topicName, partition: p.partitionIndex, startOffset: Number(p.startOffset), lag: lag >= 0 ? lag : null}
        }),
      )
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
  })
}

/** Sets (value) or removes (null) dynamic configs of a group, such as a share group's share.auto.offset.reset. */
export async function alterGroupConfigs(cluster: Cluster, groupId: string, configs: Record<string, string | null>): Promise<void> {
  await retrying(cluster, async () => {
    const request = {
      resources: [
        {
          resourceType: GROUP_RESOURCE,
          resourceName: groupId,
          configs: Object.entries(configs).map(([name, value]) => ({name, configOperation: value === null ? CONFIG_DELETE : CONFIG_SET, value})),
        },
      ],
      validateOnly: false,
    }
    const response = await (await cluster.any()).request(IncrementalAlterConfigs, request, REQUEST_TIMEOUT_MS)
    for (const result of response.responses) check(result.errorCode, `IncrementalAlterConfigs for group "${groupId}"`, result.errorMessage)
  })
}

/** Committed offsets of the group, for the named topics or every topic it committed to. */
export async function committedOffsets(cluster: Cluster, groupId: string, topics?: string[], member?: {memberId: string; memberEpoch: number}): Promise<CommittedOffset[]> {
  const partitionsOf = topics && new Map(await Promise.all(topics.map(async (topic) => [topic, (await cluster.topicPartitions(topic)).map((p) => p.partition)] as const)))
  return onCoordinator(cluster, groupId, async (coordinator) => {
    const request = {
      groups: [
        {
          groupId,
          memberId: member?.memberId ?? null,
          memberEpoch: member?.memberEpoch ?? -1,
          topics: partitionsOf ? [...partitionsOf].map(([name, partitionIndexes]) => ({name, partitionIndexes})) : null,
        },
      ],
      requireStable: true,
    }
    const response = await coordinator.request(OffsetFetch, request, REQUEST_TIMEOUT_MS)
    const group = response.groups[0]
    if (!group) throw new KafkaProtocolError(-1, `OffsetFetch for group "${groupId}"`, 'the answer is empty')
    check(group.errorCode, `OffsetFetch for group "${groupId}"`)
    return group.topics.flatMap((topic) =>
      topic.partitions.map((p) => {
        check(p.errorCode, `OffsetFetch for group "${groupId}", ${topic.name}[${p.partitionIndex}]`)
        return {topic: topic.name, partition: p.partitionIndex, offset: Number(p.committedOffset)}
      }),
    )
  })
}

/**
 * Commits offsets for a group. Without a member (an admin's reset) Kafka accepts it only while the group has no
 * members; a member commits with its generation (classic) or member epoch (consumer protocol).
 */
export async function commitOffsets(
  cluster: Cluster,
  groupId: string,
  topic: string,
  offsets: {partition: number; offset: number}[],
  member: {memberId: string; generationOrEpoch: number} = {memberId: '', generationOrEpoch: -1},
): Promise<void> {
  await onCoordinator(cluster, groupId, async (coordinator) => {
    const request = {
      groupId,
      generationIdOrMemberEpoch: member.generationOrEpoch,
      memberId: member.memberId,
      topics: [{name: topic, partitions: offsets.map((o) => ({partitionIndex: o.partition, committedOffset: BigInt(o.offset)}))}],
    }
    const response = await coordinator.request(OffsetCommit, request, REQUEST_TIMEOUT_MS)
    for (const answered of response.topics) {
      for (const p of answered.partitions) check(p.errorCode, `OffsetCommit for group "${groupId}", ${answered.name}[${p.partitionIndex}]`)
    }
  })
}

export async function deleteGroup(cluster: Cluster, groupId: string): Promise<void> {
  await onCoordinator(cluster, groupId, async (coordinator) => {
    const response = await coordinator.request(DeleteGroups, {groupsNames: [groupId]}, REQUEST_TIMEOUT_MS)
    const result = response.results[0]
    if (result) check(result.errorCode, `DeleteGroups for group "${groupId}"`, result.errorMessage)
  })
}
