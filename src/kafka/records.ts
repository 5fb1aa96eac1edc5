import {isUtf8} from 'node:buffer'
import {usageError} from '../errors.ts'
import type {ConsumedRecord, OutgoingRecord, RecordHeader} from './client.ts'

/**
 * How records look as text: the JSON line format `consume --output json` writes and `produce --input json`
 * reads, `--format` templates, and `--header k=v` parsing. Bytes that are valid UTF-8 appear as JSON
 * strings; anything else as {"base64": "…"}, so binary keys, values and headers survive a round trip.
 */

export type EncodedBytes = string | {base64: string} | null

export interface JsonRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: EncodedBytes
  value: EncodedBytes
  /**
   * [name, value] pairs in the record's order: names are data, never an object's keys ("constructor" and
   * "__proto__" included), and a name that repeats keeps each value where it was.
   */
  headers: [string, EncodedBytes][]
  /** Share groups only: how many times the record was delivered (2 and up: it came back). */
  deliveryCount?: number
}

export function encodeBytes(bytes: Buffer | null): EncodedBytes {
  if (bytes === null) return null
  return isUtf8(bytes) ? bytes.toString('utf8') : {base64: bytes.toString('base64')}
}

export function toJsonRecord(record: ConsumedRecord): JsonRecord {
  const headers = record.headers.map(([key, value]): [string, EncodedBytes] => [key, encodeBytes(value)])
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: encodeBytes(record.key),
    value: encodeBytes(record.value),
    headers,
    ...(record.deliveryCount === undefined ? {} : {deliveryCount: record.deliveryCount}),
  }
}

function decodeBytes(value: unknown, what: string, line: number): Buffer | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (typeof value === 'object' && value !== null && typeof (value as {base64?: unknown}).base64 === 'string' && Object.keys(value).length === 1) {
    return Buffer.from((value as {base64: string}).base64, 'base64')
  }
  throw usageError(`Line ${line}: ${what} must be a string, {"base64": "…"} or null.`, 'Use the format `kcl consume --output json` writes.')
}

/**
 * Reads one line of `consume --output json` back into a record to send. Topic, partition, offset and
 * timestamp are ignored: the record goes where produce sends it and gets a fresh timestamp.
 */
export function parseJsonRecord(text: string, line: number): OutgoingRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw usageError(`Line ${line} is not valid JSON: ${(error as Error).message}.`, 'Each line must be one object as `kcl consume --output json` writes it.')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usageError(`Line ${line} is not a JSON object.`, 'Each line must be one object as `kcl consume --output json` writes it, e.g. {"key":"k","value":"v"}.')
  }
  const object = parsed as Record<string, unknown>
  if (!('value' in object)) throw usageError(`Line ${line} has no "value".`, 'Give "value" (null for a tombstone).')
  const headers = parseJsonHeaders(object.headers, line)
  return {key: decodeBytes(object.key, '"key"', line), value: decodeBytes(object.value, '"value"', line), headers}
}

const HEADERS_HINT = 'Give "headers" as [["name", "value"], …], as `kcl consume --output json` writes them.'

/**
 * "headers" of a JSON line: [name, value] pairs as consume writes them (any name, repeats in order), rpk's
 * {"key": …, "value": …} objects, or the older {name: value or [values]} object.
 */
function parseJsonHeaders(headers: unknown, line: number): RecordHeader[] {
  if (headers === undefined || headers === null) return []
  const header = (name: unknown, value: unknown): RecordHeader => {
    if (typeof name !== 'string') throw usageError(`Line ${line}: a header name must be a string.`, HEADERS_HINT)
    return [name, decodeBytes(value, `header "${name}"`, line) ?? Buffer.alloc(0)]
  }
  if (Array.isArray(headers)) {
    return headers.map((entry: unknown) => {
      if (Array.isArray(entry) && entry.length === 2) return header(entry[0], entry[1])
      if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && 'key' in entry) return header((entry as {key: unknown}).key, (entry as {value?: unknown}).value)
      throw usageError(`Line ${line}: each header must be a [name, value] pair.`, HEADERS_HINT)
    })
  }
  if (typeof headers !== 'object') throw usageError(`Line ${line}: "headers" must be a list of [name, value] pairs.`, HEADERS_HINT)
  // Object.entries reads own properties only: a "__proto__" key JSON.parse made is one of them.
  return Object.entries(headers as Record<string, unknown>).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((one) => header(name, one)))
}

/** `--header k=v`: the key is everything before the first "=". */
export function parseHeader(text: string): RecordHeader {
  const equals = text.indexOf('=')
  if (equals <= 0) throw usageError(`--header "${text}" is not key=value.`, 'For example --header source=kcl.')
  return [text.slice(0, equals), Buffer.from(text.slice(equals + 1), 'utf8')]
}

function textOf(bytes: Buffer | null): string {
  if (bytes === null) return ''
  return isUtf8(bytes) ? bytes.toString('utf8') : `base64:${bytes.toString('base64')}`
}

/** The default text output: the value, binary ones marked as base64, one per line; a share group's records after their delivery count. */
export function formatText(record: ConsumedRecord): string {
  const delivery = record.deliveryCount === undefined ? '' : `[delivery ${record.deliveryCount}] `
  return `${delivery}${record.value === null ? '(null)' : textOf(record.value)}\n`
}

/**
 * Many records' values as one buffer, a line each: `raw` as they are, `text` as formatText writes them. The bytes
 * are copied, never turned into strings: on a stream of short records, a string per record and the join of them
 * were most of consume's time (garbage collection).
 */
export function valueLines(records: ConsumedRecord[], output: 'raw' | 'text'): Buffer {
  // Text shows a null value and bytes that are not UTF-8 as words; those (rare) lines are rendered on their own.
  let special: Map<number, Buffer> | undefined
  let size = records.length
  for (let i = 0; i < records.length; i++) {
    const value = records[i]!.value
    if (output === 'text' && (value === null || !isUtf8(value))) {
      const line = Buffer.from(formatText(records[i]!), 'utf8')
      ;(special ??= new Map()).set(i, line)
      size += line.length - 1
    } else if (value !== null) {
      size += value.length
    }
  }
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (let i = 0; i < records.length; i++) {
    const line = special?.get(i)
    if (line !== undefined) {
      at += line.copy(out, at)
      continue
    }
    const value = records[i]!.value
    if (value !== null) at += value.copy(out, at)
    out[at++] = 0x0a
  }
  return out
}

const FORMAT_FIELDS: Record<string, (record: ConsumedRecord) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => textOf(r.key),
  v: (r) => textOf(r.value),
  s: (r) => textOf(r.value),
  T: (r) => String(r.timestamp),
  h: (r) => r.headers.map(([key, value]) => `${key}=${textOf(value)}`).join(','),
  d: (r) => String(r.deliveryCount ?? ''),
  '%': () => '%',
}

export const FORMAT_HELP = '%t topic, %p partition, %o offset, %k key, %v (or %s) value, %T timestamp (ms), %h headers k=v,…, %d delivery count (share groups), %% a percent sign; \\n and \\t work'

/** Compiles a kcat-like --format template once; each record then renders in one pass. */
export function compileFormat(template: string): (record: ConsumedRecord) => string {
  const pieces: (string | ((record: ConsumedRecord) => string))[] = []
  let literal = ''
  for (let i = 0; i < template.length; i++) {
    const char = template[i]
    const next = template[i + 1]
    if (char === '%' && next !== undefined && FORMAT_FIELDS[next]) {
      if (literal) pieces.push(literal)
      literal = ''
      pieces.push(FORMAT_FIELDS[next])
      i++
    } else if (char === '%') {
      throw usageError(`--format has an unknown field "%${next ?? ''}".`, `Fields: ${FORMAT_HELP}.`)
    } else if (char === '\\' && (next === 'n' || next === 't')) {
      literal += next === 'n' ? '\n' : '\t'
      i++
    } else {
      literal += char
    }
  }
  if (!literal.endsWith('\n')) literal += '\n'
  pieces.push(literal)
  return (record) => {
    let out = ''
    for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(record)
    return out
  }
}

/** Called with each line as a range of a buffer (without its newline); may return a promise to wait for. */
export type LineHandler = (source: Buffer, start: number, end: number, lineNumber: number) => Promise<void> | undefined

export interface LineOptions {
  /** Stops reading: the lines read so far are handed over, a last line without its newline is not. */
  signal?: AbortSignal
  /**
   * A line that has grown past this many bytes and goes on in the next chunk goes to onTooLong (which throws)
   * then, not when (if ever) its newline comes: input without newlines cannot take all memory.
   */
  maxLineBytes?: number
  onTooLong?: (lineNumber: number, bytes: number) => Promise<never>
}

/**
 * Reads lines from chunks of bytes, split on \n (a line may span chunks; bytes are kept as they are, so non-UTF-8
 * lines survive). Each line is handed over as a range of its chunk rather than a slice: on a stream of short
 * lines, an object per line was a large part of produce's time. A returned promise is awaited before the next
 * line: the backpressure. Returns true when a signal stopped it with an unfinished line left unsent.
 */
export async function readLines(chunks: AsyncIterable<Buffer | string>, onLine: LineHandler, options: LineOptions = {}): Promise<boolean> {
  const {signal, maxLineBytes = Infinity, onTooLong} = options
  let carried: Buffer[] = []
  let carriedBytes = 0
  let lineNumber = 0
  const iterator = chunks[Symbol.asyncIterator]()
  const stopped = new Promise<IteratorResult<Buffer | string>>((resolve) => {
    if (signal?.aborted) resolve({done: true, value: undefined})
    signal?.addEventListener('abort', () => resolve({done: true, value: undefined}), {once: true})
  })
  for (;;) {
    const next = signal ? await Promise.race([iterator.next(), stopped]) : await iterator.next()
    if (next.done) break
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value
    let start = 0
    let newline = chunk.indexOf(0x0a)
    // Still no end to a line already too long: refuse it now. (Its end in this chunk, or the input's, gives its size.)
    if (carriedBytes > maxLineBytes && newline === -1 && onTooLong) await onTooLong(lineNumber + 1, carriedBytes + chunk.length)
    if (carried.length > 0 && newline !== -1) {
      const line = Buffer.concat([...carried, chunk.subarray(0, newline)])
      carried = []
      carriedBytes = 0
      const waiting = onLine(line, 0, line.length, ++lineNumber)
      if (waiting) await waiting
      start = newline + 1
      newline = chunk.indexOf(0x0a, start)
    }
    while (newline !== -1) {
      const waiting = onLine(chunk, start, newline, ++lineNumber)
      if (waiting) await waiting
      start = newline + 1
      newline = chunk.indexOf(0x0a, start)
    }
    if (start < chunk.length) {
      carried.push(chunk.subarray(start))
      carriedBytes += chunk.length - start
    }
  }
  // Its reader may still be waiting for input (a terminal): closing the input is up to whoever opened it.
  if (signal?.aborted) return carried.length > 0
  if (carried.length > 0) {
    const line = Buffer.concat(carried)
    await onLine(line, 0, line.length, ++lineNumber)
  }
  return false
}
