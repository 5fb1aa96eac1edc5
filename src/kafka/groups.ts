import {usageError} from '../errors.ts'
import type {Assignment, GroupDescription, GroupSummary, KafkaClient, PartitionOffsets} from './client.ts'
import {parsePosition, resolvePosition} from './positions.ts'
import {requireTopic} from './topics.ts'

export interface GroupListEntry extends GroupSummary {
  members: number
  /** The assignor: classic groups' agreed one (range, …), the coordinator's for consumer (uniform, range) and share (simple) groups. */
  assignor: string
}

export async function listGroups(client: KafkaClient): Promise<GroupListEntry[]> {
  const groups = await client.groups()
  return Promise.all(
    groups.map(async (g) => {
      // Streams groups are described by a request of their own: their members are not counted here.
      if (g.type !== 'classic' && g.type !== 'consumer' && g.type !== 'share') return {...g, members: 0, assignor: ''}
      const description = await client.describeGroup(g.groupId)
      return {...g, state: description.state || g.state, members: description.members.length, assignor: description.assignor}
    }),
  )
}

export interface GroupMemberView {
  memberId: string
  clientId: string
  host: string
  partitions: {topic: string; partition: number}[]
  /** Consumer-protocol groups: where the coordinator is moving this member (the same as `partitions` once reconciled). */
  targetPartitions?: {topic: string; partition: number}[]
  /** Consumer-protocol groups: the member's epoch, which reaches the group's once it reconciled. */
  memberEpoch?: number
}

export interface GroupPartitionLag {
  topic: string
  partition: number
  /** null when the group has committed nothing for the partition. */
  committed: number | null
  end: number
  /** null when nothing is committed: the lag depends on where a consumer would start. */
  lag: number | null
  /** The client id of the member that owns it, if any. */
  owner: string | null
}

/** A share group's progress on one partition. */
export interface SharePartitionView {
  topic: string
  partition: number
  /** The share-partition start offset: everything before it was acknowledged; null while the group has not read the partition. */
  startOffset: number | null
  end: number
  /** Records from the start offset on not yet acknowledged (the broker's count where it gives one). */
  lag: number | null
  /** Client ids of the members fetching from it (a share partition serves every member assigned it). */
  members: string[]
}

export interface GroupView {
  groupId: string
  state: string
  /** The group's type, which is its protocol: classic, consumer (KIP-848) or share (KIP-932). */
  protocol: string
  /** What the members say they speak: "consumer" for consumer groups of either protocol, "share", "connect", … */
  protocolType: string
  /** The assignor the group uses. */
  assignor: string
  /** Consumer-protocol groups: the group's epoch and that of the assignment the coordinator computed. */
  groupEpoch?: number
  assignmentEpoch?: number
  members: GroupMemberView[]
  offsets: GroupPartitionLag[]
  /** Share groups: per partition, the share-partition start offset, lag and members. */
  shareOffsets?: SharePartitionView[]
  totalLag: number
}

function validateGroupId(groupId: string): string {
  if (groupId.trim() === '') throw usageError('The group name is empty.')
  return groupId
}

export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupView> {
  validateGroupId(groupId)
  const description = await client.describeGroup(groupId)
  if (description.type === 'share') return describeShareGroup(client, description)
  const committed = await client.committedOffsets(groupId)
  if (description.state === 'Dead' && committed.length === 0) {
    throw usageError(`Group "${groupId}" does not exist.`, '`kcl group list` shows the groups.')
  }
  const members = description.members.map((m) => ({
    ...memberView(m),
    ...(m.targetAssignment ? {targetPartitions: flatten(m.targetAssignment), memberEpoch: m.memberEpoch} : {}),
  }))
  const offsets: GroupPartitionLag[] = []
  for (const [topic, ends] of await topicEnds(client, [...committed.map((c) => c.topic), ...assignedTopics(members)])) {
    for (const {partition, high} of ends) {
      const commit = committed.find((c) => c.topic === topic && c.partition === partition)
      const owner = members.find((m) => m.partitions.some((p) => p.topic === topic && p.partition === partition))
      const offset = commit && commit.offset >= 0 ? commit.offset : null
      offsets.push({topic, partition, committed: offset, end: high, lag: offset === null ? null : Math.max(0, high - offset), owner: owner?.clientId ?? null})
    }
  }
  return {...groupHeader(description), members, offsets, totalLag: offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0)}
}

/** A share group: its members and where they fetch from, and per partition the start offset and lag. */
async function describeShareGroup(client: KafkaClient, description: GroupDescription): Promise<GroupView> {
  const members = description.members.map((m) => ({...memberView(m), memberEpoch: m.memberEpoch}))
  const offsets = await client.shareGroupOffsets(description.groupId)
  const shareOffsets: SharePartitionView[] = []
  for (const [topic, ends] of await topicEnds(client, [...offsets.map((o) => o.topic), ...assignedTopics(members)])) {
    for (const {partition, high} of ends) {
      const state = offsets.find((o) => o.topic === topic && o.partition === partition)
      const startOffset = state && state.startOffset >= 0 ? state.startOffset : null
      shareOffsets.push({
        topic,
        partition,
        startOffset,
        end: high,
        lag: state?.lag ?? (startOffset === null ? null : Math.max(0, high - startOffset)),
        members: members.filter((m) => m.partitions.some((p) => p.topic === topic && p.partition === partition)).map((m) => m.clientId),
      })
    }
  }
  return {...groupHeader(description), members, offsets: [], shareOffsets, totalLag: shareOffsets.reduce((sum, o) => sum + (o.lag ?? 0), 0)}
}

/** What every group's view starts with, whatever its type. */
function groupHeader(description: GroupDescription): Omit<GroupView, 'members' | 'offsets' | 'shareOffsets' | 'totalLag'> {
  return {
    groupId: description.groupId,
    state: description.state,
    protocol: description.type,
    protocolType: description.protocolType,
    assignor: description.assignor,
    ...(description.groupEpoch === undefined ? {} : {groupEpoch: description.groupEpoch, assignmentEpoch: description.assignmentEpoch}),
  }
}

function memberView(member: GroupDescription['members'][number]): GroupMemberView {
  return {memberId: member.memberId, clientId: member.clientId, host: member.clientHost.replace(/^\//, ''), partitions: flatten(member.assignment)}
}

const flatten = (assignment: Assignment): {topic: string; partition: number}[] =>
  Object.entries(assignment).flatMap(([topic, partitions]) => [...partitions].sort((a, b) => a - b).map((partition) => ({topic, partition})))

const assignedTopics = (members: GroupMemberView[]): string[] => members.flatMap((m) => m.partitions.map((p) => p.topic))

/** Each topic's end offsets, asked for all topics at once, in topic-name order. */
function topicEnds(client: KafkaClient, topics: string[]): Promise<[string, PartitionOffsets[]][]> {
  return Promise.all([...new Set(topics)].sort().map(async (topic): Promise<[string, PartitionOffsets[]]> => [topic, await client.topicOffsets(topic)]))
}

export interface DeleteResult {
  groupId: string
  protocol: string
  deleted: true
}

/** Deletes a group of any type with its offsets (or share-partition state); refuses while it has members. */
export async function deleteGroup(client: KafkaClient, groupId: string): Promise<DeleteResult> {
  const group = await describeGroup(client, groupId)
  if (group.members.length > 0) {
    throw usageError(
      `Group "${groupId}" has ${group.members.length} active member${group.members.length === 1 ? '' : 's'}; it can only be deleted while empty.`,
      `Stop its consumers first (\`kcl group describe ${groupId}\` shows them).`,
    )
  }
  await client.deleteGroup(groupId)
  return {groupId, protocol: group.protocol, deleted: true}
}

export interface ResetRequest {
  groupId: string
  topic: string
  /** earliest | latest | OFFSET | @TIMESTAMP */
  to: string
  execute: boolean
}

export interface ResetPlanEntry {
  partition: number
  current: number | null
  target: number
}

export interface ResetResult {
  groupId: string
  topic: string
  state: string
  executed: boolean
  plan: ResetPlanEntry[]
}

/** Plans (and with execute, commits) new offsets for a group on one topic; refuses while the group has members. */
export async function resetGroup(client: KafkaClient, request: ResetRequest): Promise<ResetResult> {
  validateGroupId(request.groupId)
  const position = parsePosition(request.to, '--to', {allowLast: false})
  await requireTopic(client, request.topic)
  const description = await client.describeGroup(request.groupId)
  if (description.type === 'share') {
    throw usageError(`Group "${request.groupId}" is a share group: it has no committed offsets to move.`, '`kcl group delete` removes its state; `kcl consume --share-group --from` says where a new one starts.')
  }
  if (description.members.length > 0) {
    throw usageError(
      `Group "${request.groupId}" has ${description.members.length} active member${description.members.length === 1 ? '' : 's'}; offsets can only be reset while it is empty.`,
      'Stop its consumers first (`kcl group describe` shows them).',
    )
  }
  const [targets, committed] = await Promise.all([
    resolvePosition(client, request.topic, position),
    client.committedOffsets(request.groupId, [request.topic]),
  ])
  const plan = [...targets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, target]) => {
      const current = committed.find((c) => c.partition === partition)?.offset ?? -1
      return {partition, current: current >= 0 ? current : null, target}
    })
  if (request.execute) {
    await client.commitGroupOffsets(request.groupId, request.topic, plan.map((p) => ({partition: p.partition, offset: p.target})))
  }
  return {groupId: request.groupId, topic: request.topic, state: description.state, executed: request.execute, plan}
}
