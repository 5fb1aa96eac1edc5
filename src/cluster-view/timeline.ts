/**
 * The event timeline of `kcl ui`: each new snapshot compared with the one before it, in words ("node 3 stopped",
 * "node 1 became the active controller (epoch 7) after 2.9 s", "Delivery[0] leader 3 → 1").
 */
import type {BrokerView, ClusterSnapshot, GroupSnapshot, PartitionView, TopicView} from './snapshot.ts'

export type EventKind = 'connection' | 'node' | 'controller' | 'leader' | 'isr' | 'topic' | 'group'

export interface TimelineEvent {
  /** Increasing from 1, so a page can tell which events it already has. */
  id: number
  /** Milliseconds since the epoch: when the change was seen. */
  at: number
  kind: EventKind
  text: string
}

type Change = Omit<TimelineEvent, 'id' | 'at'>

const ids = (list: number[]): string => list.join(',') || 'none'
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/**
 * A controller is in trouble when the quorum does not answer, has no leader, or its leader's node is going down: no
 * longer serving clients (a stopping node leaves the broker list before the quorum elects another leader) or its
 * container stopped. A dedicated controller, never in the broker list, is judged by the quorum alone.
 */
function controllerMissing(snapshot: ClusterSnapshot): boolean {
  const quorum = snapshot.quorum
  if (!quorum || snapshot.quorumError !== undefined || quorum.leaderId < 0) return true
  const node = snapshot.brokers.find((b) => b.nodeId === quorum.leaderId)
  if (!node?.broker || (node.container === undefined && !snapshot.reachable)) return false
  return !node.registered || (node.container !== undefined && node.container !== 'running')
}

function nodeChanges(before: BrokerView[], after: BrokerView[]): Change[] {
  const changes: Change[] = []
  // The first look at the containers comes a moment after the first snapshot: that is no change.
  const containersSeen = before.some((b) => b.container !== undefined)
  for (const node of after) {
    const was = before.find((b) => b.nodeId === node.nodeId)
    if (!was) continue
    if (containersSeen && was.container !== node.container && node.container !== undefined) {
      const text = node.container === 'running' ? 'started' : was.container === 'running' ? `stopped (container ${node.container})` : `container ${node.container}`
      changes.push({kind: 'node', text: `node ${node.nodeId} ${text}`})
    }
    if (was.registered !== node.registered && node.broker) {
      changes.push({kind: 'node', text: `node ${node.nodeId} ${node.registered ? 'serves clients again' : 'no longer serves clients'}`})
    }
  }
  return changes
}

function partitionChanges(topic: string, before: PartitionView, after: PartitionView): Change[] {
  const name = `${topic}[${after.partition}]`
  const changes: Change[] = []
  if (before.leader !== after.leader) {
    const text = after.leader < 0 ? `${name} has no leader: offline` : before.leader < 0 ? `${name} leader: ${after.leader} (back online)` : `${name} leader ${before.leader} → ${after.leader}`
    changes.push({kind: 'leader', text})
  }
  if (ids(before.isr) !== ids(after.isr)) {
    const full = after.isr.length === after.replicas.length
    const text = full ? `ISR of ${name} back to ${ids(after.isr)}` : after.isr.length < before.isr.length ? `ISR of ${name} shrank to ${ids(after.isr)}` : `ISR of ${name} now ${ids(after.isr)}`
    changes.push({kind: 'isr', text})
  }
  return changes
}

function topicChanges(before: TopicView[], after: TopicView[]): Change[] {
  const changes: Change[] = []
  for (const topic of after) {
    const was = before.find((t) => t.name === topic.name)
    if (!was) {
      changes.push({kind: 'topic', text: `topic ${topic.name} created: ${topic.partitions.length} partition(s), replication factor ${topic.replicationFactor}`})
      continue
    }
    const pairs = topic.partitions.flatMap((p) => {
      const old = was.partitions.find((o) => o.partition === p.partition)
      return old ? [[old, p] as const] : []
    })
    if (topic.internal) {
      // Internal topics have dozens of partitions: one line, not one per partition.
      const moved = pairs.filter(([old, now]) => old.leader !== now.leader).length
      if (moved > 0) changes.push({kind: 'leader', text: `${topic.name}: leaders of ${moved} partition(s) moved`})
      continue
    }
    for (const [old, now] of pairs) changes.push(...partitionChanges(topic.name, old, now))
  }
  for (const topic of before) if (!after.some((t) => t.name === topic.name)) changes.push({kind: 'topic', text: `topic ${topic.name} deleted`})
  return changes
}

function groupChanges(before: GroupSnapshot[], after: GroupSnapshot[]): Change[] {
  const changes: Change[] = []
  for (const group of after) {
    const was = before.find((g) => g.groupId === group.groupId)
    if (!was) {
      changes.push({kind: 'group', text: `group ${group.groupId} appeared: ${group.state}, ${group.members.length} member(s)`})
      continue
    }
    if (was.state !== group.state) changes.push({kind: 'group', text: `group ${group.groupId}: ${was.state} → ${group.state}`})
    if (was.members.length !== group.members.length) {
      changes.push({kind: 'group', text: `group ${group.groupId}: ${group.members.length} member(s), was ${was.members.length}`})
    }
  }
  for (const group of before) if (!after.some((g) => g.groupId === group.groupId)) changes.push({kind: 'group', text: `group ${group.groupId} is gone`})
  return changes
}

/** Compares each snapshot with the previous one and keeps the last `limit` events. */
export class Timeline {
  readonly events: TimelineEvent[] = []
  private previous: ClusterSnapshot | undefined
  /** When the active controller was first seen missing; the election's duration is measured from there. */
  private controllerMissingSince: number | undefined
  /** The last active controller seen. */
  private leader: {nodeId: number; epoch: number} | undefined
  private nextId = 1
  private readonly limit: number

  constructor(limit = 500) {
    this.limit = limit
  }

  /** The events this snapshot brings, already added to `events`. */
  observe(next: ClusterSnapshot): TimelineEvent[] {
    const previous = this.previous
    this.previous = next
    const changes = previous ? this.changes(previous, next) : [{kind: 'connection' as const, text: this.describeStart(next)}]
    if (!controllerMissing(next)) this.leader = {nodeId: next.quorum!.leaderId, epoch: next.quorum!.epoch}
    const events = changes.map((change) => ({id: this.nextId++, at: next.at, ...change}))
    this.events.push(...events)
    this.events.splice(0, Math.max(0, this.events.length - this.limit))
    return events
  }

  private describeStart(snapshot: ClusterSnapshot): string {
    const what = snapshot.cluster ? `kcl cluster "${snapshot.cluster}"` : snapshot.bootstrapServers.join(',')
    if (!snapshot.reachable) return `watching ${what}: Kafka does not answer yet (${snapshot.error ?? 'no answer'})`
    const controller = snapshot.quorum && snapshot.quorum.leaderId >= 0 ? `, node ${snapshot.quorum.leaderId} is the active controller (epoch ${snapshot.quorum.epoch})` : ''
    return `watching ${what}: ${snapshot.brokers.filter((b) => b.registered).length} broker(s) serving${controller}`
  }

  private changes(before: ClusterSnapshot, after: ClusterSnapshot): Change[] {
    const changes: Change[] = []
    if (before.reachable !== after.reachable) {
      changes.push({kind: 'connection', text: after.reachable ? 'Kafka answers again' : `Kafka does not answer: ${after.error ?? 'no answer'}`})
    }
    changes.push(...nodeChanges(before.brokers, after.brokers))
    changes.push(...this.controllerChanges(after))
    if (before.reachable && after.reachable) changes.push(...topicChanges(before.topics, after.topics))
    if (before.groupsError === undefined && after.groupsError === undefined) changes.push(...groupChanges(before.groups, after.groups))
    return changes
  }

  private controllerChanges(after: ClusterSnapshot): Change[] {
    const last = this.leader
    if (controllerMissing(after)) {
      if (this.controllerMissingSince !== undefined) return []
      this.controllerMissingSince = after.at
      if (!last) return []
      const why =
        after.quorumError !== undefined
          ? 'the metadata quorum does not answer'
          : after.quorum && after.quorum.leaderId < 0
            ? 'the metadata quorum has no leader: an election is under way'
            : `node ${last.nodeId}, the active controller, is going down`
      return [{kind: 'controller', text: `${why} (last active controller: node ${last.nodeId}, epoch ${last.epoch})`}]
    }
    const quorum = after.quorum!
    const missingFor = this.controllerMissingSince === undefined ? undefined : after.at - this.controllerMissingSince
    this.controllerMissingSince = undefined
    const unchanged = last !== undefined && last.nodeId === quorum.leaderId && last.epoch === quorum.epoch
    if (unchanged && missingFor === undefined) return []
    if (unchanged) return [{kind: 'controller', text: `the metadata quorum answers again: node ${quorum.leaderId} is still the active controller (epoch ${quorum.epoch})`}]
    const again = last?.nodeId === quorum.leaderId ? ' again' : ''
    const took = missingFor === undefined ? '' : ` after ${seconds(missingFor)}`
    return [{kind: 'controller', text: `node ${quorum.leaderId} became the active controller${again} (epoch ${quorum.epoch})${took}`}]
  }
}
