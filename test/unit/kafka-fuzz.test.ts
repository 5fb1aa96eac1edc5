import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import type {Socket} from 'node:net'
import {describe, it} from 'node:test'
import {KclError} from '../../src/errors.ts'
import {metadataAnswer} from '../../src/kafka-client/cluster.ts'
import {BrokerConnection, ConnectionError, ProtocolViolation} from '../../src/kafka-client/connection.ts'
import {Fetch, Metadata} from '../../src/kafka-client/protocol/messages/index.ts'
import {MalformedMessage, Reader, Writer} from '../../src/kafka-client/protocol/primitives.ts'
import {batchRecords, decodeRecords, splitBatches} from '../../src/kafka-client/protocol/record-batch.ts'
import type {ConsumedRecord} from '../../src/kafka/client.ts'
import {startRawServer} from '../support/fake-broker.ts'

// Seeded fuzzing of kcl's decoders with real answers from Kafka (test/fixtures/kafka/*.bin, captured by
// capture.ts there: Metadata, and Fetch of records kcat wrote with each codec), randomly damaged. Whatever the
// damage, decoding either succeeds or throws kcl's MalformedMessage: never another exception (a crash), a hang
// or an allocation the bytes cannot justify. A failure names the seed, which replays it.

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/kafka/${name}`, import.meta.url))
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const ITERATIONS = 10_000

/** A small seeded random number generator (mulberry32): the same seed, the same damage. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The values lengths and counts are most likely to be broken with. */
const HOSTILE = [0, -1, -2, 1, 0x7f, 0x80, 0xff, 0x7fffffff, -0x80000000, 0x10000, 0xffff]

/** One to four random kinds of damage: flipped bits, random or hostile int32s, truncation, inserted garbage. */
function damage(original: Buffer, next: () => number): Buffer {
  let bytes = Buffer.from(original)
  const at = (): number => Math.floor(next() * bytes.length)
  for (let n = 1 + Math.floor(next() * 4); n > 0; n--) {
    switch (Math.floor(next() * 5)) {
      case 0:
        bytes[at()]! ^= 1 << Math.floor(next() * 8)
        break
      case 1:
        bytes[at()] = Math.floor(next() * 256)
        break
      case 2: {
        const where = Math.min(at(), bytes.length - 4)
        if (where >= 0) bytes.writeInt32BE(HOSTILE[Math.floor(next() * HOSTILE.length)]!, where)
        break
      }
      case 3:
        bytes = bytes.subarray(0, at())
        break
      default: {
        const where = at()
        const garbage = Buffer.from(Array.from({length: 1 + Math.floor(next() * 16)}, () => Math.floor(next() * 256)))
        bytes = Buffer.concat([bytes.subarray(0, where), garbage, bytes.subarray(where)])
      }
    }
  }
  return bytes
}

/** What decoding a Fetch answer means for kcl: the answer, its batches, their records, decompressed. */
async function decodeFetch(body: Buffer): Promise<number> {
  const response = Fetch.readResponse(new Reader(body), 12)
  let records = 0
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      if (!partition.records) continue
      for (const batch of splitBatches(partition.records)) {
        const out: ConsumedRecord[] = []
        decodeRecords(batch, await batchRecords(batch), topic.topic, partition.partitionIndex, 0, out)
        records += out.length
      }
    }
  }
  return records
}

const expected = (error: unknown): boolean => error instanceof MalformedMessage || (error instanceof KclError && /old message format/.test(error.message))

describe('fuzzing the decoders with damaged answers captured from Kafka', () => {
  it('the fixtures decode whole: 20 records kcat wrote, with each codec', async () => {
    for (const codec of CODECS) assert.equal(await decodeFetch(fixture(`fetch-v12-${codec}.bin`)), 20, codec)
    assert.ok(metadataAnswer(Metadata.readResponse(new Reader(fixture('metadata-v12.bin')), 12)).brokers.length > 0)
  })

  it(`Metadata: ${ITERATIONS} damaged answers decode or throw MalformedMessage`, () => {
    const original = fixture('metadata-v12.bin')
    let refused = 0
    for (let seed = 1; seed <= ITERATIONS; seed++) {
      const bytes = damage(original, random(seed))
      try {
        metadataAnswer(Metadata.readResponse(new Reader(bytes), 12))
      } catch (error) {
        assert.ok(expected(error), `seed ${seed}: ${(error as Error).stack}`)
        refused++
      }
    }
    assert.ok(refused > ITERATIONS / 4, `${refused} of ${ITERATIONS} refused: the damage reaches the decoder`)
  })

  for (const codec of CODECS) {
    it(`Fetch of ${codec} batches: ${ITERATIONS} damaged answers decode or throw MalformedMessage`, async () => {
      const original = fixture(`fetch-v12-${codec}.bin`)
      const before = process.memoryUsage().rss
      let refused = 0
      for (let seed = 1; seed <= ITERATIONS; seed++) {
        const bytes = damage(original, random(seed * 7919))
        try {
          await decodeFetch(bytes)
        } catch (error) {
          assert.ok(expected(error), `seed ${seed * 7919}: ${(error as Error).stack}`)
          refused++
        }
      }
      assert.ok(refused > ITERATIONS / 4, `${refused} of ${ITERATIONS} refused: the damage reaches the decoder`)
      const grown = (process.memoryUsage().rss - before) / 1024 / 1024
      assert.ok(grown < 512, `memory grew by ${grown.toFixed(0)} MB`)
    })
  }

  it('a connection given damaged answers fails with a ProtocolViolation or resolves, never hangs or crashes', async () => {
    const original = fixture('metadata-v12.bin')
    let seed = 0
    // Answers ApiVersions properly, then each Metadata with a damaged captured answer.
    const server = await startRawServer((socket: Socket) => {
      let pending = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const frame = pending.subarray(4, 4 + pending.readInt32BE(0))
          pending = pending.subarray(4 + frame.length)
          const apiKey = frame.readInt16BE(0)
          const correlationId = frame.readInt32BE(4)
          const body =
            apiKey === 18
              ? new Writer().int16(0).uvarint(2).int16(Metadata.key).int16(12).int16(12).uvarint(0).int32(0).uvarint(0).toBuffer()
              : Buffer.concat([Buffer.from([0]), damage(original, random(++seed * 104729))])
          const header = new Writer().int32(correlationId).toBuffer()
          socket.write(Buffer.concat([new Writer().int32(header.length + body.length).toBuffer(), header, body]))
        }
      })
    })
    try {
      for (let i = 0; i < 200; i++) {
        const connection = await BrokerConnection.open({host: '127.0.0.1', port: server.port}, {clientId: 'fuzz', connectTimeoutMs: 2000})
        try {
          await connection.request(Metadata, {topics: null, includeTopicAuthorizedOperations: false}, 2000)
        } catch (error) {
          assert.ok(error instanceof ProtocolViolation || (error instanceof ConnectionError && error.code !== 'ETIMEDOUT'), `seed ${seed * 104729}: ${(error as Error).stack}`)
        } finally {
          connection.close()
        }
      }
    } finally {
      await server.close()
    }
  })
})
