import {table} from './table.ts'
import type {DeleteResult, GroupListEntry, GroupView, ResetResult} from '../kafka/groups.ts'
import type {CreateTopicResult, TopicDescription, TopicSummary} from '../kafka/topics.ts'

const list = (numbers: number[]): string => numbers.join(',')

export function renderTopicList(topics: TopicSummary[]): string {
  if (topics.length === 0) return 'No topics yet. Create one with `kcl topic create NAME`.'
  return table(['NAME', 'PARTITIONS', 'REPLICAS'], topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor)]))
}

export function renderTopicCreated(result: CreateTopicResult): string {
  return result.created
    ? `Created topic ${result.name}: ${result.partitions} partition(s), replication factor ${result.replicationFactor}.`
    : `Topic ${result.name} already exists (${result.partitions} partition(s), replication factor ${result.replicationFactor}).`
}

export function renderTopicDescription(topic: TopicDescription): string {
  const lines = [`Topic ${topic.name}: ${topic.partitions.length} partition${topic.partitions.length === 1 ? '' : 's'}, replication factor ${topic.replicationFactor}`, '']
  lines.push(
    table(
      ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'OFFSETS', 'STATUS'],
      topic.partitions.map((p) => [
        String(p.partition),
        p.leader < 0 ? 'none' : String(p.leader),
        list(p.replicas),
        list(p.isr),
        `${p.low}-${p.high}`,
        p.offline ? 'OFFLINE' : p.underReplicated ? 'UNDER-REPLICATED' : 'ok',
      ]),
    ),
  )
  lines.push('')
  if (topic.configs.length === 0) lines.push('Configs: all broker defaults.')
  else lines.push('Configs set on this topic:', ...topic.configs.map((c) => `  ${c.name}=${c.sensitive ? '(hidden)' : (c.value ?? '')}`))
  return lines.join('\n')
}

export function renderGroupList(groups: GroupListEntry[]): string {
  if (groups.length === 0) return 'No groups yet. `kcl consume TOPIC --group NAME` makes a consumer group, `--share-group NAME` a share group.'
  return table(
    ['GROUP', 'TYPE', 'PROTOCOL', 'ASSIGNOR', 'STATE', 'MEMBERS'],
    groups.map((g) => [g.groupId, g.type, g.protocolType || '-', g.assignor || '-', g.state, String(g.members)]),
  )
}

export function renderGroupDeleted(result: DeleteResult): string {
  return `Deleted ${result.protocol} group ${result.groupId}.`
}

const partitionList = (partitions: {topic: string; partition: number}[]): string => partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ') || '-'

export function renderGroupDescription(group: GroupView): string {
  const protocol = `${group.protocol} protocol${group.assignor ? `, ${group.assignor} assignor` : ''}${group.groupEpoch === undefined ? '' : `, group epoch ${group.groupEpoch} (assignment ${group.assignmentEpoch})`}`
  const lines = [`Group ${group.groupId}: ${group.state}, ${protocol}, ${group.members.length} member${group.members.length === 1 ? '' : 's'}, total lag ${group.totalLag}`]
  if (group.members.length > 0) {
    // Consumer-protocol members show where the coordinator is taking them, and their epoch, while they reconcile.
    const reconciling = group.members.some((m) => m.targetPartitions !== undefined)
    lines.push(
      '',
      reconciling
        ? table(
            ['CLIENT-ID', 'HOST', 'EPOCH', 'PARTITIONS', 'TARGET'],
            group.members.map((m) => [m.clientId, m.host, String(m.memberEpoch ?? '-'), partitionList(m.partitions), partitionList(m.targetPartitions ?? [])]),
          )
        : table(['CLIENT-ID', 'HOST', 'PARTITIONS'], group.members.map((m) => [m.clientId, m.host, partitionList(m.partitions)])),
    )
  }
  if (group.shareOffsets && group.shareOffsets.length > 0) {
    // A share partition serves every member it is assigned to; the start offset moves as records are acknowledged.
    lines.push(
      '',
      table(
        ['TOPIC', 'PARTITION', 'START-OFFSET', 'END', 'LAG', 'MEMBERS'],
        group.shareOffsets.map((o) => [o.topic, String(o.partition), o.startOffset === null ? '-' : String(o.startOffset), String(o.end), o.lag === null ? '-' : String(o.lag), o.members.join(', ') || '-']),
      ),
    )
  }
  if (group.offsets.length > 0) {
    lines.push(
      '',
      table(
        ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'OWNER'],
        group.offsets.map((o) => [o.topic, String(o.partition), o.committed === null ? '-' : String(o.committed), String(o.end), o.lag === null ? '-' : String(o.lag), o.owner ?? '-']),
      ),
    )
  }
  return lines.join('\n')
}

export function renderResetPlan(result: ResetResult): string {
  const rows = table(
    ['TOPIC', 'PARTITION', 'CURRENT', 'NEW'],
    result.plan.map((p) => [result.topic, String(p.partition), p.current === null ? '-' : String(p.current), String(p.target)]),
  )
  const footer = result.executed
    ? `Offsets of group ${result.groupId} on ${result.topic} reset.`
    : 'Nothing changed: this is the plan. Add --execute to apply it.'
  return `${rows}\n\n${footer}`
}
