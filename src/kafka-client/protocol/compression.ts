import {promisify} from 'node:util'
import type * as Zlib from 'node:zlib'

/**
 * Kafka's four codecs. gzip and zstd are Node's zlib: gzip and all decompression run on its thread pool, zstd
 * compresses on the calling thread (below). snappy and lz4 are
 * @platformatic/wasm-utils (Rust compiled to WebAssembly, in its `bundled` build so it goes into the standalone
 * binary): measured 2–13× faster than kcl's former JavaScript codecs both ways (BENCHMARKS.md). It loads on
 * first use, so commands that meet neither codec do not pay its ~30 ms.
 *
 * kcl writes what the Java client writes: lz4 frames, and snappy in the xerial framing of snappy-java; it reads
 * raw snappy too (librdkafka's). Checksums inside the formats are not verified, as the batch's CRC is not.
 */

export type Codec = 'gzip' | 'snappy' | 'lz4' | 'zstd'

/**
 * A records section never decompresses to more than this. It keeps a damaged or hostile batch (a snappy length
 * of 2 GiB, a zip bomb) from taking the machine's memory: no producer writes a batch anywhere near it.
 */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024

type Wasm = typeof import('@platformatic/wasm-utils/bundled')
let wasm: Wasm | undefined
const loadWasm = async (): Promise<Wasm> => (wasm ??= await import('@platformatic/wasm-utils/bundled'))

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]) // \x82SNAPPY\0
/** The magic, then version 1 and oldest compatible version 1. */
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])])
/** snappy-java's stream holds blocks of this much input, each compressed on its own. */
const XERIAL_BLOCK_BYTES = 64 * 1024

const zlibOptions = {maxOutputLength: MAX_DECOMPRESSED_BYTES}
/** node:zlib takes a good part of a command's start-up to load: it is loaded with the first gzip or zstd batch. */
function loadZlib() {
  const {gunzip, gzip, zstdCompressSync, zstdDecompress} = process.getBuiltinModule('node:zlib') as typeof Zlib
  return {gzip: promisify(gzip), gunzip: promisify(gunzip), zstdCompressSync, zstdDecompress: promisify(zstdDecompress)}
}
let zlib: ReturnType<typeof loadZlib> | undefined
const gzipAsync = (data: Buffer) => (zlib ??= loadZlib()).gzip(data)
const gunzipAsync = (data: Buffer, options: Zlib.ZlibOptions) => (zlib ??= loadZlib()).gunzip(data, options)
const zstdCompressSync = (data: Buffer, options: Zlib.ZstdOptions) => (zlib ??= loadZlib()).zstdCompressSync(data, options)
const zstdDecompressAsync = (data: Buffer, options: Zlib.ZstdOptions) => (zlib ??= loadZlib()).zstdDecompress(data, options)

export const compressors: Record<Codec, (data: Buffer) => Promise<Buffer>> = {
  gzip: (data) => gzipAsync(data),
  // Told the input's size, zstd sizes its tables to a batch: 40% less CPU per 1 MB batch than without. A 1 MB batch
  // takes zstd about a millisecond, less than the hand-over to the thread pool and back: compressing here took
  // 0.1 s of wall time and of CPU off 1,000,000 lines (BENCHMARKS.md).
  zstd: async (data) => zstdCompressSync(data, {pledgedSrcSize: data.length}),
  lz4: async (data) => (await loadWasm()).lz4Compress(data),
  snappy: async (data) => {
    const {snappyCompress} = await loadWasm()
    const parts: Buffer[] = [XERIAL_HEADER]
    for (let start = 0; start < data.length; start += XERIAL_BLOCK_BYTES) {
      const block = snappyCompress(data.subarray(start, start + XERIAL_BLOCK_BYTES))
      const length = Buffer.allocUnsafe(4)
      length.writeInt32BE(block.length)
      parts.push(length, block)
    }
    return Buffer.concat(parts)
  },
}

export const decompressors: Record<Codec, (data: Buffer) => Promise<Buffer>> = {
  gzip: (data) => gunzipAsync(data, zlibOptions),
  zstd: (data) => zstdDecompressAsync(data, zlibOptions),
  lz4: async (data) => {
    const {lz4Decompress} = await loadWasm()
    checkLz4Frame(data)
    return corruptUnless(() => lz4Decompress(data))
  },
  snappy: async (data) => {
    const {snappyDecompress} = await loadWasm()
    const blocks = xerialBlocks(data) ?? [data]
    let total = 0
    for (const block of blocks) total += snappyLength(block)
    if (total > MAX_DECOMPRESSED_BYTES) throw tooLarge()
    const out = blocks.map((block) => corruptUnless(() => snappyDecompress(block)))
    return out.length === 1 ? out[0]! : Buffer.concat(out, total)
  },
}

/** A WebAssembly codec traps ("unreachable") on bad input: that becomes a plain error. */
function corruptUnless(decompress: () => Buffer): Buffer {
  try {
    return decompress()
  } catch {
    throw new Error('corrupt data')
  }
}

const tooLarge = (): Error => new Error(`decompresses to more than ${MAX_DECOMPRESSED_BYTES / 1024 / 1024} MiB`)

/** snappy-java's stream: after the header, blocks of (int32 length, raw snappy). Undefined for raw snappy. */
function xerialBlocks(data: Buffer): Buffer[] | undefined {
  if (data.length < XERIAL_HEADER.length || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return undefined
  const blocks: Buffer[] = []
  for (let at = XERIAL_HEADER.length; at < data.length; ) {
    if (at + 4 > data.length) throw new Error('snappy: block length cut short')
    const length = data.readInt32BE(at)
    at += 4
    if (length < 0 || at + length > data.length) throw new Error('snappy: block cut short')
    blocks.push(data.subarray(at, at + length))
    at += length
  }
  return blocks
}

/**
 * A raw snappy block's uncompressed length (its leading varint), checked against what its bytes can hold: a
 * copy of at most 64 bytes takes at least 3, so no block grows more than 22-fold. The decoder allocates the
 * length it is told, up front and for good (WebAssembly memory does not shrink).
 */
function snappyLength(block: Buffer): number {
  let length = 0
  for (let at = 0, shift = 0; ; at++, shift += 7) {
    const byte = block[at]
    if (byte === undefined || shift > 28) throw new Error('snappy: bad length')
    length += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) break
  }
  if (length > 22 * block.length) throw new Error('snappy: longer than its data can hold')
  return length
}

const LZ4_MAGIC = 0x184d2204
const LZ4_BLOCK_SIZES: Record<number, number> = {4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20}
const LZ4_STORED = 0x80000000

/**
 * Walks an lz4 frame's block headers and bounds what it decompresses to: a block holds at most the frame's
 * block size, and an lz4 byte at most 255 bytes of a run.
 */
function checkLz4Frame(data: Buffer): void {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('not an lz4 frame')
  const flags = data[4]!
  const blockMax = LZ4_BLOCK_SIZES[(data[5]! >>> 4) & 7]
  if (flags >>> 6 !== 1 || blockMax === undefined) throw new Error('unknown lz4 frame version')
  const blockChecksums = (flags & 0x10) !== 0
  let at = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1 // content size, dictionary id, header checksum
  let bound = 0
  for (;;) {
    if (at + 4 > data.length) throw new Error('lz4 frame cut short')
    const word = data.readUInt32LE(at)
    at += 4
    if (word === 0) return
    const size = word & 0x7fffffff
    bound += word & LZ4_STORED ? size : Math.min(blockMax, 255 * size)
    if (bound > MAX_DECOMPRESSED_BYTES) throw tooLarge()
    at += size + (blockChecksums ? 4 : 0)
  }
}
