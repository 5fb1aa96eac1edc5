/**
 * The classic group protocol's client-side assignors, as Kafka's Java client computes them, so kcl and Java
 * consumers in one group agree whoever is the group's leader: "range" (each topic's partitions in contiguous runs,
 * the first members getting one more) and "roundrobin" (every topic's partitions dealt out in turn).
 */

import type {Assignment} from '../kafka/client.ts'

export interface Subscriber {
  memberId: string
  topics: string[]
}

export type Assignor = (members: Subscriber[], partitionCounts: Map<string, number>) => Map<string, Assignment>

/** Members in the order Java sorts them: by member id (kcl sets no group instance ids). */
const sorted = (members: Subscriber[]): Subscriber[] => [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))

/** Topic names are data: an assignment has no prototype, so topics named "constructor" or "__proto__" are just keys. */
export const emptyAssignment = (): Assignment => Object.create(null) as Assignment

function empty(members: Subscriber[]): Map<string, Assignment> {
  return new Map(members.map((m) => [m.memberId, emptyAssignment()]))
}

function give(result: Map<string, Assignment>, memberId: string, topic: string, partition: number): void {
  const assignment = result.get(memberId)!
  ;(assignment[topic] ??= []).push(partition)
}

export const range: Assignor = (members, partitionCounts) => {
  const result = empty(members)
  for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const subscribed = sorted(members.filter((m) => m.topics.includes(topic)))
    if (subscribed.length === 0) continue
    const each = Math.floor(count / subscribed.length)
    const extra = count % subscribed.length
    subscribed.forEach((member, i) => {
      const start = each * i + Math.min(i, extra)
      const length = each + (i < extra ? 1 : 0)
      for (let partition = start; partition < start + length; partition++) give(result, member.memberId, topic, partition)
    })
  }
  return result
}

export const roundRobin: Assignor = (members, partitionCounts) => {
  const result = empty(members)
  const order = sorted(members)
  let next = 0
  for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let partition = 0; partition < count; partition++) {
      // The next member in the circle that subscribes to this topic.
      for (let tried = 0; tried < order.length; tried++) {
        const member = order[next++ % order.length]!
        if (member.topics.includes(topic)) {
          give(result, member.memberId, topic, partition)
          break
        }
      }
    }
  }
  return result
}

/** By the names the classic protocol uses, in kcl's order of preference (Java's default first). */
export const ASSIGNORS: Record<string, Assignor> = {range, roundrobin: roundRobin}
