import assert from 'node:assert/strict'
import {Readable} from 'node:stream'
import {describe, it} from 'node:test'
import {MAX_IN_FLIGHT, type KafkaClient, type OutgoingRecord, type ProducerOptions} from '../../src/kafka/client.ts'
import {produce, recordBuilder, type ProduceRequest} from '../../src/kafka/produce.ts'

/** A client with one topic of two partitions that records what is sent and how many sends overlap. */
function fakeClient(maxMessageBytes = 1_048_588) {
  const sends: OutgoingRecord[][] = []
  let inFlight = 0
  let maxInFlight = 0
  const client = {
    servers: ['fake:9092'],
    topicNames: async () => ['t'],
    topicMetadata: async () => [{name: 't', partitions: [0, 1].map((partition) => ({partition, leader: 1, replicas: [1], isr: [1], offlineReplicas: []}))}],
    topicConfigs: async () => [{name: 'max.message.bytes', value: String(maxMessageBytes), source: 'default', sensitive: false}],
    producer: async (options: ProducerOptions) => {
      assert.equal(options.acks, 'all')
      return {
        async send(_topic: string, records: OutgoingRecord[]) {
          inFlight++
          maxInFlight = Math.max(maxInFlight, inFlight)
          await new Promise((resolve) => setTimeout(resolve, 1))
          inFlight--
          sends.push(records)
          return [{partition: records[0]?.partition ?? 0, baseOffset: sends.length * 10}]
        },
        async close() {},
      }
    },
  } as unknown as KafkaClient
  return {client, sends, maxInFlight: () => maxInFlight}
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
    const {client, sends, maxInFlight} = fakeClient(100_000)
    const lines = Array.from({length: 50_000}, (_, i) => `line ${i}`).join('\n') + '\n'
    const chunks = lines.match(/[\s\S]{1,65536}/g) ?? []
    const result = await produce(client, request({stdin: Readable.from(chunks.map((c) => Buffer.from(c)))}))
    assert.equal(result.count, 50_000)
    assert.equal(sends.flat().length, 50_000)
    assert.equal(sends.flat()[49_999]?.value?.toString(), 'line 49999')
    assert.ok(sends.length > 10, 'batches stay under max.message.bytes')
    assert.ok(maxInFlight() > 1 && maxInFlight() <= MAX_IN_FLIGHT, `${maxInFlight()} sends at once`)
  })

  it('reports each message given as an argument', async () => {
    const {client} = fakeClient()
    const delivered: number[] = []
    const result = await produce(client, request({messages: ['a', 'b'], onDelivered: (d) => delivered.push(d.message)}))
    assert.deepEqual(delivered, [1, 2])
    assert.equal(result.deliveries.length, 2)
  })

  it('sends nothing when one argument is too large', async () => {
    const {client, sends} = fakeClient(1000)
    await assert.rejects(produce(client, request({messages: ['small', 'x'.repeat(2000)]})), /Message 2 is \d+ bytes; topic "t" accepts at most 1000/)
    assert.equal(sends.length, 0)
  })

  it('names the malformed JSON line', async () => {
    const {client} = fakeClient()
    const stdin = Readable.from([Buffer.from('{"value":"ok"}\n\n{"value": oops}\n')])
    await assert.rejects(produce(client, request({input: 'json', stdin})), /Line 3 is not valid JSON/)
  })

  it('checks flags and partitions before sending', async () => {
    const {client, sends} = fakeClient()
    await assert.rejects(produce(client, request({key: 'a', keySeparator: ':'})), /cannot be used together/)
    await assert.rejects(produce(client, request({partition: 2, messages: ['x']})), /no partition 2/)
    await assert.rejects(produce(client, request({rate: 5})), /--rate only applies to --generate/)
    await assert.rejects(produce(client, request({topic: 'missing', messages: ['x']})), /Topic "missing" does not exist/)
    assert.equal(sends.length, 0)
  })

  it('generates keyed delivery messages', async () => {
    const {client, sends} = fakeClient()
    const result = await produce(client, request({generate: 25}))
    assert.equal(result.count, 25)
    const first = sends.flat()[0]
    assert.match(first?.key?.toString() ?? '', /^DLV-\d{5}$/)
    assert.equal(JSON.parse(first?.value?.toString() ?? '{}').deliveryId, first?.key?.toString())
  })
})
