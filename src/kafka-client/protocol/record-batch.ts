import {KclError} from '../../errors.ts'
import type {Compression, ConsumedRecord, OutgoingRecord, RecordHeader} from '../../kafka/client.ts'
import {compressors, decompressors} from './compression.ts'
import {MalformedMessage} from './primitives.ts'
import {crc32c} from './crc32c.ts'

/**
 * Kafka's record batch format (magic 2), the bytes Produce sends and Fetch returns: a 61-byte header, then the
 * records, each a run of zigzag varints and bytes. kcl writes and reads it itself because doing it through
 * kafkajs (Long objects per field, a JS object per step) made produce and consume 3–4× slower than kcat. It
 * writes and reads batches with any of Kafka's codecs (none, gzip, snappy, lz4, zstd).
 */

const HEADER_BYTES = 61
/** Bounds of a record's framing (length, attributes, timestamp and offset deltas, key and value lengths, header count), and a header's. */
const RECORD_OVERHEAD_BYTES = 27
const HEADER_OVERHEAD_BYTES = 10
// Offsets of the header fields, from the start of the batch.
const BATCH_LENGTH_AT = 8
const MAGIC_AT = 16
const CRC_AT = 17
const ATTRIBUTES_AT = 21
const LAST_OFFSET_DELTA_AT = 23
const FIRST_TIMESTAMP_AT = 27
const MAX_TIMESTAMP_AT = 35
const PRODUCER_ID_AT = 43
const RECORD_COUNT_AT = 57
/** baseOffset and batchLength precede what batchLength counts. */
const LOG_OVERHEAD = 12

const COMPRESSION_CODES: Record<Compression, number> = {none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4}
const COMPRESSION_NAMES: (Compression | undefined)[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const TIMESTAMP_TYPE_LOG_APPEND = 0x08
const TRANSACTIONAL = 0x10
const CONTROL = 0x20

/** The idempotent producer's identity and the sequence number of the batch's first record. */
export interface ProducerStamp {
  producerId: bigint
  producerEpoch: number
  baseSequence: number
}

const NO_PRODUCER: ProducerStamp = {producerId: -1n, producerEpoch: -1, baseSequence: -1}

const zigzag = (n: number): number => (n << 1) ^ (n >> 31)

function varintSize(zigzagged: number): number {
  if (zigzagged < 0x80) return 1
  if (zigzagged < 0x4000) return 2
  if (zigzagged < 0x200000) return 3
  if (zigzagged < 0x10000000) return 4
  return 5
}

/** Writes an already zigzagged 32-bit varint; returns the position after it. */
function writeVarint(buffer: Buffer, at: number, zigzagged: number): number {
  let rest = zigzagged >>> 0
  while (rest >= 0x80) {
    buffer[at++] = (rest & 0x7f) | 0x80
    rest >>>= 7
  }
  buffer[at++] = rest
  return at
}

const bytesSize = (bytes: Buffer | null): number => (bytes === null ? 1 : varintSize(zigzag(bytes.length)) + bytes.length)

function writeBytes(buffer: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buffer, at, 1) // length -1
  at = writeVarint(buffer, at, zigzag(bytes.length))
  bytes.copy(buffer, at)
  return at + bytes.length
}

/**
 * Records laid out in Kafka's record format after HEADER_BYTES of room for the batch header (RecordsWriter), all
 * bound for one partition.
 */
export interface EncodedRecords {
  buffer: Buffer
  /** Where the records end in `buffer`. */
  end: number
  count: number
  partition: number | undefined
}

/**
 * Writes records straight into a batch's buffer, each with timestamp delta 0 (the batch's time) and its offset
 * delta. A value is copied from any range of a buffer, so lines of input go in without a slice or an object
 * each: on a stream of short lines those made up most of produce's time (garbage collection). Buffers are
 * recycled once their send is acknowledged, so a long stream allocates a handful.
 */
export class RecordsWriter {
  private readonly capacity: number
  private readonly spare: Buffer[] = []
  private readonly headerKeys = new Map<string, Buffer>()
  private buffer: Buffer | undefined
  private at = HEADER_BYTES
  private count = 0

  /** `capacity`: the bytes of records a batch holds (a lone record larger than that gets a buffer of its own). */
  constructor(capacity: number) {
    this.capacity = capacity
  }

  get records(): number {
    return this.count
  }

  /** Appends a record whose value is `source[start, end)` (null `source`: no value); false, writing nothing, when the batch is full. */
  append(key: Buffer | null, source: Buffer | null, start: number, end: number, headers: RecordHeader[]): boolean {
    const valueLength = source === null ? -1 : end - start
    let body = 2 + varintSize(zigzag(this.count)) + bytesSize(key) + varintSize(zigzag(valueLength)) + Math.max(valueLength, 0) + varintSize(zigzag(headers.length))
    for (const [name, value] of headers) body += bytesSize(this.headerKey(name)) + bytesSize(value)
    const size = varintSize(zigzag(body)) + body
    if (this.count > 0 && this.at + size > this.buffer!.length) return false
    const buffer = this.bufferFor(size)
    let at = writeVarint(buffer, this.at, zigzag(body))
    buffer[at++] = 0 // attributes
    buffer[at++] = 0 // timestamp delta
    at = writeVarint(buffer, at, zigzag(this.count))
    at = writeBytes(buffer, at, key)
    at = writeVarint(buffer, at, zigzag(valueLength))
    if (source !== null) at += source.copy(buffer, at, start, end)
    at = writeVarint(buffer, at, zigzag(headers.length))
    for (const [name, value] of headers) {
      at = writeBytes(buffer, at, this.headerKey(name))
      at = writeBytes(buffer, at, value)
    }
    this.at = at
    this.count++
    return true
  }

  /** Hands over the records written so far (at least one) and starts a new batch. */
  take(partition: number | undefined): EncodedRecords {
    const taken: EncodedRecords = {buffer: this.buffer!, end: this.at, count: this.count, partition}
    this.buffer = undefined
    this.at = HEADER_BYTES
    this.count = 0
    return taken
  }

  /** Takes back a taken batch's buffer once nothing reads it any more (its send settled). */
  recycle(records: EncodedRecords): void {
    if (records.buffer.length === HEADER_BYTES + this.capacity) this.spare.push(records.buffer)
  }

  private bufferFor(size: number): Buffer {
    if (this.buffer) return this.buffer
    this.buffer = size > this.capacity ? Buffer.allocUnsafe(HEADER_BYTES + size) : (this.spare.pop() ?? Buffer.allocUnsafe(HEADER_BYTES + this.capacity))
    return this.buffer
  }

  private headerKey(name: string): Buffer {
    let bytes = this.headerKeys.get(name)
    if (!bytes) this.headerKeys.set(name, (bytes = Buffer.from(name, 'utf8')))
    return bytes
  }
}

/** Lays `records` (at least one) out for a batch, in a buffer of exactly their size. */
export function encodeRecords(records: OutgoingRecord[]): EncodedRecords {
  let total = 0
  for (const record of records) total += recordSize(record.key, record.value?.length ?? -1, record.headers)
  const writer = new RecordsWriter(total)
  for (const record of records) {
    const value = record.value
    writer.append(record.key, value, 0, value?.length ?? 0, record.headers)
  }
  return writer.take(undefined)
}

/**
 * An upper bound of a record's encoded size (`valueLength` -1: no value): the largest varints for its length,
 * offset delta, key, value and header sizes. Batches are cut by it, so it must never fall short.
 */
export function recordSize(key: Buffer | null, valueLength: number, headers: RecordHeader[]): number {
  let size = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + Math.max(valueLength, 0)
  for (const [name, value] of headers) size += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name, 'utf8') + value.length
  return size
}

/** One record batch holding `records` (at least one), stamped with `timestamp` and, when idempotent, the producer. */
export async function encodeRecordBatch(
  records: OutgoingRecord[] | EncodedRecords,
  options: {timestamp: number; compression: Compression; producer?: ProducerStamp},
): Promise<Buffer> {
  const encoded = Array.isArray(records) ? encodeRecords(records) : records
  // Uncompressed records are already in place after the header; compressed ones need a buffer of their own.
  let batch = encoded.buffer.subarray(0, encoded.end)
  if (options.compression !== 'none') {
    const compressed = await compressors[options.compression](batch.subarray(HEADER_BYTES))
    batch = Buffer.allocUnsafe(HEADER_BYTES + compressed.length)
    compressed.copy(batch, HEADER_BYTES)
  }
  const producer = options.producer ?? NO_PRODUCER
  batch.writeBigInt64BE(0n, 0) // base offset: the broker assigns it
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_AT)
  batch.writeInt32BE(-1, 12) // partition leader epoch: the broker's to set
  batch.writeInt8(2, MAGIC_AT)
  batch.writeInt16BE(COMPRESSION_CODES[options.compression], ATTRIBUTES_AT)
  batch.writeInt32BE(encoded.count - 1, LAST_OFFSET_DELTA_AT)
  batch.writeBigInt64BE(BigInt(options.timestamp), FIRST_TIMESTAMP_AT)
  batch.writeBigInt64BE(BigInt(options.timestamp), MAX_TIMESTAMP_AT)
  batch.writeBigInt64BE(producer.producerId, PRODUCER_ID_AT)
  batch.writeInt16BE(producer.producerEpoch, PRODUCER_ID_AT + 8)
  batch.writeInt32BE(producer.baseSequence, PRODUCER_ID_AT + 10)
  batch.writeInt32BE(encoded.count, RECORD_COUNT_AT)
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES_AT), CRC_AT)
  return batch
}

/** A batch's header as Fetch returned it, with its records still encoded (and maybe compressed). */
export interface BatchView {
  baseOffset: number
  /** The offset after the batch: where the next fetch starts. */
  nextOffset: number
  /** Compression code: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression: number
  logAppendTime: boolean
  transactional: boolean
  /** A transaction marker: never shown to users. */
  control: boolean
  producerId: bigint
  firstTimestamp: number
  maxTimestamp: number
  recordCount: number
  records: Buffer
}

const int64 = (buffer: Buffer, at: number): number => buffer.readInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4)

/**
 * Splits a Fetch response's record set into batches. A broker may cut the last batch short (it fills the size
 * limit with whole bytes, not whole batches): that tail is dropped and fetched again from its start. A first
 * batch cut short, or any length or count that cannot be, is a MalformedMessage.
 */
export function splitBatches(data: Buffer): BatchView[] {
  const batches: BatchView[] = []
  let at = 0
  while (at + LOG_OVERHEAD <= data.length) {
    const length = data.readInt32BE(at + BATCH_LENGTH_AT)
    if (length < HEADER_BYTES - LOG_OVERHEAD) throw new MalformedMessage(`a record batch of ${length} bytes at byte ${at}`)
    const end = at + LOG_OVERHEAD + length
    if (end > data.length) {
      // Kafka always sends the first batch whole, however large.
      if (batches.length === 0) throw new MalformedMessage(`a record batch of ${length} bytes in ${data.length - at}`)
      break
    }
    const magic = data.readInt8(at + MAGIC_AT)
    if (magic !== 2) {
      throw new KclError(`Kafka returned records in the old message format v${magic}, which kcl does not read.`, {
        hint: 'Topics written by Kafka 0.11 or later use format v2; kcat reads older ones.',
      })
    }
    const attributes = data.readInt16BE(at + ATTRIBUTES_AT)
    const baseOffset = int64(data, at)
    const lastOffsetDelta = data.readInt32BE(at + LAST_OFFSET_DELTA_AT)
    const recordCount = data.readInt32BE(at + RECORD_COUNT_AT)
    if (baseOffset < 0 || lastOffsetDelta < 0 || recordCount < 0) {
      throw new MalformedMessage(`a record batch at offset ${baseOffset} with offset delta ${lastOffsetDelta} and ${recordCount} records`)
    }
    batches.push({
      baseOffset,
      nextOffset: baseOffset + lastOffsetDelta + 1,
      compression: attributes & 0x07,
      logAppendTime: (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0,
      transactional: (attributes & TRANSACTIONAL) !== 0,
      control: (attributes & CONTROL) !== 0,
      producerId: data.readBigInt64BE(at + PRODUCER_ID_AT),
      firstTimestamp: int64(data, at + FIRST_TIMESTAMP_AT),
      maxTimestamp: int64(data, at + MAX_TIMESTAMP_AT),
      recordCount,
      records: data.subarray(at + HEADER_BYTES, end),
    })
    at = end
  }
  return batches
}

/** The batch's records section, decompressed. */
export async function batchRecords(batch: BatchView): Promise<Buffer> {
  if (batch.compression === 0) return batch.records
  const codec = COMPRESSION_NAMES[batch.compression]
  if (codec === undefined || codec === 'none') throw new MalformedMessage(`records at offset ${batch.baseOffset} in compression ${batch.compression}, which Kafka does not know`)
  const decompress = decompressors[codec]
  try {
    return await decompress(batch.records)
  } catch (error) {
    throw new MalformedMessage(`records at offset ${batch.baseOffset} that are not valid ${codec} data (${(error as Error).message})`)
  }
}

const NO_HEADERS: RecordHeader[] = []

// Where readVarint continues. Module state rather than a closure: this runs several times per consumed record,
// and V8 inlines a plain function reading a module variable far better than a closure over a local.
let cursor = 0

/** A zigzag varint (or varlong, exact up to 2^53) at `cursor`. */
function readVarint(buffer: Buffer): number {
  let byte = buffer[cursor++]!
  if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1)
  let value = byte & 0x7f
  let shift = 7
  do {
    byte = buffer[cursor++]!
    value = shift < 28 ? value | ((byte & 0x7f) << shift) : value + (byte & 0x7f) * 2 ** shift
    shift += 7
    if (shift > 63) throw new MalformedMessage('a varint longer than 64 bits in a record')
  } while (byte & 0x80)
  return value < 0x80000000 ? (value >>> 1) ^ -(value & 1) : value % 2 === 0 ? value / 2 : -(value + 1) / 2
}

/** Where a record's bytes end: its fields may not read past it. */
let recordEnd = 0

function readBytes(buffer: Buffer): Buffer | null {
  const length = readVarint(buffer)
  if (length < 0) {
    if (length === -1) return null
    throw new MalformedMessage(`a length of ${length} in a record`)
  }
  cursor += length
  if (cursor > recordEnd) throw new MalformedMessage(`${length} bytes past the end of a record`)
  return buffer.subarray(cursor - length, cursor)
}

/**
 * Appends the records of one batch (its decompressed records section) to `out`, skipping offsets below `from`.
 * Timestamps and offsets are plain numbers: exact up to 2^53. Every length is checked against the record's.
 */
export function decodeRecords(batch: BatchView, records: Buffer, topic: string, partition: number, from: number, out: ConsumedRecord[]): void {
  cursor = 0
  for (let i = 0; i < batch.recordCount && cursor < records.length; i++) {
    const length = readVarint(records)
    const end = cursor + length
    if (length < 0 || end > records.length) throw new MalformedMessage(`a record of ${length} bytes with ${records.length - cursor} left in its batch`)
    recordEnd = end
    cursor++ // attributes
    const timestampDelta = readVarint(records)
    const offset = batch.baseOffset + readVarint(records)
    if (offset < from) {
      cursor = end
      continue
    }
    const key = readBytes(records)
    const value = readBytes(records)
    const headerCount = readVarint(records)
    if (headerCount < 0 || headerCount > end - cursor) throw new MalformedMessage(`a record with ${headerCount} headers`)
    let headers = NO_HEADERS
    if (headerCount > 0) {
      headers = []
      for (let h = 0; h < headerCount; h++) {
        const name = readBytes(records)
        headers.push([name?.toString('utf8') ?? '', readBytes(records) ?? Buffer.alloc(0)])
      }
    }
    if (cursor > end) throw new MalformedMessage('a record longer than it says')
    cursor = end
    out.push({topic, partition, offset, timestamp: batch.logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + timestampDelta, key, value, headers})
  }
}
