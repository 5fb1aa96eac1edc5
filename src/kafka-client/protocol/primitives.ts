/**
 * Kafka wire-protocol primitives: how kcl's own requests write and read Kafka's types.
 */

export class Writer {
  private readonly chunks: Buffer[] = []

  int8(value: number): this {
    const b = Buffer.alloc(1)
    b.writeInt8(value)
    return this.push(b)
  }
  int16(value: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(value)
    return this.push(b)
  }
  int32(value: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(value)
    return this.push(b)
  }
  int64(value: number | bigint): this {
    const b = Buffer.alloc(8)
    b.writeBigInt64BE(BigInt(value))
    return this.push(b)
  }
  uvarint(value: number): this {
    const bytes: number[] = []
    let rest = value >>> 0
    while (rest > 0x7f) {
      bytes.push((rest & 0x7f) | 0x80)
      rest >>>= 7
    }
    bytes.push(rest)
    return this.push(Buffer.from(bytes))
  }
  /** A classic (int16-length) nullable string. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1)
    const b = Buffer.from(value, 'utf8')
    return this.int16(b.length).push(b)
  }
  compactString(value: string): this {
    const b = Buffer.from(value, 'utf8')
    return this.uvarint(b.length + 1).push(b)
  }
  /** An empty set of tagged fields, which ends every struct in flexible versions. */
  noTags(): this {
    return this.uvarint(0)
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }
  private push(b: Buffer): this {
    this.chunks.push(b)
    return this
  }
}

export class Reader {
  private offset = 0
  private readonly buffer: Buffer

  constructor(buffer: Buffer) {
    this.buffer = buffer
  }

  int8(): number {
    return this.advance(1, this.buffer.readInt8(this.offset))
  }
  int16(): number {
    return this.advance(2, this.buffer.readInt16BE(this.offset))
  }
  int32(): number {
    return this.advance(4, this.buffer.readInt32BE(this.offset))
  }
  int64(): bigint {
    return this.advance(8, this.buffer.readBigInt64BE(this.offset))
  }
  uvarint(): number {
    let value = 0
    let shift = 0
    for (;;) {
      const byte = this.buffer.readUInt8(this.offset++)
      value |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return value >>> 0
      shift += 7
    }
  }
  string(): string | null {
    const length = this.int16()
    if (length < 0) return null
    return this.advance(length, this.buffer.toString('utf8', this.offset, this.offset + length))
  }
  compactString(): string | null {
    const length = this.uvarint() - 1
    if (length < 0) return null
    return this.advance(length, this.buffer.toString('utf8', this.offset, this.offset + length))
  }
  /** Reads and drops a struct's tagged fields. */
  skipTags(): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.offset += this.uvarint()
    }
  }
  /** Nullable int32-length bytes, as a view into the response (no copy). */
  bytes(): Buffer | null {
    const length = this.int32()
    if (length < 0) return null
    return this.advance(length, this.buffer.subarray(this.offset, this.offset + length))
  }
  array<T>(readItem: () => T): T[] {
    const count = this.int32()
    return Array.from({length: Math.max(count, 0)}, readItem)
  }
  compactArray<T>(readItem: () => T): T[] {
    const count = this.uvarint() - 1
    return Array.from({length: Math.max(count, 0)}, readItem)
  }
  private advance<T>(size: number, value: T): T {
    this.offset += size
    return value
  }
}
