import {setTimeout as sleep} from 'node:timers/promises'
import type {OutgoingRecord, ProducedBatch, ProducerOptions, RecordHeader, RecordProducer, RecordStream, StreamOptions} from '../kafka/client.ts'
import type {Cluster, PartitionState} from './cluster.ts'
import {ConnectionError, type BrokerConnection} from './connection.ts'
import {DUPLICATE_SEQUENCE_NUMBER, KafkaProtocolError, LEADER_NOT_AVAILABLE, OUT_OF_ORDER_SEQUENCE_NUMBER, retryDelay} from './protocol/error-codes.ts'
import {InitProducerId, Produce} from './protocol/messages/index.ts'
import {keyPartition} from './protocol/murmur2.ts'
import {encodeRecordBatch, recordSize, RecordsWriter, type EncodedRecords, type ProducerStamp} from './protocol/record-batch.ts'
import {retrying, RETRY_BUDGET_MS} from './retry.ts'

/**
 * kcl's producer: one record batch per partition per send, one Produce request per leader, and up to
 * MAX_IN_FLIGHT sends on their way at once, written in the order they were made. With acks=all it is idempotent:
 * each partition's batches carry consecutive sequence numbers, so the broker drops a batch it already wrote when
 * a retry sends it again, and refuses one that would leave a gap (that one is retried after its predecessor).
 */

const REQUEST_TIMEOUT_MS = 30_000
/**
 * How many sends a stream has unacknowledged at once. Kafka remembers an idempotent producer's last 5 batches per
 * partition to drop duplicates a retry sends again; never more may be on their way.
 */
export const MAX_IN_FLIGHT = 5
/** How long a batch that is not full waits for more records (librdkafka's default linger.ms). */
const LINGER_MS = 5

interface PartitionBatch {
  partition: number
  records: OutgoingRecord[] | EncodedRecords
  bytes?: Buffer
  baseSequence: number
}

type Identity = Omit<ProducerStamp, 'baseSequence'>

const retriable = (error: unknown): boolean =>
  error instanceof ConnectionError || (error instanceof KafkaProtocolError && (error.retriable || error.errorCode === OUT_OF_ORDER_SEQUENCE_NUMBER))

export async function openProducer(cluster: Cluster, options: ProducerOptions): Promise<RecordProducer> {
  const identity = options.acks === 'all' ? await initProducerId(cluster) : undefined
  return new WireProducer(cluster, options, identity)
}

/** Asks for a producer id and epoch (no transaction), retrying while the coordinator loads. */
async function initProducerId(cluster: Cluster): Promise<Identity> {
  return retrying(cluster, async () => {
    const response = await (await cluster.any()).request(InitProducerId, {transactionalId: null, transactionTimeoutMs: 60_000}, REQUEST_TIMEOUT_MS)
    if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, 'InitProducerId')
    return {producerId: response.producerId, producerEpoch: response.producerEpoch}
  })
}

class WireProducer implements RecordProducer {
  private readonly cluster: Cluster
  private readonly options: ProducerOptions
  private readonly identity: Identity | undefined
  private readonly layouts = new Map<string, Promise<PartitionState[]>>()
  private readonly sequences = new Map<string, number>()
  /** Requests are written in the order sends were made (and retries in the order they failed): see turn(). */
  private lastTurn: Promise<void> = Promise.resolve()
  private stickyPartition = 0

  constructor(cluster: Cluster, options: ProducerOptions, identity: Identity | undefined) {
    this.cluster = cluster
    this.options = options
    this.identity = identity
  }

  recordSize(key: Buffer | null, valueLength: number, headers: RecordHeader[]): number {
    return recordSize(key, valueLength, headers)
  }

  async stream(topic: string, options: StreamOptions): Promise<RecordStream> {
    const partitions = (await this.layout(topic)).length
    return new Stream(this, topic, partitions, options.batchBytes, this.options.acks !== '0')
  }

  send(topic: string, records: OutgoingRecord[]): Promise<ProducedBatch[]> {
    return this.sendBatches(topic, records)
  }

  /** Sends records (a list, or one partition's encoded batch) and resolves with where they landed. */
  async sendBatches(topic: string, records: OutgoingRecord[] | EncodedRecords): Promise<ProducedBatch[]> {
    const layout = await this.layout(topic)
    const batches = this.split(topic, records, layout.length)
    const timestamp = Date.now()
    const encoded = Promise.all(
      batches.map(async (batch) => {
        const producer = this.identity && {...this.identity, baseSequence: batch.baseSequence}
        batch.bytes = await encodeRecordBatch(batch.records, {timestamp, compression: this.options.compression, producer})
      }),
    )
    encoded.catch(() => {}) // awaited in this send's turn, which may come after it failed
    const deadline = performance.now() + RETRY_BUDGET_MS
    const results: ProducedBatch[] = []
    let pending = batches
    for (let attempt = 0; ; attempt++) {
      let answers: Promise<number>[]
      try {
        answers = await this.turn(async () => {
          await encoded
          if (attempt > 0) {
            await sleep(retryDelay(attempt - 1))
            this.layouts.delete(topic)
          }
          return this.write(topic, pending, await this.layout(topic))
        })
      } catch (error) {
        // The leaders could not be asked (a broker restarting): retried like a send, within the same budget.
        if (retriable(error) && performance.now() < deadline) continue
        throw error
      }
      const failed: PartitionBatch[] = []
      let lastError: unknown
      for (const [index, answer] of (await Promise.allSettled(answers)).entries()) {
        const batch = pending[index]!
        if (answer.status === 'fulfilled') results.push({partition: batch.partition, baseOffset: answer.value})
        else if (retriable(answer.reason) && performance.now() < deadline) failed.push(batch)
        else lastError ??= answer.reason
      }
      if (lastError !== undefined) throw lastError
      if (failed.length === 0) return results.sort((a, b) => a.partition - b.partition)
      pending = failed
    }
  }

  async close(): Promise<void> {
    await this.lastTurn
  }

  /** The partition of a keyed record, as Java clients choose it. */
  keyed(key: Buffer, partitions: number): number {
    return keyPartition(key, partitions)
  }

  /**
   * Runs `write` when every earlier send's (or retry's) requests are written. Requests on one connection reach
   * the broker in order, so a partition's batches arrive in sequence order however long each took to encode.
   */
  private turn<T>(write: () => Promise<T>): Promise<T> {
    const result = this.lastTurn.then(write)
    this.lastTurn = result.then(
      () => {},
      () => {},
    )
    return result
  }

  private layout(topic: string): Promise<PartitionState[]> {
    let layout = this.layouts.get(topic)
    if (!layout) {
      layout = this.cluster.topicPartitions(topic)
      this.layouts.set(topic, layout)
      layout.catch(() => this.layouts.delete(topic))
    }
    return layout
  }

  /** Records by partition: the one asked for, else the key's, else one partition per send (Kafka's sticky partitioning). */
  private split(topic: string, records: OutgoingRecord[] | EncodedRecords, partitions: number): PartitionBatch[] {
    const sticky = this.stickyPartition++ % partitions
    if (!Array.isArray(records)) {
      const partition = records.partition ?? sticky
      return [{partition, records, baseSequence: this.takeSequences(topic, partition, records.count)}]
    }
    const byPartition = Map.groupBy(records, (record) => record.partition ?? (record.key === null ? sticky : keyPartition(record.key, partitions)))
    return [...byPartition].map(([partition, list]) => ({partition, records: list, baseSequence: this.takeSequences(topic, partition, list.length)}))
  }

  private takeSequences(topic: string, partition: number, count: number): number {
    if (!this.identity) return -1
    const key = `${topic}\u0000${partition}`
    const first = this.sequences.get(key) ?? 0
    this.sequences.set(key, (first + count) % 2 ** 31)
    return first
  }

  /** Writes one Produce request per leader; returns, per batch, a promise of its base offset. */
  private async write(topic: string, batches: PartitionBatch[], layout: PartitionState[]): Promise<Promise<number>[]> {
    const byLeader = Map.groupBy(batches, (batch) => layout[batch.partition]?.leader ?? -1)
    const outcomes = new Map<PartitionBatch, Promise<number>>()
    // The caller looks at the outcomes once all are there, but the loop waits for the next leader's connection in
    // the meantime: an outcome that fails by then must not count as an unhandled rejection, which ends the process.
    const keep = (batch: PartitionBatch, outcome: Promise<number>) => {
      outcome.catch(() => {})
      outcomes.set(batch, outcome)
    }
    for (const [leader, list] of byLeader) {
      let connection: BrokerConnection
      try {
        if (leader < 0) throw new KafkaProtocolError(LEADER_NOT_AVAILABLE, `Produce to ${topic}`)
        connection = await this.cluster.broker(leader)
      } catch (error) {
        for (const batch of list) keep(batch, Promise.reject(error))
        continue
      }
      for (const [batch, outcome] of this.produce(connection, topic, list)) keep(batch, outcome)
    }
    return batches.map((batch) => outcomes.get(batch)!)
  }

  private produce(connection: BrokerConnection, topic: string, batches: PartitionBatch[]): Map<PartitionBatch, Promise<number>> {
    const acks = this.options.acks === 'all' ? -1 : Number(this.options.acks)
    const request = {acks, timeoutMs: REQUEST_TIMEOUT_MS, topicData: [{name: topic, partitionData: batches.map((batch) => ({index: batch.partition, records: batch.bytes!}))}]}
    if (acks === 0) {
      // Nobody answers acks=0: the batch counts as sent once it is written, and its offset stays unknown.
      connection.send(Produce, request)
      return new Map(batches.map((batch) => [batch, Promise.resolve(-1)]))
    }
    const answer = connection.request(Produce, request, REQUEST_TIMEOUT_MS + 5000).then((response) => {
      const offsets = new Map<number, number | KafkaProtocolError>()
      for (const answered of response.responses) {
        for (const p of answered.partitionResponses) {
          // A duplicate is a batch a retry sent again that the broker had already written: it is in the log.
          const written = p.errorCode === 0 || p.errorCode === DUPLICATE_SEQUENCE_NUMBER
          offsets.set(p.index, written ? Number(p.baseOffset) : new KafkaProtocolError(p.errorCode, `Produce to ${topic}[${p.index}]`, p.errorMessage))
        }
      }
      return offsets
    })
    return new Map(
      batches.map((batch) => [
        batch,
        answer.then((offsets) => {
          const outcome = offsets.get(batch.partition)
          if (outcome === undefined) throw new KafkaProtocolError(-1, `Produce to ${topic}[${batch.partition}]`, 'the answer does not name the partition')
          if (outcome instanceof KafkaProtocolError) throw outcome
          return outcome
        }),
      ]),
    )
  }
}

/**
 * The stream's side of the producer: each partition's records are written straight into a batch (RecordsWriter),
 * a full batch goes out once fewer than MAX_IN_FLIGHT sends are unacknowledged. A batch that is not full goes out
 * LINGER_MS after its first record (librdkafka's linger.ms), so a line typed or piped alone is sent at once, while
 * bulk input, which fills batches faster than the broker acknowledges them, still goes in full batches.
 */
class Stream implements RecordStream {
  /** Per partition (undefined: keyless records, which go to the producer's sticky partition). */
  private readonly writers = new Map<number | undefined, RecordsWriter>()
  private readonly inFlight = new Set<Promise<void>>()
  private failure: unknown
  private lingering: NodeJS.Timeout | undefined
  private lastKey: Buffer | undefined
  private lastKeyPartition = 0
  acknowledged = 0
  unanswered = 0
  uncertain = 0

  private readonly producer: WireProducer
  private readonly topic: string
  private readonly partitions: number
  private readonly batchBytes: number
  /** Whether a batch's buffer may be reused once Kafka acknowledged it: not with acks=0, whose bytes may still wait in the socket. */
  private readonly recycle: boolean

  constructor(producer: WireProducer, topic: string, partitions: number, batchBytes: number, recycle: boolean) {
    this.producer = producer
    this.topic = topic
    this.partitions = partitions
    this.batchBytes = batchBytes
    this.recycle = recycle
  }

  /** No closure or object per record: this runs once per line of a large input. */
  append(key: Buffer | null, source: Buffer | null, start: number, end: number, headers: RecordHeader[], partition?: number): Promise<void> | undefined {
    if (this.failure !== undefined) return this.fail()
    const target = partition ?? (key === null ? undefined : this.keyPartition(key))
    let writer = this.writers.get(target)
    if (!writer) this.writers.set(target, (writer = new RecordsWriter(this.batchBytes)))
    this.lingering ??= setTimeout(() => this.flushLingering(), LINGER_MS)
    if (writer.append(key, source, start, end, headers)) return undefined
    return this.send(writer, target).then(() => {
      writer.append(key, source, start, end, headers)
      this.lingering ??= setTimeout(() => this.flushLingering(), LINGER_MS)
    })
  }

  async flush(): Promise<void> {
    clearTimeout(this.lingering)
    this.lingering = undefined
    for (const [partition, writer] of this.writers) if (writer.records > 0) await this.send(writer, partition)
  }

  async settle(): Promise<void> {
    await Promise.all(this.inFlight)
    if (this.failure !== undefined) await this.fail()
  }

  /** The linger timer's flush: a failure surfaces through the next append() or settle(). */
  private flushLingering(): void {
    this.lingering = undefined
    this.flush().catch(() => {})
  }

  /** One key given for every line is hashed once. */
  private keyPartition(key: Buffer): number {
    if (key !== this.lastKey) {
      this.lastKey = key
      this.lastKeyPartition = this.producer.keyed(key, this.partitions)
    }
    return this.lastKeyPartition
  }

  /** Hands the writer's batch to the producer once fewer than MAX_IN_FLIGHT sends are unacknowledged. */
  private async send(writer: RecordsWriter, partition: number | undefined): Promise<void> {
    while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight)
    if (this.failure !== undefined) await this.fail()
    // The linger timer and a full batch may both have waited for this turn: the first took the records.
    if (writer.records === 0) return
    const records = writer.take(partition)
    this.unanswered += records.count
    const sending: Promise<void> = this.producer.sendBatches(this.topic, records).then(
      () => {
        this.unanswered -= records.count
        this.acknowledged += records.count
        if (this.recycle) writer.recycle(records)
      },
      (error: unknown) => {
        this.unanswered -= records.count
        // Refused by the broker: not written. Lost on the way (no answer): may or may not be.
        if (!(error instanceof KafkaProtocolError)) this.uncertain += records.count
        this.failure ??= error
      },
    )
    this.inFlight.add(sending)
    void sending.then(() => this.inFlight.delete(sending))
  }

  /** Throws the first failure once every other send has settled, so `acknowledged` is what Kafka really holds. */
  private async fail(): Promise<never> {
    clearTimeout(this.lingering)
    await Promise.all(this.inFlight)
    throw this.failure
  }
}
