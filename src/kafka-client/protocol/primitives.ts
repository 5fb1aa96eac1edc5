/**
 * Kafka's wire types: how kcl's requests are written and answers read. The Reader checks every length against
 * the bytes it has, so a broker (or anything else on the port) that sends garbage or a truncated answer gets a
 * MalformedMessage, never a crash, a loop or a huge allocation.
 */

/** Bytes that do not follow Kafka's protocol: what was expected, where. */
export class MalformedMessage extends Error {}

export const EMPTY: Buffer = Buffer.alloc(0)
/** Kafka's "no UUID", as its Java client prints UUIDs (URL-safe base64 of the 16 bytes, no padding). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export class Reader {
  private readonly buffer: Buffer
  private at: number
  private end: number

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.buffer = buffer
    this.at = start
    this.end = end
  }

  get position(): number {
    return this.at
  }

  get remaining(): number {
    return this.end - this.at
  }

  bool(): boolean {
    return this.int8() !== 0
  }
  int8(): number {
    return this.buffer.readInt8(this.take(1))
  }
  int16(): number {
    return this.buffer.readInt16BE(this.take(2))
  }
  uint16(): number {
    return this.buffer.readUInt16BE(this.take(2))
  }
  int32(): number {
    return this.buffer.readInt32BE(this.take(4))
  }
  uint32(): number {
    return this.buffer.readUInt32BE(this.take(4))
  }
  int64(): bigint {
    return this.buffer.readBigInt64BE(this.take(8))
  }
  float64(): number {
    return this.buffer.readDoubleBE(this.take(8))
  }
  uuid(): string {
    const at = this.take(16)
    return this.buffer.toString('base64url', at, at + 16)
  }

  /** An unsigned varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer[this.take(1)]!
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) break
        return value
      }
    }
    throw new MalformedMessage(`a varint longer than 32 bits at byte ${this.at}`)
  }

  string(): string {
    return this.required(this.nullableString(), 'a string')
  }
  nullableString(): string | null {
    return this.text(this.int16())
  }
  compactString(): string {
    return this.required(this.compactNullableString(), 'a string')
  }
  compactNullableString(): string | null {
    return this.text(this.uvarint() - 1)
  }

  /** Bytes as a view into the answer (no copy). */
  bytes(): Buffer {
    return this.required(this.nullableBytes(), 'bytes')
  }
  nullableBytes(): Buffer | null {
    return this.view(this.int32())
  }
  compactBytes(): Buffer {
    return this.required(this.compactNullableBytes(), 'bytes')
  }
  compactNullableBytes(): Buffer | null {
    return this.view(this.uvarint() - 1)
  }

  /** An int32-counted array (null when the count is -1). */
  array<T>(readItem: () => T): T[] | null {
    return this.items(this.int32(), readItem)
  }
  /** A varint-counted array (count + 1; null when 0). */
  compactArray<T>(readItem: () => T): T[] | null {
    return this.items(this.uvarint() - 1, readItem)
  }

  /** `value`, which the protocol says cannot be null here. */
  required<T>(value: T | null, what: string): T {
    if (value === null) throw new MalformedMessage(`null where ${what} must be, before byte ${this.at}`)
    return value
  }

  /** Reads a struct's tagged fields: `read` is called with each tag and reads that field's value (or nothing). */
  taggedFields(read: (tag: number) => void): void {
    for (let count = this.uvarint(); count > 0; count--) {
      const tag = this.uvarint()
      const size = this.uvarint()
      const fieldEnd = this.take(size) + size
      const end = this.end
      this.at -= size
      this.end = fieldEnd
      try {
        read(tag)
      } finally {
        this.end = end
      }
      this.at = fieldEnd
    }
  }

  skipTaggedFields(): void {
    this.taggedFields(() => {})
  }

  /** The next `size` bytes, as a view. */
  raw(size: number): Buffer {
    const at = this.take(size)
    return this.buffer.subarray(at, at + size)
  }

  private items<T>(count: number, readItem: () => T): T[] | null {
    if (count < 0) {
      if (count === -1) return null
      throw new MalformedMessage(`an array of ${count} items at byte ${this.at}`)
    }
    // Every item takes at least one byte: a larger count is a lie that would allocate without end.
    if (count > this.remaining) throw new MalformedMessage(`an array of ${count} items in ${this.remaining} bytes`)
    const items = new Array<T>(count)
    for (let i = 0; i < count; i++) items[i] = readItem()
    return items
  }

  private text(length: number): string | null {
    const view = this.view(length)
    return view === null ? null : view.toString('utf8')
  }

  private view(length: number): Buffer | null {
    if (length < 0) {
      if (length === -1) return null
      throw new MalformedMessage(`a length of ${length} at byte ${this.at}`)
    }
    return this.raw(length)
  }

  /** Moves past `size` bytes and returns where they start; MalformedMessage when the message ends first. */
  private take(size: number): number {
    const at = this.at
    if (size < 0 || at + size > this.end) throw new MalformedMessage(`${size} bytes wanted at byte ${at} of ${this.end}: the message ends first`)
    this.at = at + size
    return at
  }
}

/** Byte arrays at least this long are written by reference (records, mostly), not copied. */
const BY_REFERENCE_BYTES = 4096

export class Writer {
  private readonly chunks: Buffer[] = []
  private buffer: Buffer
  private start = 0
  private at = 0
  private written = 0

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize)
  }

  /** The bytes written so far. */
  get size(): number {
    return this.written + this.at - this.start
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0)
  }
  int8(value: number): this {
    const at = this.room(1)
    this.buffer.writeInt8(value, at)
    return this
  }
  int16(value: number): this {
    const at = this.room(2)
    this.buffer.writeInt16BE(value, at)
    return this
  }
  uint16(value: number): this {
    const at = this.room(2)
    this.buffer.writeUInt16BE(value, at)
    return this
  }
  int32(value: number): this {
    const at = this.room(4)
    this.buffer.writeInt32BE(value, at)
    return this
  }
  uint32(value: number): this {
    const at = this.room(4)
    this.buffer.writeUInt32BE(value, at)
    return this
  }
  int64(value: bigint): this {
    const at = this.room(8)
    this.buffer.writeBigInt64BE(value, at)
    return this
  }
  float64(value: number): this {
    const at = this.room(8)
    this.buffer.writeDoubleBE(value, at)
    return this
  }
  uuid(value: string): this {
    const bytes = Buffer.from(value, 'base64url')
    if (bytes.length !== 16) throw new Error(`"${value}" is not a Kafka UUID`)
    return this.raw(bytes)
  }
  uvarint(value: number): this {
    let rest = value >>> 0
    while (rest > 0x7f) {
      const at = this.room(1)
      this.buffer[at] = (rest & 0x7f) | 0x80
      rest >>>= 7
    }
    const at = this.room(1)
    this.buffer[at] = rest
    return this
  }

  string(value: string | null): this {
    if (value === null) return this.int16(-1)
    const length = Buffer.byteLength(value, 'utf8')
    this.int16(length)
    const at = this.room(length)
    this.buffer.write(value, at, 'utf8')
    return this
  }
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0)
    const length = Buffer.byteLength(value, 'utf8')
    this.uvarint(length + 1)
    const at = this.room(length)
    this.buffer.write(value, at, 'utf8')
    return this
  }
  bytes(value: Buffer | null): this {
    if (value === null) return this.int32(-1)
    return this.int32(value.length).raw(value)
  }
  compactBytes(value: Buffer | null): this {
    if (value === null) return this.uvarint(0)
    return this.uvarint(value.length + 1).raw(value)
  }

  /** An array's int32 count (-1 for null). */
  length(items: readonly unknown[] | null): this {
    return this.int32(items === null ? -1 : items.length)
  }
  /** An array's varint count + 1 (0 for null). */
  compactLength(items: readonly unknown[] | null): this {
    return this.uvarint(items === null ? 0 : items.length + 1)
  }

  /** A struct's tagged fields, each written into a Writer of its own; in tag order, as Kafka requires. */
  taggedFields(tags: [tag: number, value: Writer][]): this {
    this.uvarint(tags.length)
    for (const [tag, value] of tags.sort(([a], [b]) => a - b)) {
      this.uvarint(tag).uvarint(value.size)
      for (const chunk of value.finish()) this.raw(chunk)
    }
    return this
  }

  /** Appends bytes: copied when short, else by reference (then they must not change until sent). */
  raw(bytes: Buffer): this {
    if (bytes.length >= BY_REFERENCE_BYTES) {
      this.cut()
      this.chunks.push(bytes)
      this.written += bytes.length
    } else {
      const at = this.room(bytes.length)
      bytes.copy(this.buffer, at)
    }
    return this
  }

  /** What was written, as buffers to send one after the other. */
  finish(): Buffer[] {
    this.cut()
    return this.chunks
  }

  /** What was written, in one buffer. */
  toBuffer(): Buffer {
    return Buffer.concat(this.finish())
  }

  /** Ends the current piece of the working buffer as a chunk. */
  private cut(): void {
    if (this.at === this.start) return
    this.chunks.push(this.buffer.subarray(this.start, this.at))
    this.written += this.at - this.start
    this.start = this.at
  }

  private room(size: number): number {
    if (this.at + size > this.buffer.length) {
      this.cut()
      this.buffer = Buffer.allocUnsafe(Math.max(size, this.buffer.length * 2))
      this.start = 0
      this.at = 0
    }
    const at = this.at
    this.at += size
    return at
  }
}

/** Whether a tagged field holds its default value (then it is left out). */
export function isDefault(value: unknown, fallback: unknown): boolean {
  if (value === fallback) return true
  if (value === null || fallback === null || typeof value !== 'object' || typeof fallback !== 'object') return false
  if (Buffer.isBuffer(value)) return Buffer.isBuffer(fallback) && value.equals(fallback)
  if (Array.isArray(value)) return Array.isArray(fallback) && value.length === fallback.length && value.every((item, i) => isDefault(item, fallback[i]))
  const keys = Object.keys(fallback)
  return keys.every((key) => isDefault((value as Record<string, unknown>)[key], (fallback as Record<string, unknown>)[key]))
}
