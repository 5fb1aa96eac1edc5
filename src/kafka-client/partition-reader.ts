import {setTimeout as sleep} from 'node:timers/promises'
import {ConnectionError} from './connection.ts'
import type {ConsumedRecord, ConsumeRequest, ConsumeSession} from '../kafka/client.ts'
import type {ClusterConnections} from './cluster.ts'
import {KafkaProtocolError, isRetriable, retryDelay} from './protocol/error-codes.ts'
import {batchRecords, decodeRecords, splitBatches, type BatchView} from './protocol/record-batch.ts'
import {Writer, type Reader} from './protocol/primitives.ts'

/**
 * Reads partitions without a consumer group, on kcl's own wire code: Fetch from each partition's leader, and
 * while the records of one answer are decoded and written out, the next request is already on its way. Like
 * kcat (librdkafka's defaults) it reads committed records only (read_committed) and does not verify batch CRCs.
 */

const FETCH = 1
const FETCH_VERSION = 11
const MAX_WAIT_MS = 500
const MAX_BYTES = 50 * 1024 * 1024
const PARTITION_MAX_BYTES = 10 * 1024 * 1024
const READ_COMMITTED = 1
const OFFSET_OUT_OF_RANGE = 1

interface PartitionPosition {
  partition: number
  /** The next offset to deliver. */
  next: number
}

interface PartitionAnswer {
  partition: number
  errorCode: number
  highWatermark: number
  logStartOffset: number
  aborted: {producerId: bigint; firstOffset: number}[]
  records: Buffer | null
}

interface FetchAnswer {
  /** partition → the offset this fetch asked from. */
  asked: Map<number, number>
  partitions: PartitionAnswer[]
}

/** Leadership moved or a broker went away: find the leaders again and go on from where each partition is. */
class Relocate extends Error {}

export function readPartitions(connections: ClusterConnections, request: ConsumeRequest): ConsumeSession {
  const stopController = new AbortController()
  const finished = run(connections, request, stopController.signal)
  finished.catch(() => {})
  return {
    finished,
    stop: async () => {
      stopController.abort()
      connections.close()
      await finished.catch(() => {})
    },
  }
}

async function run(connections: ClusterConnections, request: ConsumeRequest, signal: AbortSignal): Promise<void> {
  const isStopped = (): boolean => signal.aborted
  let layout = await connections.topicPartitions(request.topic)
  const wanted = request.partitions ?? layout.map((p) => p.partition)
  const positions = wanted.map((partition): PartitionPosition => {
    const next = request.startOffsets?.get(partition)
    if (next === undefined) throw new Error(`no start offset for ${request.topic}[${partition}]`)
    return {partition, next}
  })
  await request.onAssignment(wanted)
  for (let attempt = 0; !isStopped(); attempt++) {
    try {
      const leaderOf = (position: PartitionPosition): number => layout[position.partition]?.leader ?? -1
      if (positions.some((position) => leaderOf(position) < 0)) throw new Relocate()
      const byLeader = Map.groupBy(positions, leaderOf)
      // When one leader's partitions must move, every reader of this round stops before the next round starts.
      let roundOver = false
      const readers = [...byLeader].map(([leader, owned]) => readFromLeader(connections, leader, owned, request, () => roundOver || isStopped()))
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
    layout = await connections.topicPartitions(request.topic)
  }
}

/** Fetches the partitions one leader owns until stopped; throws Relocate when they need another leader. */
async function readFromLeader(connections: ClusterConnections, leader: number, owned: PartitionPosition[], request: ConsumeRequest, isStopped: () => boolean): Promise<void> {
  const connection = await connections.broker(leader)
  const fetch = (offsets: Map<number, number>): Promise<FetchAnswer> =>
    connection
      .request({apiKey: FETCH, apiVersion: FETCH_VERSION, body: [encodeFetch(request.topic, offsets)], timeoutMs: MAX_WAIT_MS + 30_000})
      .then((reader) => ({asked: offsets, partitions: decodeFetch(reader)}))
  let inFlight = fetch(new Map(owned.map((p) => [p.partition, p.next])))
  for (;;) {
    const answer = await inFlight
    if (isStopped()) return
    const batchesOf = new Map(answer.partitions.map((p) => [p.partition, p.errorCode === 0 && p.records ? splitBatches(p.records) : []]))
    const failed = answer.partitions.filter((p) => p.errorCode !== 0)
    if (failed.length === 0) {
      // Ask for what follows this answer before handling it, so the broker works while kcl decodes.
      const ahead = new Map<number, number>()
      for (const position of owned) {
        const asked = answer.asked.get(position.partition)
        const batches = batchesOf.get(position.partition) ?? []
        ahead.set(position.partition, asked === position.next && batches.length > 0 ? batches[batches.length - 1]!.nextOffset : position.next)
      }
      inFlight = fetch(ahead)
      inFlight.catch(() => {})
    }
    for (const partition of answer.partitions) {
      const position = owned.find((p) => p.partition === partition.partition)
      // An answer from before a partial take (--max-messages) is out of date for that partition.
      if (!position || answer.asked.get(partition.partition) !== position.next || partition.errorCode !== 0) continue
      await deliver(request, position, batchesOf.get(partition.partition) ?? [], partition.aborted)
      if (isStopped()) return
    }
    for (const partition of failed) {
      const position = owned.find((p) => p.partition === partition.partition)!
      if (partition.errorCode === OFFSET_OUT_OF_RANGE) {
        // The records were deleted (retention) or the offset is past the end: go on from the nearest offset there is.
        position.next = position.next < partition.logStartOffset ? partition.logStartOffset : partition.highWatermark
        request.onPosition?.(position.partition, position.next)
      } else if (!isRetriable(partition.errorCode)) {
        throw new KafkaProtocolError(partition.errorCode, `Fetch from ${request.topic}[${partition.partition}]`)
      }
    }
    if (failed.length > 0) throw new Relocate()
  }
}

/** Hands one partition's new records to the consumer, leaving out transaction markers and aborted transactions. */
async function deliver(request: ConsumeRequest, position: PartitionPosition, batches: BatchView[], aborted: PartitionAnswer['aborted']): Promise<void> {
  if (batches.length === 0) return
  const records: ConsumedRecord[] = []
  const abortedFrom = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
  const abortedProducers = new Set<bigint>()
  for (const batch of batches) {
    while (abortedFrom.length > 0 && abortedFrom[0]!.firstOffset < batch.nextOffset) abortedProducers.add(abortedFrom.shift()!.producerId)
    if (batch.control) {
      // The marker ends the producer's transaction: its later batches are another one.
      abortedProducers.delete(batch.producerId)
      continue
    }
    if (batch.transactional && abortedProducers.has(batch.producerId)) continue
    decodeRecords(batch, await batchRecords(batch), request.topic, position.partition, position.next, records)
  }
  const end = batches[batches.length - 1]!.nextOffset
  if (records.length > 0) {
    const taken = await request.onRecords(records)
    if (taken < records.length) {
      position.next = records[taken]!.offset
      return
    }
  }
  position.next = end
  request.onPosition?.(position.partition, end)
}

function encodeFetch(topic: string, offsets: Map<number, number>): Buffer {
  const writer = new Writer()
    .int32(-1) // replica id: a consumer
    .int32(MAX_WAIT_MS)
    .int32(1) // min bytes: answer as soon as there is anything
    .int32(MAX_BYTES)
    .int8(READ_COMMITTED)
    .int32(0) // no fetch session
    .int32(-1)
    .int32(1)
    .string(topic)
    .int32(offsets.size)
  for (const [partition, offset] of offsets) {
    writer.int32(partition).int32(-1) // current leader epoch: unknown
    writer.int64(offset).int64(-1) // fetch offset; log start offset (a consumer has none)
    writer.int32(PARTITION_MAX_BYTES)
  }
  return writer.int32(0).string('').bytes() // no forgotten topics, no rack
}

function decodeFetch(reader: Reader): PartitionAnswer[] {
  reader.int32() // throttle time
  const errorCode = reader.int16()
  if (errorCode !== 0) throw new KafkaProtocolError(errorCode, 'Fetch')
  reader.int32() // session id
  return reader
    .array(() => {
      reader.string() // topic
      return reader.array((): PartitionAnswer => {
        const partition = reader.int32()
        const partitionError = reader.int16()
        const highWatermark = Number(reader.int64())
        reader.int64() // last stable offset
        const logStartOffset = Number(reader.int64())
        const aborted = reader.array(() => ({producerId: reader.int64(), firstOffset: Number(reader.int64())}))
        reader.int32() // preferred read replica
        return {partition, errorCode: partitionError, highWatermark, logStartOffset, aborted, records: reader.bytes()}
      })
    })
    .flat()
}
