import type * as Crypto from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'
import type {ConsumeRequest, ConsumeSession, GroupProtocol} from '../kafka/client.ts'
import * as admin from './admin.ts'
import {ASSIGNORS} from './assignors.ts'
import {coordinatorMoved, type Cluster} from './cluster.ts'
import {UnsupportedApi} from './connection.ts'
import {
  FENCED_MEMBER_EPOCH,
  ILLEGAL_GENERATION,
  KafkaProtocolError,
  MEMBER_ID_REQUIRED,
  REBALANCE_IN_PROGRESS,
  UNKNOWN_MEMBER_ID,
  UNRELEASED_INSTANCE_ID,
  UNSUPPORTED_VERSION,
} from './protocol/error-codes.ts'
import {
  ConsumerGroupHeartbeat,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  SyncGroup,
  readConsumerProtocolSubscription,
  writeConsumerProtocolAssignment,
  writeConsumerProtocolSubscription,
} from './protocol/messages/index.ts'
import {Reader, Writer} from './protocol/primitives.ts'
import {readPartitions} from './partition-reader.ts'
import {retrying, transient} from './retry.ts'
import {memberSession} from './session.ts'

/**
 * Consuming as a member of a consumer group, with either protocol: "consumer" (KIP-848: the coordinator assigns
 * partitions and the member reconciles with heartbeats) or "classic" (JoinGroup/SyncGroup, the group's leader
 * assigns with range or roundrobin, as Java consumers do). Whatever the protocol, the records come through the
 * partition reader, and the group's commits cover exactly what the consumer took.
 */

const REQUEST_TIMEOUT_MS = 10_000
const SESSION_TIMEOUT_MS = 30_000
const REBALANCE_TIMEOUT_MS = 60_000
const CLASSIC_HEARTBEAT_MS = 3000
/** How many times a joining consumer-protocol member asks for its first assignment before it waits for heartbeats. */
const JOIN_POLLS = 8
/** Commits of what was taken go out at most this often while reading (and always when partitions move or it stops). */
const COMMIT_INTERVAL_MS = 1000
/** How long joining may take on a fresh cluster, whose group coordinators appear while __consumer_offsets gets its leaders. */
const JOIN_BUDGET_MS = 30_000

/** Who commits: the member's id and its generation (classic) or epoch (consumer protocol). */
interface Membership {
  memberId: string
  generationOrEpoch: number
}

/** What the group asks of a member: join again (classic rebalance), or take these partitions (consumer protocol). */
type Change = {rejoin: true} | {rejoin: false; partitions: number[]}

/** One protocol's side of membership: the driver asks it for assignments and tells it what it owns. */
interface Member {
  /** Joins (or rejoins) and resolves with this member's partitions of the topic. */
  join(): Promise<number[]>
  /** Resolves when the group changes this member's partitions; rejects when the membership is lost. */
  changed(): Promise<Change>
  /** The consumer now reads `owned` (it stopped reading and committed the partitions it gave up). */
  reconciled(owned: number[]): Promise<void>
  readonly membership: Membership
  leave(): Promise<void>
  /** Stops heartbeats. */
  close(): void
}

/** The membership was lost (fenced, session expired): give up the partitions without committing, join again. */
class MembershipLost extends Error {}

export function consumeInGroup(cluster: Cluster, request: ConsumeRequest & {group: string}): ConsumeSession {
  return memberSession(cluster, (signal) => run(cluster, request, signal))
}

async function chooseProtocol(cluster: Cluster, request: ConsumeRequest & {group: string}): Promise<GroupProtocol> {
  if (request.groupProtocol) return request.groupProtocol
  const coordinator = await retrying(cluster, () => cluster.coordinator(request.group), {onRetry: () => cluster.forgetCoordinator(request.group)})
  return coordinator.supports(ConsumerGroupHeartbeat) ? 'consumer' : 'classic'
}

async function run(cluster: Cluster, request: ConsumeRequest & {group: string}, signal: AbortSignal): Promise<void> {
  const group = request.group
  let protocol = await chooseProtocol(cluster, request)
  let member: Member = protocol === 'consumer' ? await consumerMember(cluster, request) : classicMember(cluster, request)
  const positions = new Map<number, number>()
  const committer = new Committer(cluster, group, request.topic, positions, () => member.membership)
  const everAssigned = new Set<number>()
  let owned: number[] | undefined
  let reading: {stop: AbortController; done: Promise<void>} | undefined

  const stopReading = async (): Promise<void> => {
    if (!reading) return
    reading.stop.abort()
    await reading.done.catch(() => {})
    reading = undefined
  }

  /**
   * Where partitions new to this consumer start: --from's offset the first time this consumer gets one, else the
   * group's commit, else the beginning or the end (as --from says).
   */
  const startOf = async (added: number[]): Promise<void> => {
    if (added.length === 0) return
    const committed = new Map((await admin.committedOffsets(cluster, group, [request.topic])).map((c) => [c.partition, c.offset]))
    const uncommitted = added.filter((p) => (committed.get(p) ?? -1) < 0)
    const ranges = uncommitted.length > 0 ? await admin.topicOffsets(cluster, request.topic) : []
    for (const partition of added) {
      const explicit = everAssigned.has(partition) ? undefined : request.startOffsets?.get(partition)
      const commit = committed.get(partition) ?? -1
      const range = ranges.find((r) => r.partition === partition)
      positions.set(partition, explicit ?? (commit >= 0 ? commit : request.fromBeginning ? (range?.low ?? 0) : (range?.high ?? 0)))
      everAssigned.add(partition)
    }
  }

  /** Moves to `next`: stops reading, commits what was taken, then reads the new partitions from where each is. */
  const apply = async (next: number[]): Promise<void> => {
    await stopReading()
    await committer.flush().catch(() => {})
    for (const partition of [...positions.keys()]) if (!next.includes(partition)) positions.delete(partition)
    await startOf(next.filter((p) => !positions.has(p)))
    const changed = owned === undefined || next.join() !== owned.join()
    owned = next
    await member.reconciled(next)
    if (changed) await request.onAssignment(next)
    if (next.length === 0 || signal.aborted) return
    const stop = new AbortController()
    const handlers = {
      onRecords: async (records: Parameters<ConsumeRequest['onRecords']>[0]) => {
        const taken = await request.onRecords(records)
        if (taken > 0) committer.soon()
        return taken
      },
      onPosition: (partition: number, offset: number) => {
        request.onPosition?.(partition, offset)
        committer.soon()
      },
    }
    reading = {stop, done: readPartitions(cluster, request.topic, positions, handlers, stop.signal)}
    reading.done.catch(() => {})
  }

  const aborted = new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Stopped()), {once: true}))
  aborted.catch(() => {})
  const joinDeadline = performance.now() + JOIN_BUDGET_MS
  try {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await apply(await Promise.race([member.join(), aborted]))
        for (;;) {
          // A reader that fails for good ends the consumer; one that was stopped never settles this.
          const failed = reading ? reading.done.then(() => new Promise<never>(() => {})) : new Promise<never>(() => {})
          const change = await Promise.race([member.changed(), aborted, failed])
          attempt = 0
          if (!change.rejoin) {
            await apply(change.partitions)
            continue
          }
          // Classic rebalance (eager): stop and commit first, then join again. Partitions that come back start
          // from the group's commits, as another member may have read them in between.
          await stopReading()
          await committer.flush().catch(() => {})
          positions.clear()
          await apply(await Promise.race([member.join(), aborted]))
        }
      } catch (error) {
        if (error instanceof Stopped || signal.aborted) break
        await stopReading()
        if (error instanceof MembershipLost) {
          // The partitions are the group's again: another member may read them now, and this member's commits would fail.
          positions.clear()
          continue
        }
        if (protocol === 'consumer' && !request.groupProtocol && isUnsupported(error)) {
          // The coordinator advertises the consumer protocol but does not run it (a Kafka 3.x without it enabled).
          protocol = 'classic'
          member.close()
          member = classicMember(cluster, request)
          continue
        }
        const retriable = transient(cluster, error) || coordinatorMoved(error)
        if (!retriable || (owned === undefined && performance.now() > joinDeadline)) throw error
        if (coordinatorMoved(error)) cluster.forgetCoordinator(group)
        await sleep(Math.min(100 * 2 ** attempt, 1000), undefined, {signal}).catch(() => {})
      }
    }
  } finally {
    await stopReading()
    member.close()
    await committer.flush().catch(() => {})
    await member.leave().catch(() => {})
  }
}

class Stopped extends Error {}

const isUnsupported = (error: unknown): boolean => error instanceof UnsupportedApi || (error instanceof KafkaProtocolError && error.errorCode === UNSUPPORTED_VERSION)

/**
 * Commits the positions of the partitions this consumer took records from: soon() after a handover (at most one
 * commit a second; what changed meanwhile goes in the next), flush() when partitions move or the consumer stops.
 */
class Committer {
  private readonly committed = new Map<number, number>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()

  private readonly cluster: Cluster
  private readonly group: string
  private readonly topic: string
  private readonly positions: Map<number, number>
  private readonly membership: () => Membership

  constructor(cluster: Cluster, group: string, topic: string, positions: Map<number, number>, membership: () => Membership) {
    this.cluster = cluster
    this.group = group
    this.topic = topic
    this.positions = positions
    this.membership = membership
  }

  soon(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      // A failed commit is not final: the next one carries the same positions.
      this.running = this.running.then(() => this.commit()).catch(() => {})
    }, COMMIT_INTERVAL_MS)
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
    await this.commit()
  }

  private async commit(): Promise<void> {
    const offsets = [...this.positions].filter(([partition, offset]) => this.committed.get(partition) !== offset).map(([partition, offset]) => ({partition, offset}))
    if (offsets.length === 0) return
    await admin.commitOffsets(this.cluster, this.group, this.topic, offsets, this.membership())
    for (const {partition, offset} of offsets) this.committed.set(partition, offset)
  }
}

// -- classic protocol ---------------------------------------------------------------------------------------------

const PROTOCOLS = Object.keys(ASSIGNORS)

function subscription(topic: string): Buffer {
  const writer = new Writer().int16(0)
  writeConsumerProtocolSubscription(writer, 0, {topics: [topic]})
  return writer.toBuffer()
}

function assignmentBytes(assignment: Record<string, number[]>): Buffer {
  const writer = new Writer().int16(0)
  writeConsumerProtocolAssignment(writer, 0, {assignedPartitions: Object.entries(assignment).map(([topic, partitions]) => ({topic, partitions}))})
  return writer.toBuffer()
}

function classicMember(cluster: Cluster, request: ConsumeRequest & {group: string}): Member {
  const group = request.group
  let memberId = ''
  let generationId = -1
  let heartbeat: NodeJS.Timeout | undefined
  let closed = false
  const notices = new Notices<Change>()

  const beat = async (): Promise<void> => {
    try {
      const coordinator = await cluster.coordinator(group)
      const response = await coordinator.request(Heartbeat, {groupId: group, generationId, memberId}, REQUEST_TIMEOUT_MS)
      if (response.errorCode === 0) return
      // Rebalancing, or this member fell out of the group (its commits would be refused): join again.
      if (response.errorCode === UNKNOWN_MEMBER_ID) memberId = ''
      if (![REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION].includes(response.errorCode)) {
        throw new KafkaProtocolError(response.errorCode, `Heartbeat for group "${group}"`)
      }
    } catch (error) {
      if (coordinatorMoved(error)) cluster.forgetCoordinator(group)
      else if (!transient(cluster, error)) {
        clearInterval(heartbeat)
        return notices.fail(error)
      }
    }
    // The coordinator moved or the group rebalances: join again (which finds the coordinator anew).
    clearInterval(heartbeat)
    notices.tell({rejoin: true})
  }

  const joinOnce = async (): Promise<number[]> => {
    const coordinator = await cluster.coordinator(group)
    const joined = await coordinator.request(
      JoinGroup,
      {
        groupId: group,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId,
        protocolType: 'consumer',
        protocols: PROTOCOLS.map((name) => ({name, metadata: subscription(request.topic)})),
      },
      REBALANCE_TIMEOUT_MS + REQUEST_TIMEOUT_MS,
    )
    if (joined.errorCode === MEMBER_ID_REQUIRED) {
      memberId = joined.memberId
      return joinOnce()
    }
    if (joined.errorCode === UNKNOWN_MEMBER_ID) memberId = ''
    if (joined.errorCode !== 0) throw new KafkaProtocolError(joined.errorCode, `JoinGroup for group "${group}"`)
    memberId = joined.memberId
    generationId = joined.generationId
    let assignments: {memberId: string; assignment: Buffer}[] = []
    if (joined.leader === memberId && !joined.skipAssignment) {
      // This member leads the group: it assigns every member's partitions with the protocol the group chose.
      const assignor = (Object.hasOwn(ASSIGNORS, joined.protocolName ?? '') && ASSIGNORS[joined.protocolName!]) || ASSIGNORS.range!
      const members = joined.members.map((m) => {
        const reader = new Reader(m.metadata)
        const version = reader.int16()
        return {memberId: m.memberId, topics: readConsumerProtocolSubscription(reader, Math.min(version, 3)).topics}
      })
      const topics = [...new Set(members.flatMap((m) => m.topics))]
      const metadata = await cluster.metadata(topics)
      const counts = new Map(topics.map((topic) => [topic, metadata.partitions.filter((p) => p.topic === topic).length]))
      assignments = [...assignor(members, counts)].map(([id, assignment]) => ({memberId: id, assignment: assignmentBytes(assignment)}))
    }
    const synced = await coordinator.request(
      SyncGroup,
      {groupId: group, generationId, memberId, protocolType: 'consumer', protocolName: joined.protocolName, assignments},
      REBALANCE_TIMEOUT_MS + REQUEST_TIMEOUT_MS,
    )
    if (synced.errorCode === REBALANCE_IN_PROGRESS) return joinOnce()
    if (synced.errorCode !== 0) throw new KafkaProtocolError(synced.errorCode, `SyncGroup for group "${group}"`)
    const mine = admin.decodeMemberAssignment(synced.assignment)[request.topic] ?? []
    return [...mine].sort((a, b) => a - b)
  }

  return {
    get membership() {
      return {memberId, generationOrEpoch: generationId}
    },
    async join() {
      clearInterval(heartbeat)
      notices.clear()
      const partitions = await joinOnce()
      if (!closed) heartbeat = setInterval(() => void beat(), CLASSIC_HEARTBEAT_MS)
      return partitions
    },
    changed: () => notices.next(),
    async reconciled() {},
    async leave() {
      if (!memberId) return
      const coordinator = await cluster.coordinator(group)
      await coordinator.request(LeaveGroup, {groupId: group, members: [{memberId, reason: 'the kcl consumer stopped'}]}, REQUEST_TIMEOUT_MS)
    },
    close() {
      closed = true
      clearInterval(heartbeat)
    },
  }
}

// -- consumer protocol (KIP-848) ------------------------------------------------------------------------------------

async function consumerMember(cluster: Cluster, request: ConsumeRequest & {group: string}): Promise<Member> {
  const group = request.group
  const topicId = (await retrying(cluster, () => cluster.metadata([request.topic]), {topicExists: true})).topicIds.get(request.topic)
  if (!topicId) throw new KafkaProtocolError(3, `Metadata for topic "${request.topic}"`)
  // Since version 1 the member names itself: a UUID, as Kafka writes them.
  // node:crypto loads when a member joins, not with every command that imports the client.
  const ownId = (process.getBuiltinModule('node:crypto') as typeof Crypto).randomBytes(16).toString('base64url')
  let memberId = ownId
  let memberEpoch = 0
  let owned: number[] = []
  let interval = CLASSIC_HEARTBEAT_MS
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const notices = new Notices<Change>()

  /** One heartbeat: says what this member owns; returns its new target partitions when the coordinator sent them. */
  const heartbeat = async (epoch = memberEpoch): Promise<number[] | undefined> => {
    const coordinator = await cluster.coordinator(group)
    const named = coordinator.version(ConsumerGroupHeartbeat) >= 1 || epoch !== 0
    const response = await coordinator.request(
      ConsumerGroupHeartbeat,
      {
        groupId: group,
        memberId: named ? memberId : '',
        memberEpoch: epoch,
        rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        subscribedTopicNames: [request.topic],
        // Empty when joining: Kafka refuses partitions with epoch 0.
        topicPartitions: owned.length > 0 ? [{topicId, partitions: owned}] : [],
      },
      REQUEST_TIMEOUT_MS,
    )
    if (response.errorCode === FENCED_MEMBER_EPOCH || response.errorCode === UNKNOWN_MEMBER_ID || response.errorCode === UNRELEASED_INSTANCE_ID) {
      memberEpoch = 0
      memberId = ownId
      throw new MembershipLost(`ConsumerGroupHeartbeat for group "${group}": ${response.errorMessage ?? response.errorCode}`)
    }
    if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, `ConsumerGroupHeartbeat for group "${group}"`, response.errorMessage)
    if (response.memberId) memberId = response.memberId
    memberEpoch = response.memberEpoch
    if (response.heartbeatIntervalMs > 0) interval = response.heartbeatIntervalMs
    if (!response.assignment) return undefined
    return response.assignment.topicPartitions.filter((t) => t.topicId === topicId).flatMap((t) => t.partitions).sort((a, b) => a - b)
  }

  /** Heartbeats every interval; a new target goes to the driver, and the next heartbeat waits until it reconciled. */
  const schedule = (): void => {
    clearTimeout(timer)
    if (closed) return
    timer = setTimeout(async () => {
      try {
        const target = await heartbeat()
        if (target && target.join() !== owned.join()) return notices.tell({rejoin: false, partitions: target})
      } catch (error) {
        if (coordinatorMoved(error)) cluster.forgetCoordinator(group)
        else if (!transient(cluster, error)) return notices.fail(error)
      }
      schedule()
    }, interval)
  }

  return {
    get membership() {
      return {memberId, generationOrEpoch: memberEpoch}
    },
    async join() {
      clearTimeout(timer)
      notices.clear()
      owned = []
      // The coordinator may answer the join before it computed an assignment: ask again soon, not a heartbeat
      // interval later.
      let target = await heartbeat(0)
      for (let attempt = 1; target === undefined && attempt <= JOIN_POLLS && !closed; attempt++) {
        await sleep(100 * attempt)
        target = await heartbeat()
      }
      return target ?? []
    },
    changed: () => notices.next(),
    async reconciled(partitions) {
      owned = partitions
      // Tell the coordinator at once what this member owns now: it moves the other partitions on from that.
      const target = await heartbeat()
      if (target && target.join() !== owned.join()) notices.tell({rejoin: false, partitions: target})
      else schedule()
    },
    async leave() {
      if (memberEpoch <= 0) return
      await heartbeat(-1)
    },
    close() {
      closed = true
      clearTimeout(timer)
    },
  }
}

/** News from a member's heartbeats for the driver, kept until it asks (the latest wins). */
class Notices<T> {
  private latest: {value: T} | {error: unknown} | undefined
  private waiting: {resolve(value: T): void; reject(error: unknown): void} | undefined

  tell(value: T): void {
    this.settle({value})
  }

  fail(error: unknown): void {
    this.settle({error})
  }

  clear(): void {
    this.latest = undefined
  }

  next(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting = {resolve, reject}
      if (this.latest) this.settle(this.latest)
    })
  }

  private settle(news: {value: T} | {error: unknown}): void {
    const waiting = this.waiting
    if (!waiting) {
      this.latest = news
      return
    }
    this.waiting = undefined
    this.latest = undefined
    if ('value' in news) waiting.resolve(news.value)
    else waiting.reject(news.error)
  }
}
