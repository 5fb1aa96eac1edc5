import assert from 'node:assert/strict'
import {once} from 'node:events'
import {createServer, type AddressInfo} from 'node:net'
import {PassThrough, Readable} from 'node:stream'
import {after, describe, it} from 'node:test'
import type {ConsumedRecord, KafkaClient} from '../../src/kafka/client.ts'
import {produce, recordBuilder, type ProduceRequest} from '../../src/kafka/produce.ts'
import {connectKafka} from '../../src/kafka-client/index.ts'
import {MAX_IN_FLIGHT} from '../../src/kafka-client/producer.ts'
import {DescribeConfigs, InitProducerId, Metadata, Produce} from '../../src/kafka-client/protocol/messages/index.ts'
import {decodeRecords, splitBatches} from '../../src/kafka-client/protocol/record-batch.ts'
import {metadataFor, startFakeBroker, type FakeBroker} from '../support/fake-broker.ts'

const brokers: FakeBroker[] = []
after(() => Promise.all(brokers.map((b) => b.close())))

/**
 * kcl's client against a fake broker with one topic "t" of two partitions, which records each Produce batch (its
 * partition, records and size) and how many Produce requests were unanswered at once; batch number `failSend`
 * (from 0) is refused for good.
 */
async function fakeClient(maxMessageBytes = 1_048_588, failSend?: number) {
  const broker = await startFakeBroker()
  brokers.push(broker)
  const sends: ConsumedRecord[][] = []
  const partitions: number[] = []
  const batchSizes: number[] = []
  const sent = new EventTarget()
  broker.on(Metadata, () => metadataFor(broker, {t: 2}))
  broker.on(DescribeConfigs, () => ({
    throttleTimeMs: 0,
    results: [{errorCode: 0, resourceType: 2, resourceName: 't', configs: [{name: 'max.message.bytes', value: String(maxMessageBytes), readOnly: false, isSensitive: false, configSource: 5}]}],
  }))
  broker.on(InitProducerId, () => ({errorCode: 0, producerId: 7n, producerEpoch: 0}))
  broker.on(Produce, async (produce) => {
    const answers = []
    for (const topic of produce.topicData) {
      for (const data of topic.partitionData) {
        const out: ConsumedRecord[] = []
        for (const batch of splitBatches(data.records!)) decodeRecords(batch, batch.records, topic.name, data.index, 0, out)
        sends.push(out)
        partitions.push(data.index)
        batchSizes.push(data.records!.length)
        const refused = sends.length - 1 === failSend
        answers.push({index: data.index, errorCode: refused ? 87 : 0, errorMessage: refused ? 'Kafka refused the batch' : null, baseOffset: BigInt(sends.length * 10)})
      }
    }
    sent.dispatchEvent(new Event('send'))
    await new Promise((resolve) => setTimeout(resolve, 1))
    return {responses: [{name: 't', partitionResponses: answers}]}
  })
  const client: KafkaClient = await connectKafka([broker.address])
  after(() => client.close())
  /** Resolves at the next send (a test waiting for one that never comes fails by its timeout). */
  const nextSend = () => once(sent, 'send')
  // Every request but the producer's are answered at once; only Produce requests pile up behind a slow answer.
  return {client, sends, partitions, batchSizes, maxInFlight: () => broker.maxPipelined, nextSend}
}

const request = (overrides: Partial<ProduceRequest>): ProduceRequest => ({
  topic: 't',
  messages: [],
  input: 'text',
  headers: [],
  acks: 'all',
  compression: 'none',
  stdin: Readable.from([]),
  ...overrides,
})

describe('produce', () => {
  it('builds keys from --key-separator and --key, headers on every record', () => {
    const headers: [string, Buffer][] = [['h', Buffer.from('v')]]
    const split = recordBuilder({input: 'text', keySeparator: ':'}, headers)(Buffer.from('k1:v:1'), 1)
    assert.deepEqual([split.key?.toString(), split.value?.toString(), split.headers], ['k1', 'v:1', headers])
    assert.equal(recordBuilder({input: 'text', keySeparator: ':'}, [])(Buffer.from('nokey'), 1).key, null)
    assert.equal(recordBuilder({input: 'text', key: 'K'}, [])(Buffer.from('v'), 1).key?.toString(), 'K')
  })

  it('streams many lines in bounded batches, at most MAX_IN_FLIGHT sends at once, in order', async () => {
    const {client, sends, batchSizes, maxInFlight} = await fakeClient(100_000)
    const lines = Array.from({length: 50_000}, (_, i) => `line ${i}`).join('\n') + '\n'
    const chunks = lines.match(/[\s\S]{1,65536}/g) ?? []
    const result = await produce(client, request({stdin: Readable.from(chunks.map((c) => Buffer.from(c)))}))
    assert.equal(result.count, 50_000)
    // Every line once, in order, also those split across chunks, and batches (buffers reused) never mix them up.
    assert.deepEqual(
      sends.flat().map((r) => r.value?.toString()),
      Array.from({length: 50_000}, (_, i) => `line ${i}`),
    )
    assert.ok(sends.flat().every((r) => r.key === null && r.headers.length === 0))
    assert.ok(sends.length > 5 && batchSizes.every((size) => size <= 100_000), `batches of ${batchSizes.join(', ')} bytes stay under max.message.bytes`)
    assert.ok(maxInFlight() > 1 && maxInFlight() <= MAX_IN_FLIGHT, `${maxInFlight()} sends at once`)
  })

  it('sends keyed lines to their key\'s partition (murmur2, as Java clients), each batch to one partition', async () => {
    const {client, sends, partitions} = await fakeClient()
    const stdin = Readable.from([Buffer.from('d:1\nb:2\nd:3\nc:4\n')])
    await produce(client, request({keySeparator: ':', headers: ['h=v'], stdin}))
    const byPartition = new Map(sends.map((records, i) => [partitions[i], records.map((r) => `${r.key}=${r.value}`)]))
    // Of 2 partitions, murmur2 puts "d" on 1, "b" and "c" on 0.
    assert.deepEqual(Object.fromEntries(byPartition), {0: ['b=2', 'c=4'], 1: ['d=1', 'd=3']})
    assert.ok(sends.flat().every((r) => r.headers.length === 1 && r.headers[0]![0] === 'h' && r.headers[0]![1].toString() === 'v'))
  })

  it('gives plain lines a fixed --key, its partition, and --partition when asked', async () => {
    const keyed = await fakeClient()
    await produce(keyed.client, request({key: 'b', stdin: Readable.from([Buffer.from('x\n\ny')])}))
    assert.deepEqual(keyed.sends.flat().map((r) => `${r.key}=${r.value}`), ['b=x', 'b=y'])
    assert.deepEqual(keyed.partitions, [0])
    const pinned = await fakeClient()
    await produce(pinned.client, request({partition: 1, stdin: Readable.from([Buffer.from('x\n')])}))
    assert.deepEqual(pinned.partitions, [1])
  })

  it('refuses a line above the topic\'s limit, after sending the lines before it', async () => {
    const {client, sends} = await fakeClient(1000)
    const stdin = Readable.from([Buffer.from(`ok\n${'x'.repeat(2000)}\nnever\n`)])
    await assert.rejects(produce(client, request({stdin})), /Line 2 is \d+ bytes; topic "t" accepts at most 1000 .*; the 1 message before it was produced/)
    assert.deepEqual(sends.flat().map((r) => r.value?.toString()), ['ok'])
  })

  it('reports each message given as an argument', async () => {
    const {client} = await fakeClient()
    const delivered: number[] = []
    const result = await produce(client, request({messages: ['a', 'b'], onDelivered: (d) => delivered.push(d.message)}))
    assert.deepEqual(delivered, [1, 2])
    assert.equal(result.deliveries.length, 2)
  })

  it('sends nothing when one argument is too large', async () => {
    const {client, sends} = await fakeClient(1000)
    await assert.rejects(produce(client, request({messages: ['small', 'x'.repeat(2000)]})), /Message 2 is \d+ bytes; topic "t" accepts at most 1000/)
    assert.equal(sends.length, 0)
  })

  it('names the malformed JSON line', async () => {
    const {client} = await fakeClient()
    const stdin = Readable.from([Buffer.from('{"value":"ok"}\n\n{"value": oops}\n')])
    await assert.rejects(produce(client, request({input: 'json', stdin})), /Line 3 is not valid JSON/)
  })

  it('checks flags and partitions before sending', async () => {
    const {client, sends} = await fakeClient()
    await assert.rejects(produce(client, request({key: 'a', keySeparator: ':'})), /cannot be used together/)
    await assert.rejects(produce(client, request({partition: 2, messages: ['x']})), /no partition 2/)
    await assert.rejects(produce(client, request({rate: 5})), /--rate only applies to --generate/)
    await assert.rejects(produce(client, request({topic: 'missing', messages: ['x']})), /Topic "missing" does not exist/)
    assert.equal(sends.length, 0)
  })

  it('generates keyed delivery messages', async () => {
    const {client, sends} = await fakeClient()
    const result = await produce(client, request({generate: 25}))
    assert.equal(result.count, 25)
    const first = sends.flat()[0]
    assert.match(first?.key?.toString() ?? '', /^DLV-\d{5}$/)
    assert.equal(JSON.parse(first?.value?.toString() ?? '{}').deliveryId, first?.key?.toString())
  })

  it('sends a line while the input stays open (linger), then the next one on its own', {timeout: 10_000}, async () => {
    const {client, sends, nextSend} = await fakeClient()
    const stdin = new PassThrough()
    const producing = produce(client, request({stdin}))
    const first = nextSend()
    stdin.write('first\n')
    await first
    assert.deepEqual(sends.flat().map((r) => r.value?.toString()), ['first'], 'sent before more input or its end')
    const second = nextSend()
    stdin.write('second\n')
    await second
    stdin.end()
    const result = await producing
    assert.deepEqual(sends.map((batch) => batch.map((r) => r.value?.toString())), [['first'], ['second']])
    assert.deepEqual([result.count, result.notSent, result.interrupted], [2, 0, undefined])
  })

  it('on a signal stops reading, sends the lines read, and counts the unfinished one as not sent', {timeout: 10_000}, async () => {
    const {client, sends, nextSend} = await fakeClient()
    const stdin = new PassThrough()
    const interrupted = new AbortController()
    const producing = produce(client, request({stdin, signal: interrupted.signal}))
    const sent = nextSend()
    stdin.write('a\nb\nhal')
    await sent
    interrupted.abort('SIGINT')
    stdin.write('f\nlater\n')
    const result = await producing
    assert.deepEqual(sends.flat().map((r) => r.value?.toString()), ['a', 'b'], 'what came after the signal is not read')
    assert.deepEqual([result.count, result.notSent, result.unanswered, result.interrupted], [2, 1, 0, 'SIGINT'])
  })

  it('after a failed send, reports exactly the messages Kafka acknowledged, those sent after it included', async () => {
    const {client, sends} = await fakeClient(1000, 2)
    const lines = Array.from({length: 400}, (_, i) => `line ${i}`).join('\n')
    const error = await produce(client, request({stdin: Readable.from([Buffer.from(lines)])})).then(
      () => assert.fail('produce succeeded'),
      (e: unknown) => e as Error,
    )
    const acknowledged = sends.filter((_, i) => i !== 2).flat().length
    assert.ok(sends.length > 3, `${sends.length} sends`)
    assert.match(error.message, new RegExp(`: Kafka refused the batch \\(${acknowledged} messages before it were produced\\)\\.$`))
  })

  it('keeps a leader it cannot reach from ending the process while it connects to the next one, and retries', async () => {
    // Partition 0's leader refuses connections; partition 1's is reached through a new connection, which takes
    // longer than one turn of the event loop. Then partition 0 moves to the reachable broker, as after a failover.
    const refusing = createServer()
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    const closedPort = (refusing.address() as AddressInfo).port
    await new Promise((resolve) => refusing.close(resolve))
    const [bootstrap, leader] = [await startFakeBroker(), await startFakeBroker()]
    brokers.push(bootstrap, leader)
    let metadataAsked = 0
    bootstrap.on(Metadata, () => {
      const answer = metadataFor(leader, {t: 2})
      const firstLeader = metadataAsked++ === 0 ? 1 : 2
      return {
        ...answer,
        brokers: [{nodeId: 1, host: '127.0.0.1', port: closedPort}, {nodeId: 2, host: '127.0.0.1', port: leader.port}],
        topics: answer.topics.map((t) => ({...t, partitions: t.partitions.map((p) => ({...p, leaderId: p.partitionIndex === 0 ? firstLeader : 2}))})),
      }
    })
    leader.on(Produce, (produce) => ({
      responses: produce.topicData.map((t) => ({name: t.name, partitionResponses: t.partitionData.map((d) => ({index: d.index, errorCode: 0, errorMessage: null, baseOffset: 5n}))})),
    }))
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const client = await connectKafka([bootstrap.address])
    try {
      const producer = await client.producer({acks: '1', compression: 'none'})
      const records = [0, 1].map((partition) => ({key: null, value: Buffer.from(`p${partition}`), headers: [], partition}))
      assert.deepEqual(await producer.send('t', records), [{partition: 0, baseOffset: 5}, {partition: 1, baseOffset: 5}])
      assert.deepEqual(unhandled, [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await client.close()
    }
  })

  it('refuses a line that never ends once it outgrows the topic\'s limit, without reading on', async () => {
    const {client, sends} = await fakeClient(1000)
    let chunksRead = 0
    const endless = Readable.from(
      (function* () {
        yield Buffer.from('ok\n')
        for (;;) yield Buffer.alloc(100, 0x61 + (chunksRead++ % 26))
      })(),
    )
    await assert.rejects(produce(client, request({stdin: endless})), /Line 2 is already over \d+ bytes; topic "t" accepts at most 1000 .*; the 1 message before it was produced/)
    assert.deepEqual(sends.flat().map((r) => r.value?.toString()), ['ok'])
    assert.ok(chunksRead < 20, `${chunksRead} chunks read`)
  })
})
