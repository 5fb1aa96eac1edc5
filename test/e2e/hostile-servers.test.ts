import assert from 'node:assert/strict'
import {createServer as createHttpServer} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {after, describe, it} from 'node:test'
import {DescribeConfigs, Fetch, ListOffsets, Metadata} from '../../src/kafka-client/protocol/messages/index.ts'
import {Writer} from '../../src/kafka-client/protocol/primitives.ts'
import {encodeRecordBatch} from '../../src/kafka-client/protocol/record-batch.ts'
import {metadataFor, startFakeBroker, startRawServer} from '../support/fake-broker.ts'
import {kcl, tempKclHome} from '../support/kcl.ts'

// kcl pointed at things on its bootstrap port that are not Kafka, or a "broker" that answers with lies, on
// loopback: every command gives one line that says what answered, exit 3, no stack trace, and returns (the
// run's timeout fails a hang). No Docker, no Kafka needed.
const ENV = {KCL_HOME: tempKclHome()}
const closing: (() => Promise<unknown>)[] = []
after(() => Promise.all(closing.map((close) => close())))

const framed = (body: Buffer) => Buffer.concat([new Writer().int32(body.length).toBuffer(), body])

async function raw(serve: (socket: Socket) => void): Promise<string> {
  const server = await startRawServer(serve)
  closing.push(() => server.close())
  return server.address
}

/** oclif wraps messages to the terminal's width; the words are what matters. */
const unwrapped = (stderr: string): string => stderr.replace(/\s*\n\s*›\s*/g, ' ')

async function expectOneLine(args: string[], message: RegExp): Promise<void> {
  const result = await kcl(args, {env: ENV, timeoutMs: 60_000})
  const stderr = unwrapped(String(result.stderr))
  assert.equal(result.timedOut, false, 'kcl returned')
  assert.equal(result.exitCode, 3, stderr)
  assert.match(stderr, message)
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
  assert.equal(stderr.match(/Error:/g)?.length, 1, `one error: ${stderr}`)
}

describe('kcl against servers that are not Kafka', () => {
  it('an HTTP server on the bootstrap port', async () => {
    const server = createHttpServer((_request, response) => response.end('not kafka'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closing.push(() => new Promise((resolve) => server.close(resolve)))
    server.on('clientError', (_error, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`
    await expectOneLine(['topic', 'list', '-b', address], new RegExp(`${address} is not a Kafka broker \\(it answered with HTTP\\)`))
  })

  it('an SSH daemon (it speaks first)', async () => {
    const address = await raw((socket) => socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'))
    await expectOneLine(['produce', 't', 'hello', '-b', address], /is not a Kafka broker \(an SSH server answered\)/)
  })

  const frames: [string, (socket: Socket) => void][] = [
    ['a frame size of 0', (s) => s.once('data', () => s.write(Buffer.alloc(4)))],
    ['a negative frame size', (s) => s.once('data', () => s.write(new Writer().int32(-1).toBuffer()))],
    ['a frame size of 2 GiB', (s) => s.once('data', () => s.write(new Writer().int32(0x7fffffff).toBuffer()))],
    ['garbage', (s) => s.once('data', () => s.write(Buffer.from('\x00\x00\x00\x0c\x01\x02\x03\x04garbage!', 'latin1')))],
    ['a truncated answer', (s) => s.once('data', (d: Buffer) => s.write(framed(Buffer.concat([d.subarray(8, 12), Buffer.from([0, 0])]))))],
  ]
  for (const [what, serve] of frames) {
    it(`a server that answers with ${what}`, async () => {
      const address = await raw(serve)
      await expectOneLine(['consume', 't', '-b', address], /is not a Kafka broker/)
    })
  }

  it('a server that accepts and never answers', async () => {
    const address = await raw(() => {})
    await expectOneLine(['group', 'list', '-b', address], /did not answer in time|no answer in time/)
  })
})

describe('kcl against a broker whose answers lie', () => {
  it('a record batch with a negative length', async () => {
    const fake = await startFakeBroker()
    closing.push(() => fake.close())
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    fake.on(ListOffsets, (request) => ({
      topics: request.topics.map((t) => ({name: t.name, partitions: t.partitions.map((p) => ({partitionIndex: p.partitionIndex, errorCode: 0, offset: p.timestamp === -2n ? 0n : 2n}))})),
    }))
    fake.on(DescribeConfigs, () => ({throttleTimeMs: 0, results: [{errorCode: 0, resourceType: 2, resourceName: 't', configs: []}]}))
    const batch = Buffer.from(await encodeRecordBatch([{key: null, value: Buffer.from('x'), headers: []}], {timestamp: 0, compression: 'none'}))
    batch.writeInt32BE(-100, 8) // the batch length
    fake.on(Fetch, () => ({responses: [{topic: 't', partitions: [{partitionIndex: 0, errorCode: 0, highWatermark: 2n, records: batch}]}]}))
    await expectOneLine(['consume', 't', '-b', fake.address], new RegExp(`${fake.address} sent a malformed record batch for t\\[0\\] \\(a record batch of -100 bytes`))
  })
})
