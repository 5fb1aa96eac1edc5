import {setTimeout as sleep} from 'node:timers/promises'
import {ExitCode, KclError} from '../errors.ts'
import type {ConsumedRecord, ConsumeRequest, ConsumeSession} from '../kafka/client.ts'
import type {Cluster, PartitionState} from './cluster.ts'
import {ConnectionError, ProtocolViolation, type BrokerConnection} from './connection.ts'
import {KafkaProtocolError, OFFSET_OUT_OF_RANGE, isRetriable, retryDelay} from './protocol/error-codes.ts'
import {Fetch, type FetchResponsePartitionData} from './protocol/messages/index.ts'
import {MalformedMessage} from './protocol/primitives.ts'
import {batchRecords, decodeRecords, splitBatches, type BatchView} from './protocol/record-batch.ts'
import {RETRY_BUDGET_MS, retrying} from './retry.ts'

/**
 * Reads partitions: Fetch from each partition's leader, and while the records of one answer are decoded and
 * handed over, the next request is already on its way. Like kcat (librdkafka's defaults) it reads committed
 * records only (read_committed) and does not verify batch CRCs. Consumers with and without a group read
 * through it, so every codec works for both.
 */

const MAX_WAIT_MS = 500
const MAX_BYTES = 50 * 1024 * 1024
const PARTITION_MAX_BYTES = 10 * 1024 * 1024
const READ_COMMITTED = 1

export interface ReadHandlers {
  /** Records of one partition, in offset order; returns how many of them (a prefix) were taken. Awaited: the backpressure. */
  onRecords(records: ConsumedRecord[]): Promise<number>
  /** A partition's next offset moved past records that are never shown (transaction markers, aborted transactions). */
  onPosition?(partition: number, next: number): void
}

interface FetchAnswer {
  /** partition → the offset this fetch asked from. */
  asked: Map<number, number>
  partitions: FetchResponsePartitionData[]
}

/** Leadership moved or a broker went away: find the leaders again and go on from where each partition is. */
class Relocate extends Error {}

/**
 * Reads `topic`'s partitions from `positions` (partition → next offset to hand over, updated as records are
 * taken) until `signal` aborts; rejects on a failure that does not go away by itself.
 */
export async function readPartitions(cluster: Cluster, topic: string, positions: Map<number, number>, handlers: ReadHandlers, signal: AbortSignal): Promise<void> {
  const isStopped = (): boolean => signal.aborted
  // Leaders, asked again while brokers come and go (a failover): only what lasts ends the read.
  const leaders = (): Promise<PartitionState[]> => retrying(cluster, () => cluster.topicPartitions(topic), {signal})
  let layout = await leaders()
  let leaderlessSince: number | undefined
  for (let attempt = 0; !isStopped(); attempt++) {
    // A partition without a leader is waited for as long as any retry, then the read fails with one clear line.
    const leaderless = [...positions.keys()].find((partition) => (layout[partition]?.leader ?? -1) < 0)
    if (leaderless === undefined) leaderlessSince = undefined
    else if (performance.now() - (leaderlessSince ??= performance.now()) > RETRY_BUDGET_MS) throw noLeader(topic, leaderless)
    try {
      const byLeader = Map.groupBy(positions.keys(), (partition) => layout[partition]?.leader ?? -1)
      if (byLeader.has(-1)) throw new Relocate()
      // When one leader's partitions must move, every reader of this round stops before the next round starts.
      let roundOver = false
      const readers = [...byLeader].map(([leader, owned]) =>
        readFromLeader(cluster, leader, topic, owned.map((p) => layout[p]!), positions, handlers, () => roundOver || isStopped()),
      )
      try {
        await Promise.all(readers)
      } finally {
        roundOver = true
        await Promise.allSettled(readers)
      }
      return
    } catch (error) {
      if (isStopped()) return
      if (!(error instanceof Relocate || error instanceof ConnectionError || (error instanceof KafkaProtocolError && error.retriable))) throw error
    }
    await sleep(retryDelay(attempt), undefined, {signal}).catch(() => {})
    if (isStopped()) return
    layout = await leaders()
  }
}

function noLeader(topic: string, partition: number): KclError {
  return new KclError(`Partition ${topic}[${partition}] has had no leader for ${RETRY_BUDGET_MS / 1000} s; kcl stopped waiting for it.`, {
    hint: `\`kcl topic describe ${topic}\` shows its replicas; start the brokers that hold them (\`kcl status\`).`,
    exitCode: ExitCode.environment,
  })
}

/** Fetches the partitions one leader owns until stopped; throws Relocate when they need another leader. */
async function readFromLeader(
  cluster: Cluster,
  leader: number,
  topic: string,
  owned: PartitionState[],
  positions: Map<number, number>,
  handlers: ReadHandlers,
  isStopped: () => boolean,
): Promise<void> {
  const connection = await cluster.broker(leader)
  const epochs = new Map(owned.map((p) => [p.partition, p.leaderEpoch]))
  const fetch = (offsets: Map<number, number>): Promise<FetchAnswer> =>
    fetchFrom(connection, topic, offsets, epochs).then((partitions) => ({asked: offsets, partitions}))
  let inFlight = fetch(new Map(owned.map((p) => [p.partition, positions.get(p.partition)!])))
  for (;;) {
    const answer = await inFlight
    if (isStopped()) return
    const batchesOf = new Map(
      answer.partitions.map((p) => [p.partitionIndex, p.errorCode === 0 && p.records ? checked(connection, topic, p.partitionIndex, () => splitBatches(p.records!)) : []]),
    )
    const failed = answer.partitions.filter((p) => p.errorCode !== 0)
    const ahead = new Map<number, number>()
    for (const {partition} of owned) {
      const next = positions.get(partition)!
      const asked = answer.asked.get(partition)
      const batches = batchesOf.get(partition) ?? []
      const after = batches.length > 0 ? batches[batches.length - 1]!.nextOffset : next
      // Kafka answers with batches that reach past the offset asked: anything else would be fetched again forever.
      if (asked === next && batches.length > 0 && after <= next) {
        throw new ProtocolViolation(connection.address, `answered Fetch from ${topic}[${partition}] at offset ${next} with records that end at ${after}`)
      }
      ahead.set(partition, asked === next ? after : next)
    }
    if (failed.length === 0) {
      // Ask for what follows this answer before handling it, so the broker works while kcl decodes.
      inFlight = fetch(ahead)
      inFlight.catch(() => {})
    }
    for (const partition of answer.partitions) {
      const next = positions.get(partition.partitionIndex)
      // An answer from before a partial take (--max-messages) is out of date for that partition.
      if (next === undefined || answer.asked.get(partition.partitionIndex) !== next || partition.errorCode !== 0) continue
      await checked(connection, topic, partition.partitionIndex, () => deliver(topic, partition, batchesOf.get(partition.partitionIndex) ?? [], positions, handlers))
      if (isStopped()) return
    }
    for (const partition of failed) {
      const index = partition.partitionIndex
      const next = positions.get(index)
      if (next === undefined) continue
      if (partition.errorCode === OFFSET_OUT_OF_RANGE) {
        // The records were deleted (retention) or the offset is past the end: go on from the nearest offset there is.
        const logStart = Number(partition.logStartOffset)
        const moved = next < logStart ? logStart : Number(partition.highWatermark)
        positions.set(index, moved)
        handlers.onPosition?.(index, moved)
      } else if (!isRetriable(partition.errorCode)) {
        throw new KafkaProtocolError(partition.errorCode, `Fetch from ${topic}[${index}]`)
      }
    }
    if (failed.length > 0) throw new Relocate()
  }
}

/** Runs `read`, turning records that do not decode into the broker's ProtocolViolation. */
function checked<T>(connection: BrokerConnection, topic: string, partition: number, read: () => T): T {
  const violation = (error: unknown): never => {
    if (!(error instanceof MalformedMessage)) throw error
    throw new ProtocolViolation(connection.address, `sent a malformed record batch for ${topic}[${partition}] (${error.message})`)
  }
  try {
    const result = read()
    return (result instanceof Promise ? result.catch(violation) : result) as T
  } catch (error) {
    return violation(error)
  }
}

async function fetchFrom(connection: BrokerConnection, topic: string, offsets: Map<number, number>, epochs: Map<number, number>): Promise<FetchResponsePartitionData[]> {
  const request = {
    maxWaitMs: MAX_WAIT_MS,
    minBytes: 1, // answer as soon as there is anything
    maxBytes: MAX_BYTES,
    isolationLevel: READ_COMMITTED,
    topics: [
      {
        topic,
        partitions: [...offsets].map(([partition, offset]) => ({
          partition,
          currentLeaderEpoch: epochs.get(partition) ?? -1,
          fetchOffset: BigInt(offset),
          partitionMaxBytes: PARTITION_MAX_BYTES,
        })),
      },
    ],
    forgottenTopicsData: [],
  }
  const response = await connection.request(Fetch, request, MAX_WAIT_MS + 30_000)
  if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, 'Fetch')
  return response.responses.flatMap((t) => t.partitions)
}

/**
 * Records are handed over in groups of about this many (whole batches) rather than a whole answer at once: a
 * 10 MB answer of short records is 100,000 objects, and while they all live, each of V8's young-generation
 * collections copies them (half of consume's time went to garbage collection).
 */
const HAND_OVER_RECORDS = 4096

/** Hands one partition's new records over, leaving out transaction markers and aborted transactions. */
async function deliver(topic: string, answer: FetchResponsePartitionData, batches: BatchView[], positions: Map<number, number>, handlers: ReadHandlers): Promise<void> {
  if (batches.length === 0) return
  const partition = answer.partitionIndex
  const from = positions.get(partition)!
  let records: ConsumedRecord[] = []
  /** Hands `records` over; false when only a prefix was taken (then the partition goes on from the first one left). */
  const handOver = async (): Promise<boolean> => {
    if (records.length === 0) return true
    const taken = await handlers.onRecords(records)
    // A group commits the positions: each reaches past what was taken as soon as it was.
    positions.set(partition, taken < records.length ? records[taken]!.offset : records[records.length - 1]!.offset + 1)
    if (taken < records.length) return false
    records = []
    return true
  }
  const abortedFrom = (answer.abortedTransactions ?? []).map((a) => ({producerId: a.producerId, firstOffset: Number(a.firstOffset)})).sort((a, b) => a.firstOffset - b.firstOffset)
  const abortedProducers = new Set<bigint>()
  for (const batch of batches) {
    while (abortedFrom.length > 0 && abortedFrom[0]!.firstOffset < batch.nextOffset) abortedProducers.add(abortedFrom.shift()!.producerId)
    if (batch.control) {
      // The marker ends the producer's transaction: its later batches are another one.
      abortedProducers.delete(batch.producerId)
      continue
    }
    if (batch.transactional && abortedProducers.has(batch.producerId)) continue
    decodeRecords(batch, await batchRecords(batch), topic, partition, from, records)
    if (records.length >= HAND_OVER_RECORDS && !(await handOver())) return
  }
  if (!(await handOver())) return
  const end = batches[batches.length - 1]!.nextOffset
  positions.set(partition, end)
  handlers.onPosition?.(partition, end)
}

/** Reads without a group: the partitions asked for, from the offsets given, on connections of its own. */
export function readWithoutGroup(cluster: Cluster, request: ConsumeRequest): ConsumeSession {
  const stopController = new AbortController()
  const run = async (): Promise<void> => {
    const layout = await cluster.topicPartitions(request.topic)
    const wanted = request.partitions ?? layout.map((p) => p.partition)
    const positions = new Map(
      wanted.map((partition) => {
        const next = request.startOffsets?.get(partition)
        if (next === undefined) throw new Error(`no start offset for ${request.topic}[${partition}]`)
        return [partition, next]
      }),
    )
    await request.onAssignment(wanted)
    await readPartitions(cluster, request.topic, positions, request, stopController.signal)
  }
  // Stopping closes the connections under whatever request is out: not a failure.
  const finished = run().catch((error: unknown) => {
    if (!stopController.signal.aborted) throw error
  })
  finished.catch(() => {})
  return {
    finished,
    stop: async () => {
      stopController.abort()
      cluster.close()
      await finished.catch(() => {})
    },
  }
}
