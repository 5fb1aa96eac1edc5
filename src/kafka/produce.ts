import {setTimeout as sleep} from 'node:timers/promises'
import {KclError, usageError} from '../errors.ts'
import type {Acks, Compression, KafkaClient, OutgoingRecord, ProducedBatch, RecordHeader, RecordStream} from './client.ts'
import {generateDelivery} from './generate.ts'
import {parseHeader, parseJsonRecord, readLines, type LineOptions} from './records.ts'
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
  /**
   * Aborted on SIGINT or SIGTERM (the reason): reading stops, what was read is sent, and produce waits up to
   * ACK_WAIT_MS for the acknowledgements.
   */
  signal?: AbortSignal
}

export interface Delivery {
  message: number
  partition: number
  offset: number
}

export interface ProduceResult {
  topic: string
  /** Messages Kafka acknowledged (with acks=0: written). */
  count: number
  /** When interrupted: messages read but not sent (or refused), an unfinished last line included. */
  notSent: number
  /** When interrupted: messages sent whose answer did not come within ACK_WAIT_MS (they may still be written). */
  unanswered: number
  /** The signal's reason when produce was interrupted. */
  interrupted?: string
  seconds: number
  /** Per message, for messages given as arguments. */
  deliveries: Delivery[]
}

// A record batch must stay under the topic's max.message.bytes: each send is one batch, never split. A batch is
// 61 bytes of header (plus 12 of log overhead) around its records.
const BATCH_OVERHEAD_BYTES = 73
const MAX_BATCH_BYTES = 1_000_000
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

/** After SIGINT or SIGTERM, how long produce waits for the acknowledgements of what it read. */
export const ACK_WAIT_MS = 10_000

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
 * The stream's failure, once every other send settled, with the count of messages that made it before it: what
 * Kafka really holds.
 */
async function failed(stream: RecordStream, error: unknown): Promise<never> {
  const {acknowledged, uncertain} = stream
  if (!(error instanceof KclError) || (acknowledged === 0 && uncertain === 0) || /messages? before it (was|were) produced/.test(error.message)) throw error
  const counts = [
    `${acknowledged === 1 ? '1 message before it was' : `${acknowledged} messages before it were`} produced`,
    ...(uncertain > 0 ? [`${uncertain} more sent without an answer may or may not be in the topic`] : []),
  ]
  throw new KclError(`${error.message.replace(/\.$/, '')} (${counts.join('; ')}).`, {hint: error.hint, exitCode: error.exitCode})
}

function tooLarge(size: number, limit: number, where: string, topic: string, unfinished = false): KclError {
  return usageError(
    `${where} is ${unfinished ? 'already over ' : ''}${size} bytes; topic "${topic}" accepts at most ${limit} (max.message.bytes).`,
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
  // The topic's limit and a producer id (InitProducerId) are asked for at once: one round trip less before sending.
  const [configs, producer] = await Promise.all([client.topicConfigs(request.topic), client.producer({acks: request.acks, compression: request.compression})])
  const maxMessageBytes = Number(configs.find((c) => c.name === 'max.message.bytes')?.value ?? DEFAULT_MAX_MESSAGE_BYTES)
  const recordLimit = maxMessageBytes - BATCH_OVERHEAD_BYTES
  const build = recordBuilder(request, headers)

  const recordSize = (record: OutgoingRecord): number => producer.recordSize(record.key, record.value?.length ?? -1, record.headers)
  // Messages from the arguments are all checked before the first is sent, so bad input sends nothing.
  const fromArguments = request.messages.map((message, index) => build(Buffer.from(message, 'utf8'), index + 1))
  fromArguments.forEach((record, index) => {
    const size = recordSize(record)
    if (size > recordLimit) throw tooLarge(size, maxMessageBytes, `Message ${index + 1}`, request.topic)
  })

  const started = performance.now()
  const result = (count: number, notSent = 0, deliveries: Delivery[] = [], unanswered = 0): ProduceResult => ({
    topic: request.topic,
    count,
    notSent,
    unanswered,
    interrupted: request.signal?.aborted ? String(request.signal.reason) : undefined,
    seconds: (performance.now() - started) / 1000,
    deliveries,
  })
  try {
    if (fromArguments.length > 0) {
      const deliveries: Delivery[] = []
      for (const [index, record] of fromArguments.entries()) {
        if (request.signal?.aborted) return result(deliveries.length, fromArguments.length - deliveries.length, deliveries)
        const [landed]: ProducedBatch[] = await producer.send(request.topic, [record])
        const delivery = {message: index + 1, partition: landed?.partition ?? record.partition ?? -1, offset: landed?.baseOffset ?? -1}
        deliveries.push(delivery)
        request.onDelivered?.(delivery)
      }
      return result(deliveries.length, 0, deliveries)
    }
    // Batches stay well under the broker's limit, so a batch never exceeds it.
    const stream = await producer.stream(request.topic, {batchBytes: Math.max(1, Math.min(Math.floor(maxMessageBytes * 0.9), MAX_BATCH_BYTES))})
    const batcher = {
      add: (key: Buffer | null, source: Buffer | null, start: number, end: number, headers: RecordHeader[], partition: number | undefined) =>
        stream.append(key, source, start, end, headers, partition)?.catch((error: unknown) => failed(stream, error)),
      flush: () => stream.flush().catch((error: unknown) => failed(stream, error)),
      settle: () => stream.settle().catch((error: unknown) => failed(stream, error)),
    }
    let count = 0
    const refuseTooLarge = async (size: number, where: string, unfinished = false): Promise<never> => {
      await batcher.flush()
      await batcher.settle()
      const error = tooLarge(size, maxMessageBytes, where, request.topic, unfinished)
      const before = stream.acknowledged
      if (before === 0) throw error
      throw usageError(`${error.message.replace(/\.$/, '')}; the ${before === 1 ? '1 message before it was' : `${before} messages before it were`} produced.`, error.hint)
    }
    // The stream picks the partition when none is given: the key's (as Java clients pick it), else its sticky one.
    const add: AddRecord = (record, what, number) => {
      const size = recordSize(record)
      if (size > recordLimit) return refuseTooLarge(size, `${what} ${number}`)
      count++
      return batcher.add(record.key, record.value, 0, record.value?.length ?? 0, record.headers, record.partition)
    }
    const lines: LineOptions = {
      signal: request.signal,
      // A JSON line may spell each byte of its record in up to six ("\u00e9"); plain lines carry only the value.
      maxLineBytes: request.input === 'json' ? 6 * recordLimit : recordLimit,
      onTooLong: (lineNumber, bytes) => refuseTooLarge(bytes, `Line ${lineNumber}`, true),
    }
    let unfinished = false
    if (request.generate !== undefined) {
      await generate(request, headers, add, () => batcher.flush())
    } else if (request.input === 'json' || request.keySeparator !== undefined) {
      unfinished = await readLines(
        request.stdin,
        (source, start, end, lineNumber) => {
          const line = source.subarray(start, end)
          if (line.length === 0 || (request.input === 'json' && line.toString('utf8').trim() === '')) return undefined
          return add(build(line, lineNumber), 'Line', lineNumber)
        },
        lines,
      )
    } else {
      // Plain lines, the common stream: each goes from the input chunk straight into its batch.
      const key = request.key === undefined ? null : Buffer.from(request.key, 'utf8')
      const framing = recordSize({key, value: null, headers})
      const partition = request.partition
      unfinished = await readLines(
        request.stdin,
        (source, start, end, lineNumber) => {
          if (end === start) return undefined
          if (framing + end - start > recordLimit) return refuseTooLarge(framing + end - start, `Line ${lineNumber}`)
          count++
          return batcher.add(key, source, start, end, headers, partition)
        },
        {...lines, maxLineBytes: recordLimit - framing},
      )
    }
    const delivered = batcher.flush().then(() => batcher.settle())
    if (request.signal?.aborted) {
      // Interrupted: the counts are the answer, whatever happened to the sends.
      await Promise.race([delivered.catch(() => {}), sleep(ACK_WAIT_MS, undefined, {ref: false})])
      const {acknowledged, unanswered} = stream
      return result(acknowledged, count - acknowledged - unanswered + (unfinished ? 1 : 0), [], unanswered)
    }
    await delivered
    return result(stream.acknowledged)
  } finally {
    if (!request.signal?.aborted) await producer.close()
  }
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
    if (request.signal?.aborted) return
    const {key, value} = generateDelivery(i + 1)
    await add({key: Buffer.from(key), value: Buffer.from(value), headers, partition: request.partition}, 'Generated message', i + 1)
  }
}
