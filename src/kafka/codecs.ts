/**
 * Decompression for the two codecs Kafka clients use that Node's zlib lacks, so kcl reads whatever Java clients,
 * librdkafka (kcat) or Kafka Streams wrote: snappy (raw, or in the xerial framing of Java's snappy-java) and lz4
 * (the standard frame format). Only decoding: kcl itself produces gzip or zstd. Checksums inside the formats are
 * not verified, as the record batch's own CRC is not (see partition-reader.ts).
 */

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]) // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16 // magic, version, compatible version

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
