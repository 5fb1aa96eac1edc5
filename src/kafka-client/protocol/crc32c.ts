/**
 * CRC-32C (Castagnoli), the checksum of Kafka record batches. Node's zlib only has the other CRC-32, so this is
 * the table method, sixteen bytes per step ("slicing-by-16"), run as a small WebAssembly function: the same loop
 * in JavaScript reaches about 1 GB/s, in WebAssembly about 2.5 GB/s, which matters to a producer writing
 * 100 MB/s. The function is assembled below from its instructions, so no binary blob is checked in.
 */

const POLYNOMIAL = 0x82f63b78 // reversed Castagnoli polynomial
const SLICES = 16
const TABLE_BYTES = SLICES * 256 * 4
/** Input is copied into the module's memory through this window, after the tables. */
const WINDOW_AT = TABLE_BYTES
const WINDOW_BYTES = 64 * 1024
const PAGES = Math.ceil((WINDOW_AT + WINDOW_BYTES) / 65536)

/** Table t maps a byte to its CRC contribution t bytes before the end of a 16-byte step. */
function fillTables(tables: Int32Array): void {
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1
    tables[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!
    for (let t = 1; t < SLICES; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8)
      tables[t * 256 + n] = c
    }
  }
}

// The WebAssembly instructions used, and their encodings.
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (local: number) => [0x20, local],
  set: (local: number) => [0x21, local],
  load: (offset: number) => [0x28, 2, ...leb128(offset)],
  load8: [0x2d, 0, 0],
  const: (value: number) => [0x41, ...sleb128(value)],
  add: [0x6a],
  and: [0x71],
  xor: [0x73],
  shl: [0x74],
  shrU: [0x76],
  gtU: [0x4b],
  geU: [0x4f],
}

function leb128(value: number): number[] {
  const bytes: number[] = []
  do {
    const byte = value & 0x7f
    value >>>= 7
    bytes.push(value === 0 ? byte : byte | 0x80)
  } while (value !== 0)
  return bytes
}

function sleb128(value: number): number[] {
  const bytes: number[] = []
  for (;;) {
    const byte = value & 0x7f
    value >>= 7
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)
    bytes.push(done ? byte : byte | 0x80)
    if (done) return bytes
  }
}

/** `crc(from, to, crc) -> crc`: continues a CRC (0 to start one) over memory[from, to). */
function crcFunctionBody(): number[] {
  const [FROM, TO, CRC, C, W1, W2, W3] = [0, 1, 2, 3, 4, 5, 6]
  // Byte k (0 = lowest) of a local, as a table index.
  const byteOf = (local: number, k: number): number[] =>
    k === 0 ? [...op.get(local), ...op.const(255), ...op.and]
    : k === 3 ? [...op.get(local), ...op.const(24), ...op.shrU]
    : [...op.get(local), ...op.const(8 * k), ...op.shrU, ...op.const(255), ...op.and]
  const lookups: number[] = []
  ;[C, W1, W2, W3].forEach((local, word) => {
    for (let k = 0; k < 4; k++) {
      const table = SLICES - 1 - (word * 4 + k)
      lookups.push(...byteOf(local, k), ...op.const(2), ...op.shl, ...op.load(table * 1024))
      if (word + k > 0) lookups.push(...op.xor)
    }
  })
  return [
    ...op.get(CRC), ...op.const(-1), ...op.xor, ...op.set(C),
    // 16 bytes a step: four little-endian words, the first xored into the CRC, then 16 table lookups.
    ...op.block, ...op.loop,
    ...op.get(FROM), ...op.const(16), ...op.add, ...op.get(TO), ...op.gtU, ...op.brIf(1),
    ...op.get(C), ...op.get(FROM), ...op.load(0), ...op.xor, ...op.set(C),
    ...op.get(FROM), ...op.load(4), ...op.set(W1),
    ...op.get(FROM), ...op.load(8), ...op.set(W2),
    ...op.get(FROM), ...op.load(12), ...op.set(W3),
    ...lookups, ...op.set(C),
    ...op.get(FROM), ...op.const(16), ...op.add, ...op.set(FROM),
    ...op.br(0), ...op.end, ...op.end,
    // The last 0–15 bytes, one at a time.
    ...op.block, ...op.loop,
    ...op.get(FROM), ...op.get(TO), ...op.geU, ...op.brIf(1),
    ...op.get(C), ...op.get(FROM), ...op.load8, ...op.xor, ...op.const(255), ...op.and, ...op.const(2), ...op.shl, ...op.load(0),
    ...op.get(C), ...op.const(8), ...op.shrU, ...op.xor, ...op.set(C),
    ...op.get(FROM), ...op.const(1), ...op.add, ...op.set(FROM),
    ...op.br(0), ...op.end, ...op.end,
    ...op.get(C), ...op.const(-1), ...op.xor,
    ...op.end,
  ]
}

function wasmModule(): Uint8Array {
  const section = (id: number, content: number[]) => [id, ...leb128(content.length), ...content]
  const name = (text: string) => [text.length, ...Buffer.from(text, 'latin1')]
  const I32 = 0x7f
  const body = [1, 4, I32, ...crcFunctionBody()] // one group of 4 i32 locals
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]), // type: (i32, i32, i32) -> i32
    ...section(3, [1, 0]), // function 0 has that type
    ...section(5, [1, 0x00, PAGES]), // memory of PAGES pages
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('crc'), 0x00, 0]),
    ...section(10, [1, ...leb128(body.length), ...body]),
  ])
}

type Update = (from: number, to: number, crc: number) => number

// Node's type definitions leave WebAssembly out (TypeScript has it in the browser's "dom" lib): what is used here.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => {exports: {memory: {buffer: ArrayBuffer}; crc: Update}}
}

let engine: {memory: Uint8Array; update: Update} | undefined

function load(): NonNullable<typeof engine> {
  const {exports} = new WebAssembly.Instance(new WebAssembly.Module(wasmModule()))
  fillTables(new Int32Array(exports.memory.buffer, 0, SLICES * 256))
  return {memory: new Uint8Array(exports.memory.buffer), update: exports.crc}
}

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const {memory, update} = (engine ??= load())
  let crc = 0
  for (let at = start; at < end; at += WINDOW_BYTES) {
    const stop = Math.min(at + WINDOW_BYTES, end)
    memory.set(bytes.subarray(at, stop), WINDOW_AT)
    crc = update(WINDOW_AT, WINDOW_AT + stop - at, crc)
  }
  return crc >>> 0
}
