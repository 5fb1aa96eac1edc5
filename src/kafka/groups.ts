import {usageError} from '../errors.ts'
import type {Assignment, GroupSummary, KafkaClient} from './client.ts'
import {parsePosition, resolvePosition} from './positions.ts'
import {requireTopic} from './topics.ts'

export interface GroupListEntry extends GroupSummary {
  members: number
}

export async function listGroups(client: KafkaClient): Promise<GroupListEntry[]> {
  const groups = await client.groups()
  return Promise.all(
    groups.map(async (g) => {
      // Share and streams groups are described by requests of their own; their members are not counted here.
      if (g.type !== 'classic' && g.type !== 'consumer') return {...g, members: 0}
      const description = await client.describeGroup(g.groupId)
      return {...g, state: description.state || g.state, members: description.members.length}
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

export interface GroupView {
  groupId: string
  state: string
  /** classic or consumer (KIP-848). */
  protocol: string
  /** The assignor the group uses. */
  assignor: string
  /** Consumer-protocol groups: the group's epoch and that of the assignment the coordinator computed. */
  groupEpoch?: number
  assignmentEpoch?: number
  members: GroupMemberView[]
  offsets: GroupPartitionLag[]
  totalLag: number
}

function validateGroupId(groupId: string): string {
  if (groupId.trim() === '') throw usageError('The group name is empty.')
  return groupId
}

export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupView> {
  validateGroupId(groupId)
  const [description, committed] = await Promise.all([client.describeGroup(groupId), client.committedOffsets(groupId)])
  if (description.state === 'Dead' && committed.length === 0) {
    throw usageError(`Group "${groupId}" does not exist.`, '`kcl group list` shows the groups.')
  }
  const flat = (assignment: Assignment): {topic: string; partition: number}[] =>
    Object.entries(assignment).flatMap(([topic, partitions]) => [...partitions].sort((a, b) => a - b).map((partition) => ({topic, partition})))
  const members: GroupMemberView[] = description.members.map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost.replace(/^\//, ''),
    partitions: flat(m.assignment),
    ...(m.targetAssignment ? {targetPartitions: flat(m.targetAssignment), memberEpoch: m.memberEpoch} : {}),
  }))
  const topics = [...new Set([...committed.map((c) => c.topic), ...members.flatMap((m) => m.partitions.map((p) => p.topic))])].sort()
  const offsets: GroupPartitionLag[] = []
  for (const topic of topics) {
    const ends = await client.topicOffsets(topic)
    for (const {partition, high} of ends) {
      const commit = committed.find((c) => c.topic === topic && c.partition === partition)
      const owner = members.find((m) => m.partitions.some((p) => p.topic === topic && p.partition === partition))
      const offset = commit && commit.offset >= 0 ? commit.offset : null
      offsets.push({topic, partition, committed: offset, end: high, lag: offset === null ? null : Math.max(0, high - offset), owner: owner?.clientId ?? null})
    }
  }
  return {
    groupId,
    state: description.state,
    protocol: description.type,
    assignor: description.assignor,
    ...(description.groupEpoch === undefined ? {} : {groupEpoch: description.groupEpoch, assignmentEpoch: description.assignmentEpoch}),
    members,
    offsets,
    totalLag: offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0),
  }
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
