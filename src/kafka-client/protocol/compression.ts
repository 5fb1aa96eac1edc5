/**
 * The two codecs Kafka clients use that Node's zlib lacks: snappy (raw, or in the xerial framing of Java's
 * snappy-java) and lz4 (the standard frame format). kcl reads whatever Java clients, librdkafka (kcat) or Kafka
 * Streams wrote, and writes what the Java client writes: xerial-framed snappy and lz4 frames of 64 KiB blocks.
 * Checksums inside the formats are not verified on reading, as the record batch's own CRC is not (see
 * partition-reader.ts).
 */

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]) // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16 // magic, version, compatible version
/** Both encoders work in blocks of this size: back-references then fit 16 bits, and lz4's frame says 64 KiB. */
const BLOCK_BYTES = 64 * 1024

export function decompressSnappy(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return snappyBlock(data)
  // snappy-java's stream: after the header, blocks of (int32 length, raw snappy).
  const blocks: Buffer[] = []
  for (let at = XERIAL_HEADER_BYTES; at < data.length; ) {
    const length = data.readInt32BE(at)
    at += 4
    blocks.push(snappyBlock(data.subarray(at, at + length)))
    at += length
  }
  return Buffer.concat(blocks)
}

/** One raw snappy block: the uncompressed length as a varint, then literals and back-references. */
function snappyBlock(input: Buffer): Buffer {
  let at = 0
  let length = 0
  for (let shift = 0; ; shift += 7) {
    const byte = input[at++]
    if (byte === undefined || shift > 28) throw new Error('snappy: bad length')
    length += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) break
  }
  const out = Buffer.allocUnsafe(length)
  let written = 0
  while (at < input.length) {
    const tag = input[at++]!
    let size: number
    let offset: number
    switch (tag & 3) {
      case 0: {
        size = (tag >>> 2) + 1
        if (size > 60) {
          // 61–64: the length minus one follows in 1–4 little-endian bytes.
          const bytes = size - 60
          size = input.readUIntLE(at, bytes) + 1
          at += bytes
        }
        if (at + size > input.length || written + size > length) throw new Error('snappy: literal past the end')
        input.copy(out, written, at, at + size)
        at += size
        written += size
        continue
      }
      case 1:
        size = ((tag >>> 2) & 7) + 4
        offset = ((tag >>> 5) << 8) | input[at++]!
        break
      case 2:
        size = (tag >>> 2) + 1
        offset = input.readUInt16LE(at)
        at += 2
        break
      default:
        size = (tag >>> 2) + 1
        offset = input.readUInt32LE(at)
        at += 4
    }
    written = copyMatch(out, written, offset, size, length, 'snappy')
  }
  if (written !== length) throw new Error('snappy: shorter than announced')
  return out
}

/** Copies a back-reference byte by byte: it may overlap what it writes (a run). Returns the new end. */
function copyMatch(out: Buffer, written: number, offset: number, size: number, limit: number, codec: string): number {
  if (offset === 0 || offset > written || written + size > limit) throw new Error(`${codec}: bad back-reference`)
  for (let from = written - offset, end = written + size; written < end; ) out[written++] = out[from++]!
  return written
}

const LZ4_MAGIC = 0x184d2204
const LZ4_BLOCK_SIZES: Record<number, number> = {4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20}

/** An lz4 frame: a header, blocks (compressed or stored), an end mark. */
export function decompressLz4(data: Buffer): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('lz4: not an lz4 frame')
  const flags = data[4]!
  const blockMax = LZ4_BLOCK_SIZES[(data[5]! >>> 4) & 7]
  if (flags >>> 6 !== 1 || blockMax === undefined) throw new Error('lz4: unknown frame version')
  const blockChecksums = (flags & 0x10) !== 0
  let at = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1 // content size, dictionary id, header checksum
  const blocks: Buffer[] = []
  for (;;) {
    if (at + 4 > data.length) throw new Error('lz4: frame cut short')
    const word = data.readUInt32LE(at)
    at += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    if (at + size > data.length) throw new Error('lz4: block cut short')
    const block = data.subarray(at, at + size)
    blocks.push(word & 0x80000000 ? block : lz4Block(block, blockMax))
    at += size + (blockChecksums ? 4 : 0)
  }
  return Buffer.concat(blocks)
}

/** One lz4 block: sequences of literals and a back-reference, each announced by a token byte. */
function lz4Block(input: Buffer, maxSize: number): Buffer {
  const out = Buffer.allocUnsafe(maxSize)
  let written = 0
  let at = 0
  const extendedLength = (length: number): number => {
    if (length !== 15) return length
    let byte: number
    do {
      byte = input[at++]!
      length += byte
    } while (byte === 255 && at < input.length)
    return length
  }
  while (at < input.length) {
    const token = input[at++]!
    const literals = extendedLength(token >>> 4)
    if (at + literals > input.length || written + literals > maxSize) throw new Error('lz4: literal past the end')
    input.copy(out, written, at, at + literals)
    at += literals
    written += literals
    if (at >= input.length) break // the last sequence has literals only
    const offset = input.readUInt16LE(at)
    at += 2
    written = copyMatch(out, written, offset, extendedLength(token & 15) + 4, maxSize, 'lz4')
  }
  return out.subarray(0, written)
}

// ---------------------------------------------------------------- compression

/**
 * Finds repeats in `input[start, end)` greedily, as lz4 and snappy encoders do: a table remembers where each
 * 4-byte sequence (by hash) was last seen, and a match found there is extended as far as it goes. Calls
 * `onMatch` with the literals before each match, the match's distance back and its length; returns where the
 * trailing literals start. Follows lz4's rules, harmless for snappy: the last 5 bytes are literals, and no match
 * starts in the last 12.
 */
function findMatches(input: Buffer, start: number, end: number, onMatch: (literalsFrom: number, at: number, offset: number, length: number) => void): number {
  const table = new Int32Array(1 << 14) // position + 1 of the last sequence with that hash
  let anchor = start
  let at = start
  while (at + 12 <= end) {
    const sequence = input.readInt32LE(at)
    const hash = Math.imul(sequence, 0x9e3779b1) >>> 18
    const candidate = table[hash]! - 1
    table[hash] = at + 1
    if (candidate >= start && at - candidate < 65536 && input.readInt32LE(candidate) === sequence) {
      let length = 4
      while (at + length < end - 5 && input[candidate + length] === input[at + length]) length++
      onMatch(anchor, at, at - candidate, length)
      at += length
      anchor = at
    } else {
      at++
    }
  }
  return anchor
}

/** The worst case of both encoders for a block of `length` bytes that does not compress, with room to spare. */
const maxEncodedSize = (length: number): number => length + (length >> 5) + 64

/** snappy-java's stream, as the Java client writes it: the xerial header, then (int32 length, raw snappy block)s. */
export function compressSnappy(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(XERIAL_HEADER_BYTES + Math.ceil(data.length / BLOCK_BYTES) * 4 + maxEncodedSize(data.length))
  XERIAL_MAGIC.copy(out, 0)
  out.writeInt32BE(1, 8) // version
  out.writeInt32BE(1, 12) // oldest compatible version
  let written = XERIAL_HEADER_BYTES
  for (let start = 0; start < data.length; start += BLOCK_BYTES) {
    const end = Math.min(start + BLOCK_BYTES, data.length)
    const length = snappyEncode(data, start, end, out, written + 4)
    out.writeInt32BE(length, written)
    written += 4 + length
  }
  return out.subarray(0, written)
}

/** One raw snappy block of `input[start, end)` into `out` at `at`; returns its length. */
function snappyEncode(input: Buffer, start: number, end: number, out: Buffer, at: number): number {
  const from = at
  for (let rest = end - start; ; rest >>>= 7) {
    out[at++] = rest < 0x80 ? rest : (rest & 0x7f) | 0x80
    if (rest < 0x80) break
  }
  const literal = (literalsFrom: number, literalsTo: number): void => {
    const size = literalsTo - literalsFrom
    if (size === 0) return
    // A literal's length minus one: in the tag up to 60, else in 1 or 2 bytes after it (a block is at most 64 KiB).
    if (size <= 60) {
      out[at++] = (size - 1) << 2
    } else if (size <= 256) {
      out[at++] = 60 << 2
      out[at++] = size - 1
    } else {
      out[at++] = 61 << 2
      out.writeUInt16LE(size - 1, at)
      at += 2
    }
    at += input.copy(out, at, literalsFrom, literalsTo)
  }
  const tail = findMatches(input, start, end, (literalsFrom, matchAt, offset, length) => {
    literal(literalsFrom, matchAt)
    // Copies with a 2-byte offset, 1 to 64 bytes each.
    for (let left = length; left > 0; left -= 64) {
      out[at++] = ((Math.min(left, 64) - 1) << 2) | 2
      out.writeUInt16LE(offset, at)
      at += 2
    }
  })
  literal(tail, end)
  return at - from
}

/**
 * An lz4 frame as the Java client writes it: version 1, independent 64 KiB blocks, no checksums but the header's.
 * That header never changes, so neither does its checksum byte (the second byte of xxHash32 of FLG and BD).
 */
const LZ4_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
const LZ4_STORED = 0x80000000

export function compressLz4(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(LZ4_FRAME_HEADER.length + Math.ceil(data.length / BLOCK_BYTES) * 4 + maxEncodedSize(data.length) + 4)
  let written = LZ4_FRAME_HEADER.copy(out, 0)
  for (let start = 0; start < data.length; start += BLOCK_BYTES) {
    const end = Math.min(start + BLOCK_BYTES, data.length)
    const length = lz4Encode(data, start, end, out, written + 4)
    if (length < end - start) {
      out.writeUInt32LE(length, written)
      written += 4 + length
    } else {
      // It did not shrink: stored as it is.
      out.writeUInt32LE(LZ4_STORED + (end - start), written)
      written += 4 + data.copy(out, written + 4, start, end)
    }
  }
  out.writeUInt32LE(0, written) // end mark
  return out.subarray(0, written + 4)
}

/** One lz4 block of `input[start, end)` into `out` at `at`; returns its length. */
function lz4Encode(input: Buffer, start: number, end: number, out: Buffer, at: number): number {
  const from = at
  // A length of 15 or more spills into bytes after the token: 255s, then the rest.
  const extraLength = (length: number): void => {
    for (length -= 15; length >= 255; length -= 255) out[at++] = 255
    out[at++] = length
  }
  const sequence = (literalsFrom: number, literalsTo: number, offset: number, matchLength: number): void => {
    const literals = literalsTo - literalsFrom
    const extraMatch = matchLength - 4
    out[at++] = (Math.min(literals, 15) << 4) | (matchLength === 0 ? 0 : Math.min(extraMatch, 15))
    if (literals >= 15) extraLength(literals)
    at += input.copy(out, at, literalsFrom, literalsTo)
    if (matchLength === 0) return // the last sequence: literals only
    out.writeUInt16LE(offset, at)
    at += 2
    if (extraMatch >= 15) extraLength(extraMatch)
  }
  const tail = findMatches(input, start, end, (literalsFrom, matchAt, offset, length) => sequence(literalsFrom, matchAt, offset, length))
  sequence(tail, end, 0, 0)
  return at - from
}
