import type * as Crypto from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'
import {usageError} from '../errors.ts'
import {requireShareGroups} from './admin.ts'
import type {AcquiredRange, ConsumedRecord, ConsumeSession, ShareAck, ShareConsumeRequest} from '../kafka/client.ts'
import {coordinatorMoved, type Cluster, type PartitionState} from './cluster.ts'
import {ConnectionError, ProtocolViolation, type BrokerAddress} from './connection.ts'
import {
  FENCED_MEMBER_EPOCH,
  GROUP_ID_NOT_FOUND,
  INVALID_SHARE_SESSION_EPOCH,
  KafkaProtocolError,
  SHARE_SESSION_NOT_FOUND,
  UNKNOWN_MEMBER_ID,
  isRetriable,
  retryDelay,
} from './protocol/error-codes.ts'
import {ShareAcknowledge, ShareFetch, ShareGroupHeartbeat, type ShareFetchResponsePartitionData} from './protocol/messages/index.ts'
import {MalformedMessage} from './protocol/primitives.ts'
import {batchRecords, decodeRecords, splitBatches} from './protocol/record-batch.ts'
import {retrying, transient} from './retry.ts'
import {memberSession} from './session.ts'

/**
 * Consuming as a member of a share group (KIP-932). The coordinator lets every member fetch from the partitions it
 * assigns (several members per partition); each ShareFetch acquires records for this member alone, under a lock
 * that times out, and the member acknowledges each record: accept (done), release (deliver again, to any member)
 * or reject (never again). Acknowledgements ride on the next ShareFetch to the same leader, in the share session
 * kcl keeps with each leader; stopping sends what is left in a ShareAcknowledge that closes the session, then
 * leaves the group (which releases anything still acquired).
 */

const REQUEST_TIMEOUT_MS = 10_000
const MAX_WAIT_MS = 500
const MAX_BYTES = 50 * 1024 * 1024
const PARTITION_MAX_BYTES = 10 * 1024 * 1024
/** Records one answer acquires at most (the broker may round up to whole batches). */
const MAX_RECORDS = 500
const HEARTBEAT_MS = 5000
/**
 * How long a joining member keeps asking for its first assignment (every JOIN_POLL_MS) before it waits for heartbeats:
 * the coordinator assigns a moment after the join, and the heartbeat interval (5 s) is long to wait for it.
 */
const JOIN_WAIT_MS = 10_000
const JOIN_POLL_MS = 250
/** How long a member with no partitions waits before it looks at its assignment again. */
const IDLE_MS = 200
/** The share session epoch that closes a session; 0 opens one. */
const FINAL_EPOCH = -1
const LEAVE_EPOCH = -1

const GAP = 0
const ACK_TYPES: Record<ShareAck, number> = {accept: 1, release: 2, reject: 3}
const RELEASE = ACK_TYPES.release

type AcknowledgementBatch = {firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[]}

export function consumeShared(cluster: Cluster, request: ShareConsumeRequest): ConsumeSession {
  return memberSession(cluster, (signal) => run(cluster, request, signal))
}

/** One share session with a leader: its epoch (0 before it opens) and the partitions it fetches. */
interface ShareSession {
  epoch: number
  partitions: Set<number>
}

async function run(cluster: Cluster, request: ShareConsumeRequest, signal: AbortSignal): Promise<void> {
  const {topic} = request
  const topicId = (await retrying(cluster, () => cluster.metadata([topic]), {topicExists: true, signal})).topicIds.get(topic)
  if (!topicId) throw new KafkaProtocolError(3, `Metadata for topic "${topic}"`)
  const member = new ShareMember(cluster, request.group, topic, topicId)
  const sessions = new Map<number, ShareSession>()
  /** partition → offset → acknowledge type, not sent yet. */
  const pending = new Map<number, Map<number, number>>()
  let layout: PartitionState[] | undefined
  // Nothing assigned yet is not news: the first assignment is.
  let told = ''

  const acknowledge = (partition: number, offset: number, type: number): void => {
    let acks = pending.get(partition)
    if (!acks) pending.set(partition, (acks = new Map()))
    acks.set(offset, type)
  }

  /** Acknowledges each acquired offset of an answer: the records taken with the chosen type, the rest released, offsets without a record (transaction markers) as gaps. */
  const deliver = async (answer: ShareFetchResponsePartitionData, address: BrokerAddress): Promise<void> => {
    const partition = answer.partitionIndex
    const ranges = answer.acquiredRecords.map((r) => ({first: Number(r.firstOffset), last: Number(r.lastOffset), deliveryCount: r.deliveryCount}))
    if (ranges.length === 0) return
    request.onAcquired?.(ranges.map((r) => ({partition, firstOffset: r.first, lastOffset: r.last, deliveryCount: r.deliveryCount}) satisfies AcquiredRange))
    const decoded: ConsumedRecord[] = []
    try {
      const from = Math.min(...ranges.map((r) => r.first))
      for (const batch of answer.records ? splitBatches(answer.records) : []) {
        if (!batch.control) decodeRecords(batch, await batchRecords(batch), topic, partition, from, decoded)
      }
    } catch (error) {
      if (error instanceof MalformedMessage) throw new ProtocolViolation(address, `sent a malformed record batch for ${topic}[${partition}] (${error.message})`)
      throw error
    }
    const byOffset = new Map(decoded.map((r) => [r.offset, r]))
    const records: ConsumedRecord[] = []
    for (const range of ranges) {
      for (let offset = range.first; offset <= range.last; offset++) {
        const record = byOffset.get(offset)
        if (record) records.push({...record, deliveryCount: range.deliveryCount})
        else acknowledge(partition, offset, GAP)
      }
    }
    const taken = records.length > 0 && !signal.aborted ? await request.onRecords(records) : 0
    records.forEach((record, i) => acknowledge(partition, record.offset, i < taken ? ACK_TYPES[request.ack] : RELEASE))
  }

  /** One ShareFetch to a leader for its partitions, carrying their pending acknowledgements. */
  const fetchFrom = async (leader: number, partitions: number[]): Promise<{address: BrokerAddress; answers: ShareFetchResponsePartitionData[]}> => {
    const session = sessions.get(leader) ?? {epoch: 0, partitions: new Set<number>()}
    sessions.set(leader, session)
    const acked = new Map(partitions.map((p) => [p, takeAcks(pending, p)]))
    const forgotten = session.epoch === 0 ? [] : [...session.partitions].filter((p) => !partitions.includes(p))
    const connection = await cluster.broker(leader)
    try {
      const response = await connection.request(
        ShareFetch,
        {
          groupId: request.group,
          memberId: member.memberId,
          shareSessionEpoch: session.epoch,
          maxWaitMs: MAX_WAIT_MS,
          minBytes: 1,
          maxBytes: MAX_BYTES,
          maxRecords: MAX_RECORDS,
          batchSize: MAX_RECORDS,
          topics: [{topicId, partitions: partitions.map((p) => ({partitionIndex: p, partitionMaxBytes: PARTITION_MAX_BYTES, acknowledgementBatches: acked.get(p)!.batches}))}],
          forgottenTopicsData: forgotten.length > 0 ? [{topicId, partitions: forgotten}] : [],
        },
        MAX_WAIT_MS + 30_000,
      )
      if (response.errorCode === SHARE_SESSION_NOT_FOUND || response.errorCode === INVALID_SHARE_SESSION_EPOCH) {
        // The broker forgot the session (it restarted, or evicted it): open a new one, acknowledgements and all.
        session.epoch = 0
        session.partitions.clear()
        for (const [p, {offsets}] of acked) for (const [offset, type] of offsets) acknowledge(p, offset, type)
        return {address: connection.address, answers: []}
      }
      if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, `ShareFetch for group "${request.group}"`, response.errorMessage)
      session.epoch = session.epoch === 0x7fffffff ? 1 : session.epoch + 1
      session.partitions = new Set(partitions)
      return {address: connection.address, answers: response.responses.filter((t) => t.topicId === topicId).flatMap((t) => t.partitions)}
    } catch (error) {
      // Not answered: the acknowledgements go with the next request (records whose lock ran out meanwhile are simply delivered again).
      for (const [p, {offsets}] of acked) for (const [offset, type] of offsets) if (!pending.get(p)?.has(offset)) acknowledge(p, offset, type)
      sessions.delete(leader)
      throw error
    }
  }

  try {
    await member.join(signal)
    for (let attempt = 0; !signal.aborted; ) {
      member.check()
      const assigned = member.assigned
      const key = assigned.join()
      if (key !== told) {
        told = key
        await request.onAssignment(assigned)
      }
      // Partitions this member no longer fetches from still get their acknowledgements.
      const wanted = [...new Set([...assigned, ...[...pending].filter(([, acks]) => acks.size > 0).map(([p]) => p)])].sort((a, b) => a - b)
      if (wanted.length === 0) {
        await sleep(IDLE_MS, undefined, {signal}).catch(() => {})
        continue
      }
      try {
        layout ??= await retrying(cluster, () => cluster.topicPartitions(topic), {signal})
        const byLeader = Map.groupBy(wanted, (p) => layout![p]?.leader ?? -1)
        if (byLeader.has(-1)) throw new KafkaProtocolError(5, `ShareFetch from ${topic}`)
        const rounds = await Promise.all([...byLeader].map(([leader, partitions]) => fetchFrom(leader, partitions)))
        let relocate = false
        for (const {address, answers} of rounds) {
          for (const answer of answers) {
            if (answer.errorCode !== 0) {
              if (!isRetriable(answer.errorCode)) throw new KafkaProtocolError(answer.errorCode, `ShareFetch from ${topic}[${answer.partitionIndex}]`, answer.errorMessage)
              relocate = true
              continue
            }
            await deliver(answer, address)
          }
        }
        if (relocate) layout = undefined
        attempt = 0
      } catch (error) {
        if (signal.aborted) break
        if (!(error instanceof ConnectionError || (error instanceof KafkaProtocolError && error.retriable))) throw error
        layout = undefined
        await sleep(retryDelay(attempt++), undefined, {signal}).catch(() => {})
      }
    }
  } finally {
    member.close()
    await closeSessions(cluster, request.group, member.memberId, topicId, sessions, pending)
    await member.leave().catch(() => {})
  }
}

/** Sends each leader the acknowledgements left, closing its share session. */
async function closeSessions(cluster: Cluster, group: string, memberId: string, topicId: string, sessions: Map<number, ShareSession>, pending: Map<number, Map<number, number>>): Promise<void> {
  await Promise.all(
    [...sessions].filter(([, session]) => session.epoch !== 0).map(async ([leader, session]) => {
      const partitions = [...session.partitions].map((p) => ({partitionIndex: p, acknowledgementBatches: takeAcks(pending, p).batches})).filter((p) => p.acknowledgementBatches.length > 0)
      const connection = await cluster.broker(leader)
      await connection.request(ShareAcknowledge, {groupId: group, memberId, shareSessionEpoch: FINAL_EPOCH, topics: partitions.length > 0 ? [{topicId, partitions}] : []}, REQUEST_TIMEOUT_MS)
    }).map((sent) => sent.catch(() => {})),
  )
}

/** Takes a partition's pending acknowledgements as batches: runs of consecutive offsets with one type each. */
export function takeAcks(pending: Map<number, Map<number, number>>, partition: number): {offsets: Map<number, number>; batches: AcknowledgementBatch[]} {
  const offsets = pending.get(partition) ?? new Map<number, number>()
  pending.delete(partition)
  const batches: AcknowledgementBatch[] = []
  let run: {first: number; last: number; type: number} | undefined
  for (const offset of [...offsets.keys()].sort((a, b) => a - b)) {
    const type = offsets.get(offset)!
    if (run && offset === run.last + 1 && type === run.type) {
      run.last = offset
      continue
    }
    if (run) batches.push({firstOffset: BigInt(run.first), lastOffset: BigInt(run.last), acknowledgeTypes: [run.type]})
    run = {first: offset, last: offset, type}
  }
  if (run) batches.push({firstOffset: BigInt(run.first), lastOffset: BigInt(run.last), acknowledgeTypes: [run.type]})
  return {offsets, batches}
}

/**
 * Membership of a share group: joins with a member id of its own (a UUID, as share consumers name themselves),
 * heartbeats, and keeps the partitions the coordinator assigns. A member fenced or forgotten joins again.
 */
class ShareMember {
  // node:crypto loads when a member joins, not with every command that imports the client.
  readonly memberId = (process.getBuiltinModule('node:crypto') as typeof Crypto).randomBytes(16).toString('base64url')
  assigned: number[] = []
  private epoch = 0
  private interval = HEARTBEAT_MS
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private failure: unknown

  private readonly cluster: Cluster
  private readonly group: string
  private readonly topic: string
  private readonly topicId: string

  constructor(cluster: Cluster, group: string, topic: string, topicId: string) {
    this.cluster = cluster
    this.group = group
    this.topic = topic
    this.topicId = topicId
  }

  async join(signal: AbortSignal): Promise<void> {
    const deadline = performance.now() + JOIN_WAIT_MS
    let got = await retrying(this.cluster, () => this.heartbeat(), {signal, onRetry: (error) => this.forgetOnMove(error)})
    while (!got && performance.now() < deadline && !signal.aborted) {
      await sleep(JOIN_POLL_MS, undefined, {signal}).catch(() => {})
      got = await retrying(this.cluster, () => this.heartbeat(), {signal, onRetry: (error) => this.forgetOnMove(error)})
    }
    this.schedule()
  }

  /** Throws what made the heartbeats give up. */
  check(): void {
    if (this.failure) throw this.failure
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  async leave(): Promise<void> {
    if (this.epoch <= 0) return
    await this.heartbeat(LEAVE_EPOCH)
  }

  private forgetOnMove(error: unknown): void {
    if (coordinatorMoved(error)) this.cluster.forgetCoordinator(this.group)
  }

  /** One heartbeat; true when the answer carried an assignment. */
  private async heartbeat(epoch = this.epoch): Promise<boolean> {
    const coordinator = await this.cluster.coordinator(this.group)
    requireShareGroups(coordinator, ShareGroupHeartbeat)
    const response = await coordinator.request(
      ShareGroupHeartbeat,
      {groupId: this.group, memberId: this.memberId, memberEpoch: epoch, subscribedTopicNames: epoch === 0 ? [this.topic] : null},
      REQUEST_TIMEOUT_MS,
    )
    if (epoch === LEAVE_EPOCH) return false
    if (response.errorCode === FENCED_MEMBER_EPOCH || response.errorCode === UNKNOWN_MEMBER_ID) {
      // Fenced or forgotten (a session that timed out): join again with the same id; acquired records were released.
      this.epoch = 0
      return false
    }
    if (response.errorCode === GROUP_ID_NOT_FOUND || response.errorCode === 23) {
      throw usageError(`Cannot join share group "${this.group}": ${(response.errorMessage ?? 'the group exists and is not a share group').replace(/\.$/, '')}.`, 'Pick another name: `kcl group list` shows the groups and their types.')
    }
    if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, `ShareGroupHeartbeat for group "${this.group}"`, response.errorMessage)
    this.epoch = response.memberEpoch
    if (response.heartbeatIntervalMs > 0) this.interval = response.heartbeatIntervalMs
    if (!response.assignment) return false
    this.assigned = response.assignment.topicPartitions
      .filter((t) => t.topicId === this.topicId)
      .flatMap((t) => t.partitions)
      .sort((a, b) => a - b)
    return true
  }

  private schedule(): void {
    clearTimeout(this.timer)
    if (this.closed) return
    this.timer = setTimeout(async () => {
      try {
        await this.heartbeat()
      } catch (error) {
        this.forgetOnMove(error)
        if (!coordinatorMoved(error) && !transient(this.cluster, error)) {
          this.failure = error
          return
        }
      }
      this.schedule()
    }, this.interval)
  }
}
