import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {describe, it} from 'node:test'
import {crc32c as referenceCrc32c} from '@platformatic/wasm-utils/bundled'
import type {Compression, ConsumedRecord, OutgoingRecord} from '../../src/kafka/client.ts'
import {compressors, decompressors} from '../../src/kafka-client/protocol/compression.ts'
import {crc32c} from '../../src/kafka-client/protocol/crc32c.ts'
import {keyPartition, murmur2} from '../../src/kafka-client/protocol/murmur2.ts'
import {batchRecords, decodeRecords, encodeRecordBatch, encodeRecords, recordSize, RecordsWriter, splitBatches, type EncodedRecords} from '../../src/kafka-client/protocol/record-batch.ts'

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const

const records: OutgoingRecord[] = [
  {key: Buffer.from('k1'), value: Buffer.from('héllo'), headers: [['source', Buffer.from('kcl')], ['source', Buffer.from('again')]]},
  {key: null, value: null, headers: []},
  {key: Buffer.from([0xff, 0x00]), value: Buffer.alloc(300, 7), headers: [['empty', Buffer.alloc(0)]]},
]

/** A batch as Fetch returns it: the broker fills in the base offset. */
async function fetched(compression: Compression, baseOffset: number): Promise<Buffer> {
  const batch = await encodeRecordBatch(records, {timestamp: 1_700_000_000_123, compression, producer: {producerId: 42n, producerEpoch: 1, baseSequence: 7}})
  batch.writeBigInt64BE(BigInt(baseOffset), 0)
  return batch
}

async function decodeAll(data: Buffer, from = 0): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = []
  for (const batch of splitBatches(data)) decodeRecords(batch, await batchRecords(batch), 't', 3, from, out)
  return out
}

describe('record batches', () => {
  it('computes CRC-32C (Castagnoli) as Kafka does', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa)
    // The eight-bytes-a-step path against the definition, one bit at a time, over lengths that are not multiples of 8.
    const bitwise = (bytes: Buffer): number => {
      let crc = ~0
      for (const byte of bytes) {
        crc ^= byte
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
      }
      return ~crc >>> 0
    }
    const bytes = Buffer.from(Array.from({length: 203}, (_, i) => (i * 37 + 11) & 0xff))
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 64, 203]) assert.equal(crc32c(bytes.subarray(0, length)), bitwise(bytes.subarray(0, length)), `length ${length}`)
    // Longer than the 64 KiB window input goes through, from an offset.
    const long = Buffer.from(Array.from({length: 150_003}, (_, i) => (i * 131 + i / 7) & 0xff))
    assert.equal(crc32c(long, 21), bitwise(long.subarray(21)))
    // And against a CRC-32C kcl did not write (@platformatic/wasm-utils'), over random lengths and contents.
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(Math.floor(Math.random() * 300_000))
      assert.equal(crc32c(bytes), referenceCrc32c(bytes), `${bytes.length} random bytes`)
    }
  })

  it('stamps the header: magic 2, counts, producer, a CRC over attributes..end', async () => {
    const batch = await encodeRecordBatch(records, {timestamp: 1_700_000_000_123, compression: 'none', producer: {producerId: 42n, producerEpoch: 1, baseSequence: 7}})
    assert.equal(batch.readInt32BE(8), batch.length - 12)
    assert.equal(batch.readInt8(16), 2)
    assert.equal(batch.readUInt32BE(17), crc32c(batch, 21))
    assert.equal(batch.readInt32BE(23), 2) // last offset delta
    assert.equal(batch.readBigInt64BE(43), 42n)
    assert.equal(batch.readInt16BE(51), 1)
    assert.equal(batch.readInt32BE(53), 7)
    assert.equal(batch.readInt32BE(57), 3)
  })

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`round-trips keys, values, nulls and repeated headers (${compression})`, async () => {
      const out = await decodeAll(await fetched(compression, 1000))
      assert.deepEqual(
        out.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
        records.map((r, i) => [1000 + i, 1_700_000_000_123, r.key, r.value, r.headers]),
      )
      assert.ok(out.every((r) => r.topic === 't' && r.partition === 3))
    })
  }

  it('splits several batches, drops a batch cut short at the end, and skips offsets already read', async () => {
    const first = await fetched('none', 0)
    const second = await fetched('gzip', 3)
    const data = Buffer.concat([first, second, second.subarray(0, 40)])
    const batches = splitBatches(data)
    assert.deepEqual(batches.map((b) => [b.baseOffset, b.nextOffset, b.compression]), [[0, 3, 0], [3, 6, 1]])
    assert.deepEqual((await decodeAll(data, 2)).map((r) => r.offset), [2, 3, 4, 5])
  })

  it('reads large offsets and timestamps exactly', async () => {
    const batch = await fetched('none', 2 ** 40 + 5)
    const [first] = await decodeAll(batch)
    assert.equal(first?.offset, 2 ** 40 + 5)
  })

  it('refuses a damaged compressed batch, or an unknown codec, with one clear message', async () => {
    const batch = await fetched('none', 0)
    batch.writeInt16BE(3, 21) // claims lz4, holds plain records
    await assert.rejects(batchRecords(splitBatches(batch)[0]!), /records at offset 0 that are not valid lz4 data \(not an lz4 frame\)/)
    batch.writeInt16BE(6, 21)
    await assert.rejects(batchRecords(splitBatches(batch)[0]!), /in compression 6, which Kafka does not know/)
  })
})

describe('records written straight into a batch', () => {
  it('takes values from ranges of a buffer, says when the batch is full, and gives a lone large record room', async () => {
    const writer = new RecordsWriter(30)
    const input = Buffer.from('first|second|a much longer third value')
    const headers: [string, Buffer][] = [['h', Buffer.from('v')]]
    assert.equal(writer.append(Buffer.from('k'), input, 0, 5, headers), true)
    assert.equal(writer.append(null, input, 6, 12, []), true)
    assert.equal(writer.append(null, input, 13, input.length, []), false, 'no room left')
    const full = writer.take(2)
    assert.deepEqual([full.count, full.partition], [2, 2])
    assert.equal(writer.append(null, input, 13, input.length, []), true, 'an empty batch takes any record')
    assert.equal(writer.append(null, null, 0, 0, []), false)
    const lone = writer.take(undefined)

    const read = async (encoded: EncodedRecords) => {
      const out: ConsumedRecord[] = []
      const [batch] = splitBatches(await encodeRecordBatch(encoded, {timestamp: 5, compression: 'none'}))
      decodeRecords(batch!, batch!.records, 't', 0, 0, out)
      return out.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map(([k, v]) => `${k}=${v}`)])
    }
    assert.deepEqual(await read(full), [[0, 'k', 'first', ['h=v']], [1, null, 'second', []]])
    assert.deepEqual(await read(lone), [[0, null, 'a much longer third value', []]])
    // A recycled buffer is reused for the next batch, and that batch's records replace the old ones.
    writer.recycle(full)
    writer.append(null, null, 0, 0, [])
    const reused = writer.take(undefined)
    assert.equal(reused.buffer, full.buffer)
    assert.deepEqual(await read(reused), [[0, null, null, []]])
  })

  it('never writes more than recordSize says a record takes', () => {
    const shapes: OutgoingRecord[] = [
      {key: null, value: null, headers: []},
      {key: Buffer.alloc(200), value: Buffer.alloc(20_000), headers: [['é'.repeat(100), Buffer.alloc(300)]]},
      ...records,
    ]
    for (const record of shapes) {
      const encoded = encodeRecords(Array.from({length: 200}, () => record))
      assert.ok(encoded.end - 61 <= 200 * recordSize(record.key, record.value?.length ?? -1, record.headers), `${encoded.end - 61} bytes for 200 records of at most ${recordSize(record.key, record.value?.length ?? -1, record.headers)}`)
    }
  })
})

describe('key partitioning', () => {
  it("matches the Java client's murmur2 (Kafka's own test vectors)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ]
    for (const [key, hash] of vectors) assert.equal(murmur2(Buffer.from(key)), hash, key)
  })

  it('maps a key to a partition in range, the same every time', () => {
    for (const partitions of [1, 2, 7]) {
      const p = keyPartition(Buffer.from('delivery-42'), partitions)
      assert.ok(p >= 0 && p < partitions)
      assert.equal(keyPartition(Buffer.from('delivery-42'), partitions), p)
    }
  })
})

describe('codecs', () => {
  // Text that repeats (long and overlapping matches), random bytes (none), runs, tiny inputs and several blocks.
  const random = Buffer.concat(Array.from({length: 2188}, (_, i) => createHash('sha256').update(String(i)).digest())).subarray(0, 70_000)
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['under 12 bytes', Buffer.from('abcabcabc')],
    ['text', Buffer.from(Array.from({length: 3000}, (_, i) => `delivery ${i % 97} to street ${i % 13}\n`).join(''))],
    ['a run', Buffer.alloc(200_000, 0x41)],
    ['random', random],
    ['random then repeated', Buffer.concat([random.subarray(0, 5000), random.subarray(0, 5000), random.subarray(100, 300)])],
  ]

  for (const [name, input] of inputs) {
    it(`round-trips ${name} (${input.length} bytes) through every codec`, async () => {
      for (const codec of CODECS) assert.deepEqual(await decompressors[codec](await compressors[codec](input)), input, codec)
    })
  }

  it('writes what the Java client writes: xerial-framed snappy of 64 KiB blocks, lz4 frames; text shrinks', async () => {
    const text = inputs[3]![1]
    const snappy = await compressors.snappy(Buffer.concat([text, text, text, text, text, text]))
    assert.ok(snappy.subarray(0, 16).equals(Buffer.from('\x82SNAPPY\0\0\0\0\x01\0\0\0\x01', 'latin1')), 'xerial header')
    assert.ok(snappy.readInt32BE(16) < 64 * 1024 / 3, 'the first block holds 64 KiB of text')
    assert.equal((await compressors.lz4(text)).readUInt32LE(0), 0x184d2204, 'lz4 frame magic')
    for (const codec of CODECS) {
      const size = (await compressors[codec](text)).length
      assert.ok(size < text.length / 3, `${codec}: ${size} of ${text.length}`)
    }
  })

  // "abcabcabcabc": the literal "abc", then a 9-byte back-reference 3 bytes back (overlapping what it writes).
  const snappy = Buffer.from([0x0c, 0x08, 0x61, 0x62, 0x63, 0x15, 0x03])

  it('reads raw snappy (as librdkafka writes it) and the xerial framing Java clients write', async () => {
    assert.equal((await decompressors.snappy(snappy)).toString(), 'abcabcabcabc')
    const xerial = Buffer.concat([
      Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]),
      ...[snappy, snappy].flatMap((block) => [Buffer.from([0, 0, 0, block.length]), block]),
    ])
    assert.equal((await decompressors.snappy(xerial)).toString(), 'abcabcabcabc'.repeat(2))
  })

  it('reads an lz4 frame with compressed and stored blocks', async () => {
    const frame = Buffer.from([
      0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, // magic, flags (v1, independent blocks), 64 KiB blocks, header checksum
      0x08, 0x00, 0x00, 0x00, 0x35, 0x61, 0x62, 0x63, 0x03, 0x00, 0x10, 0x64, // "abc", 9 bytes from 3 back, then "d"
      0x02, 0x00, 0x00, 0x80, 0x65, 0x66, // a stored block: "ef"
      0x00, 0x00, 0x00, 0x00, // end mark
    ])
    assert.equal((await decompressors.lz4(frame)).toString(), 'abcabcabcabcdef')
  })

  it('rejects damaged data with a plain message, and the codecs keep working after it', async () => {
    await assert.rejects(decompressors.snappy(Buffer.from([0x0c, 0x08, 0x61, 0x62, 0x63, 0x15, 0x09])), /^Error: corrupt data$/)
    await assert.rejects(decompressors.lz4(Buffer.from('not lz4 at all')), /not an lz4 frame/)
    await assert.rejects(decompressors.snappy(Buffer.concat([Buffer.from('\x82SNAPPY\0\0\0\0\x01\0\0\0\x01', 'latin1'), Buffer.from([0, 0, 1, 0, 1])])), /block cut short/)
    for (const codec of CODECS) assert.equal((await decompressors[codec](await compressors[codec](Buffer.from('still fine')))).toString(), 'still fine')
  })

  it('refuses data that claims to decompress to more than its bytes can hold, before allocating it', async () => {
    const rss = process.memoryUsage().rss
    // A snappy block announcing 1 GB in 6 bytes; lz4 blocks that would each need to be a 4 MiB run.
    await assert.rejects(decompressors.snappy(Buffer.from([0x80, 0x94, 0xeb, 0xdc, 0x03, 0x00, 0x61])), /longer than its data can hold/)
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]) // 4 MiB blocks
    const block = Buffer.concat([Buffer.from([0x00, 0x40, 0x00, 0x00]), Buffer.alloc(0x4000)]) // 16 KiB, up to 4 MiB decompressed
    await assert.rejects(decompressors.lz4(Buffer.concat([header, ...Array.from({length: 65}, () => block)])), /decompresses to more than 128 MiB/)
    assert.ok(process.memoryUsage().rss - rss < 100 * 1024 * 1024, 'memory stayed bounded')
  })
})
