import {setTimeout as sleep} from 'node:timers/promises'
import type {BrokerConnection} from './connection.ts'
import {ConnectionError} from './connection.ts'
import type {EncodedRecords, OutgoingRecord, ProducedBatch, ProducerOptions, RecordProducer} from '../kafka/client.ts'
import type {ClusterConnections} from './cluster.ts'
import {KafkaProtocolError, LEADER_NOT_AVAILABLE, retryDelay} from './protocol/error-codes.ts'
import {keyPartition} from './protocol/murmur2.ts'
import type {PartitionState} from './probes.ts'
import {encodeRecordBatch, type ProducerStamp} from './protocol/record-batch.ts'
import {Writer} from './protocol/primitives.ts'

/**
 * kcl's producer, on its own wire code (record-batch.ts): one record batch per partition per send, one Produce
 * request per leader, and up to 5 sends (MAX_IN_FLIGHT in kafka/produce.ts) on their way at once. With acks=all it is idempotent: each
 * partition's batches carry consecutive sequence numbers, so the broker drops a batch it already wrote when a
 * retry sends it again, and refuses one that would leave a gap (that one is retried after its predecessor).
 */

const PRODUCE = 0
const INIT_PRODUCER_ID = 22
const PRODUCE_VERSION = 7
const REQUEST_TIMEOUT_MS = 30_000
/** How long a send keeps retrying errors that go away by themselves (leaders moving, replicas catching up). */
const RETRY_BUDGET_MS = 30_000
const OUT_OF_ORDER_SEQUENCE = 45

interface PartitionBatch {
  partition: number
  records: OutgoingRecord[] | EncodedRecords
  bytes?: Buffer
  baseSequence: number
}

const retriable = (error: unknown): boolean =>
  error instanceof ConnectionError || (error instanceof KafkaProtocolError && (error.retriable || error.errorCode === OUT_OF_ORDER_SEQUENCE))

export async function openProducer(connections: ClusterConnections, options: ProducerOptions): Promise<RecordProducer> {
  const idempotent = options.acks === 'all'
  const identity = idempotent ? await initProducerId(connections) : undefined
  return new WireProducer(connections, options, identity)
}

/** Asks for a producer id and epoch (InitProducerId v1, no transaction), retrying while the coordinator loads. */
async function initProducerId(connections: ClusterConnections): Promise<Omit<ProducerStamp, 'baseSequence'>> {
  const deadline = performance.now() + RETRY_BUDGET_MS
  for (let attempt = 0; ; attempt++) {
    try {
      const connection = await connections.any()
      const body = new Writer().string(null).int32(60_000).bytes()
      const reader = await connection.request({apiKey: INIT_PRODUCER_ID, apiVersion: 1, body: [body], timeoutMs: REQUEST_TIMEOUT_MS})
      reader.int32() // throttle time
      const errorCode = reader.int16()
      if (errorCode !== 0) throw new KafkaProtocolError(errorCode, 'InitProducerId')
      return {producerId: reader.int64(), producerEpoch: reader.int16()}
    } catch (error) {
      if (!retriable(error) || performance.now() > deadline) throw error
      await sleep(retryDelay(attempt))
    }
  }
}

class WireProducer implements RecordProducer {
  private readonly connections: ClusterConnections
  private readonly options: ProducerOptions
  private readonly identity: Omit<ProducerStamp, 'baseSequence'> | undefined
  private readonly layouts = new Map<string, Promise<PartitionState[]>>()
  private readonly sequences = new Map<string, number>()
  /** Requests are written in the order sends were made (and retries in the order they failed): see turn(). */
  private lastTurn: Promise<void> = Promise.resolve()
  private stickyPartition = 0

  constructor(connections: ClusterConnections, options: ProducerOptions, identity: Omit<ProducerStamp, 'baseSequence'> | undefined) {
    this.connections = connections
    this.options = options
    this.identity = identity
  }

  async send(topic: string, records: OutgoingRecord[] | EncodedRecords): Promise<ProducedBatch[]> {
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
      const answers = await this.turn(async () => {
        await encoded
        if (attempt > 0) {
          await sleep(retryDelay(attempt - 1))
          this.layouts.delete(topic)
        }
        return this.write(topic, pending, await this.layout(topic))
      })
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
      layout = this.connections.topicPartitions(topic)
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
    for (const [leader, list] of byLeader) {
      let connection: BrokerConnection
      try {
        if (leader < 0) throw new KafkaProtocolError(LEADER_NOT_AVAILABLE, `Produce to ${topic}`)
        connection = await this.connections.broker(leader)
      } catch (error) {
        for (const batch of list) outcomes.set(batch, Promise.reject(error))
        continue
      }
      for (const [batch, outcome] of this.produce(connection, topic, list)) outcomes.set(batch, outcome)
    }
    return batches.map((batch) => {
      const outcome = outcomes.get(batch)!
      outcome.catch(() => {})
      return outcome
    })
  }

  private produce(connection: BrokerConnection, topic: string, batches: PartitionBatch[]): Map<PartitionBatch, Promise<number>> {
    const acks = this.options.acks === 'all' ? -1 : Number(this.options.acks)
    const head = new Writer().string(null).int16(acks).int32(REQUEST_TIMEOUT_MS).int32(1).string(topic).int32(batches.length).bytes()
    const body: Buffer[] = [head]
    for (const batch of batches) body.push(new Writer().int32(batch.partition).int32(batch.bytes!.length).bytes(), batch.bytes!)
    const spec = {apiKey: PRODUCE, apiVersion: PRODUCE_VERSION, body, timeoutMs: REQUEST_TIMEOUT_MS + 5000}
    if (acks === 0) {
      // Nobody answers acks=0: the batch counts as sent once it is written, and its offset stays unknown.
      connection.send(spec)
      return new Map(batches.map((batch) => [batch, Promise.resolve(-1)]))
    }
    const answer = connection.request(spec).then((reader) => {
      const offsets = new Map<number, number | KafkaProtocolError>()
      reader.array(() => {
        reader.string() // topic
        reader.array(() => {
          const partition = reader.int32()
          const errorCode = reader.int16()
          const baseOffset = Number(reader.int64())
          reader.int64() // log append time
          reader.int64() // log start offset
          offsets.set(partition, errorCode === 0 ? baseOffset : new KafkaProtocolError(errorCode, `Produce to ${topic}[${partition}]`))
        })
      })
      return offsets
    })
    return new Map(
      batches.map((batch) => [
        batch,
        answer.then((offsets) => {
          const outcome = offsets.get(batch.partition)
          if (outcome === undefined) throw new KafkaProtocolError(-1, `Produce to ${topic}[${batch.partition}]`)
          if (outcome instanceof KafkaProtocolError) throw outcome
          return outcome
        }),
      ]),
    )
  }
}
