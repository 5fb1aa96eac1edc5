import {setTimeout as sleep} from 'node:timers/promises'
import {KclError, usageError} from '../errors.ts'
import {MAX_IN_FLIGHT, type Acks, type Compression, type KafkaClient, type OutgoingRecord, type ProducedBatch, type RecordHeader, type RecordProducer} from './client.ts'
import {generateDelivery} from './generate.ts'
import {lineSplitter, parseHeader, parseJsonRecord} from './records.ts'
import {requireTopic} from './topics.ts'

export interface ProduceRequest {
  topic: string
  /** Messages given as arguments; when empty, stdin is read (or --generate used). */
  messages: string[]
  input: 'text' | 'json'
  key?: string
  keySeparator?: string
  headers: string[]
  partition?: number
  acks: Acks
  compression: Compression
  generate?: number
  /** Messages per second for --generate. */
  rate?: number
  stdin: AsyncIterable<Buffer | string>
  /** Called for each message sent from the arguments, with where it landed. */
  onDelivered?: (delivery: Delivery) => void
}

export interface Delivery {
  message: number
  partition: number
  offset: number
}

export interface ProduceResult {
  topic: string
  count: number
  seconds: number
  /** Per message, for messages given as arguments. */
  deliveries: Delivery[]
}

// A record batch must stay under the topic's max.message.bytes: each partition's share of a send() is one
// batch, never split. These bound a batch by count and by estimated size.
const MAX_BATCH_RECORDS = 20_000
const RECORD_OVERHEAD_BYTES = 24
const BATCH_OVERHEAD_BYTES = 70
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

export function recordSize(record: OutgoingRecord): number {
  let size = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  for (const [key, value] of record.headers) size += key.length + value.length + 4
  return size
}

export function validateProduceRequest(request: ProduceRequest): void {
  if (request.key !== undefined && request.keySeparator !== undefined) {
    throw usageError('--key and --key-separator cannot be used together.', '--key gives every message the same key; --key-separator reads a key from each line.')
  }
  if (request.input === 'json' && (request.key !== undefined || request.keySeparator !== undefined)) {
    throw usageError('--input json reads keys from the JSON lines; drop --key/--key-separator.')
  }
  if (request.keySeparator === '') throw usageError('--key-separator cannot be empty.')
  if (request.generate !== undefined) {
    if (!Number.isInteger(request.generate) || request.generate < 1) throw usageError(`--generate must be 1 or more, not ${request.generate}.`)
    if (request.messages.length > 0) throw usageError('Give either messages or --generate, not both.')
    if (request.input === 'json') throw usageError('--generate makes its own messages; drop --input json.')
  }
  if (request.rate !== undefined && (!(request.rate > 0) || request.generate === undefined)) {
    throw usageError(request.generate === undefined ? '--rate only applies to --generate.' : `--rate must be above 0, not ${request.rate}.`)
  }
  if (request.partition !== undefined && (!Number.isInteger(request.partition) || request.partition < 0)) {
    throw usageError(`--partition must be 0 or more, not ${request.partition}.`)
  }
}

/** Builds records from lines of text (or JSON), applying --key, --key-separator, --header and --partition. */
export function recordBuilder(request: Pick<ProduceRequest, 'input' | 'key' | 'keySeparator' | 'partition'>, headers: RecordHeader[]): (line: Buffer, lineNumber: number) => OutgoingRecord {
  const fixedKey = request.key === undefined ? null : Buffer.from(request.key, 'utf8')
  const separator = request.keySeparator === undefined ? undefined : Buffer.from(request.keySeparator, 'utf8')
  return (line, lineNumber) => {
    if (request.input === 'json') {
      const record = parseJsonRecord(line.toString('utf8'), lineNumber)
      return {...record, headers: [...record.headers, ...headers], partition: request.partition}
    }
    if (separator) {
      const at = line.indexOf(separator)
      if (at >= 0) return {key: line.subarray(0, at), value: line.subarray(at + separator.length), headers, partition: request.partition}
    }
    return {key: fixedKey, value: line, headers, partition: request.partition}
  }
}

/**
 * Sends records in batches with up to MAX_IN_FLIGHT sends on their way: while Kafka acknowledges those, the next
 * batch fills, and reading stops when it is full too, so memory stays bounded however long the input is.
 */
class Batcher {
  private batch: OutgoingRecord[] = []
  private batchBytes = BATCH_OVERHEAD_BYTES
  private readonly inFlight = new Set<Promise<void>>()
  private failure: unknown
  sent = 0
  private readonly producer: RecordProducer
  private readonly topic: string
  private readonly maxBatchBytes: number

  constructor(producer: RecordProducer, topic: string, maxBatchBytes: number) {
    this.producer = producer
    this.topic = topic
    this.maxBatchBytes = maxBatchBytes
  }

  /** Adds a record of `size` bytes (recordSize); returns a promise only when it had to send a full batch first. */
  add(record: OutgoingRecord, size: number): Promise<void> | undefined {
    if (this.batch.length > 0 && (this.batchBytes + size > this.maxBatchBytes || this.batch.length >= MAX_BATCH_RECORDS)) {
      return this.flush().then(() => this.push(record, size))
    }
    this.push(record, size)
    return undefined
  }

  private push(record: OutgoingRecord, size: number): void {
    this.batch.push(record)
    this.batchBytes += size
  }

  /** Hands the current batch to the producer once fewer than MAX_IN_FLIGHT sends are unacknowledged. */
  async flush(): Promise<void> {
    while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight)
    this.throwFailure()
    if (this.batch.length === 0) return
    const records = this.batch
    this.batch = []
    this.batchBytes = BATCH_OVERHEAD_BYTES
    const sending: Promise<void> = this.producer.send(this.topic, records).then(
      () => {
        this.sent += records.length
      },
      (error: unknown) => {
        this.failure ??= error
      },
    )
    this.inFlight.add(sending)
    void sending.then(() => this.inFlight.delete(sending))
  }

  /** Waits for every send to be acknowledged. */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight)
    this.throwFailure()
  }

  private throwFailure(): void {
    if (this.failure === undefined) return
    const error = this.failure
    if (error instanceof KclError && this.sent > 0) {
      throw new KclError(`${error.message.replace(/\.$/, '')} (${this.sent} messages before it were produced).`, {hint: error.hint, exitCode: error.exitCode})
    }
    throw error
  }
}

function tooLarge(size: number, limit: number, where: string, topic: string): KclError {
  return usageError(
    `${where} is ${size} bytes; topic "${topic}" accepts at most ${limit} (max.message.bytes).`,
    `Raise the limit with \`--config max.message.bytes=N\` when creating the topic, or send smaller messages.`,
  )
}

export async function produce(client: KafkaClient, request: ProduceRequest): Promise<ProduceResult> {
  validateProduceRequest(request)
  const headers = request.headers.map(parseHeader)
  const partitions = await requireTopic(client, request.topic)
  if (request.partition !== undefined && request.partition >= partitions.length) {
    throw usageError(`Topic "${request.topic}" has partitions 0 to ${partitions.length - 1}; there is no partition ${request.partition}.`)
  }
  const configs = await client.topicConfigs(request.topic)
  const maxMessageBytes = Number(configs.find((c) => c.name === 'max.message.bytes')?.value ?? DEFAULT_MAX_MESSAGE_BYTES)
  const recordLimit = maxMessageBytes - BATCH_OVERHEAD_BYTES
  const build = recordBuilder(request, headers)

  // Messages from the arguments are all checked before the first is sent, so bad input sends nothing.
  const fromArguments = request.messages.map((message, index) => build(Buffer.from(message, 'utf8'), index + 1))
  fromArguments.forEach((record, index) => {
    const size = recordSize(record)
    if (size > recordLimit) throw tooLarge(size, maxMessageBytes, `Message ${index + 1}`, request.topic)
  })

  const producer = await client.producer({acks: request.acks, compression: request.compression})
  const started = performance.now()
  const deliveries: Delivery[] = []
  let count = 0
  try {
    if (fromArguments.length > 0) {
      for (const [index, record] of fromArguments.entries()) {
        const [landed]: ProducedBatch[] = await producer.send(request.topic, [record])
        const delivery = {message: index + 1, partition: landed?.partition ?? record.partition ?? -1, offset: landed?.baseOffset ?? -1}
        deliveries.push(delivery)
        request.onDelivered?.(delivery)
      }
      count = fromArguments.length
    } else {
      // Batches stay well under the broker's limit, so one partition's share never exceeds it.
      const batcher = new Batcher(producer, request.topic, Math.max(1, Math.min(Math.floor(maxMessageBytes * 0.9), 1_000_000)))
      const refuseTooLarge = async (size: number, where: string): Promise<never> => {
        await batcher.flush()
        await batcher.settle()
        const error = tooLarge(size, maxMessageBytes, where, request.topic)
        if (batcher.sent === 0) throw error
        throw usageError(`${error.message.replace(/\.$/, '')}; the ${batcher.sent} messages before it were produced.`, error.hint)
      }
      // Called once per line of a large input: no promise unless a batch is sent, no closure per record.
      const add: AddRecord = (record, what, number) => {
        const size = recordSize(record)
        if (size > recordLimit) return refuseTooLarge(size, `${what} ${number}`)
        count++
        return batcher.add(record, size)
      }
      if (request.generate !== undefined) {
        await generate(request, headers, add, () => batcher.flush())
      } else {
        let lineNumber = 0
        let pending: Buffer[] = []
        const splitter = lineSplitter((line) => pending.push(line))
        const drain = async (): Promise<void> => {
          const lines = pending
          pending = []
          for (const line of lines) {
            lineNumber++
            if (line.length === 0 || (request.input === 'json' && line.toString('utf8').trim() === '')) continue
            const sending = add(build(line, lineNumber), 'Line', lineNumber)
            if (sending) await sending
          }
        }
        for await (const chunk of request.stdin) {
          splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)
          await drain()
        }
        splitter.end()
        await drain()
      }
      await batcher.flush()
      await batcher.settle()
    }
  } finally {
    await producer.close()
  }
  return {topic: request.topic, count, seconds: (performance.now() - started) / 1000, deliveries}
}

type AddRecord = (record: OutgoingRecord, what: string, number: number) => Promise<void> | undefined

async function generate(
  request: ProduceRequest,
  headers: RecordHeader[],
  add: AddRecord,
  flush: () => Promise<void>,
): Promise<void> {
  const total = request.generate ?? 0
  const started = performance.now()
  for (let i = 0; i < total; i++) {
    if (request.rate !== undefined) {
      // Send what is ready, then wait until this message is due: batches at high rates, singles at low ones.
      const due = started + (i * 1000) / request.rate
      const wait = due - performance.now()
      if (wait > 0) {
        await flush()
        await sleep(wait)
      }
    }
    const {key, value} = generateDelivery(i + 1)
    await add({key: Buffer.from(key), value: Buffer.from(value), headers, partition: request.partition}, 'Generated message', i + 1)
  }
}
