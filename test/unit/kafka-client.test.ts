import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import type {ConsumedRecord, KafkaClient} from '../../src/kafka/client.ts'
import {range, roundRobin} from '../../src/kafka-client/assignors.ts'
import {connectKafka} from '../../src/kafka-client/index.ts'
import {Fetch, InitProducerId, Metadata, Produce} from '../../src/kafka-client/protocol/messages/index.ts'
import {encodeRecordBatch} from '../../src/kafka-client/protocol/record-batch.ts'
import {metadataFor, startFakeBroker, type FakeBroker} from '../support/fake-broker.ts'

const closing: (() => Promise<unknown>)[] = []
after(() => Promise.all(closing.map((close) => close())))

async function broker(): Promise<FakeBroker> {
  const started = await startFakeBroker()
  closing.push(() => started.close())
  return started
}

async function client(address: string): Promise<KafkaClient> {
  const connected = await connectKafka([address])
  closing.push(() => connected.close())
  return connected
}

/** The batch header's producer fields: where an idempotent producer's sequence numbers are. */
const stamp = (batch: Buffer) => ({producerId: batch.readBigInt64BE(43), baseSequence: batch.readInt32BE(53), records: batch.readInt32BE(57)})

const value = (text: string) => ({key: null, value: Buffer.from(text), headers: []})

describe('the idempotent producer, against a fake broker', () => {
  it('numbers each partition\'s batches in sequence and sends a retried batch with its own numbers', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    fake.on(InitProducerId, () => ({errorCode: 0, producerId: 42n, producerEpoch: 3}))
    const seen: {baseSequence: number; records: number}[] = []
    let refuse = 1
    fake.on(Produce, (request) => {
      const batch = request.topicData[0]!.partitionData[0]!.records!
      const {producerId, baseSequence, records} = stamp(batch)
      assert.equal(producerId, 42n)
      seen.push({baseSequence, records})
      // The first attempt of the second batch meets a leader change; its retry carries the same sequence.
      const errorCode = seen.length === 2 && refuse-- > 0 ? 6 : 0
      return {responses: [{name: 't', partitionResponses: [{index: 0, errorCode, baseOffset: BigInt(seen.length * 10)}]}]}
    })
    const producer = await (await client(fake.address)).producer({acks: 'all', compression: 'none'})
    await producer.send('t', [value('a'), value('b')])
    await producer.send('t', [value('c')])
    await producer.send('t', [value('d'), value('e'), value('f')])
    assert.deepEqual(seen, [
      {baseSequence: 0, records: 2},
      {baseSequence: 2, records: 1},
      {baseSequence: 2, records: 1},
      {baseSequence: 3, records: 3},
    ])
  })

  it('takes a duplicate answer as written, and retries one out of order after its predecessor', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    fake.on(InitProducerId, () => ({errorCode: 0, producerId: 1n, producerEpoch: 0}))
    const answers = [46, 45, 0]
    const sequences: number[] = []
    fake.on(Produce, (request) => {
      sequences.push(stamp(request.topicData[0]!.partitionData[0]!.records!).baseSequence)
      return {responses: [{name: 't', partitionResponses: [{index: 0, errorCode: answers.shift() ?? 0, baseOffset: 7n}]}]}
    })
    const producer = await (await client(fake.address)).producer({acks: 'all', compression: 'none'})
    assert.deepEqual(await producer.send('t', [value('dup')]), [{partition: 0, baseOffset: 7}])
    assert.deepEqual(await producer.send('t', [value('late')]), [{partition: 0, baseOffset: 7}])
    assert.deepEqual(sequences, [0, 1, 1])
  })

  it('gives up with the error when a send keeps failing for good', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    fake.on(InitProducerId, () => ({errorCode: 0, producerId: 1n, producerEpoch: 0}))
    fake.on(Produce, () => ({responses: [{name: 't', partitionResponses: [{index: 0, errorCode: 10, baseOffset: -1n}]}]}))
    const producer = await (await client(fake.address)).producer({acks: 'all', compression: 'none'})
    await assert.rejects(producer.send('t', [value('big')]), /larger than the broker accepts/)
  })
})

/** A batch of `values` at `baseOffset` (with gaps when `deltas` are given), as Fetch returns it. */
async function batchAt(baseOffset: number, values: string[], options: {deltas?: number[]; producerId?: bigint; transactional?: boolean; control?: boolean} = {}): Promise<Buffer> {
  const batch = await encodeRecordBatch(
    values.map((v) => value(v)),
    {timestamp: 1_700_000_000_000, compression: 'none', producer: options.producerId === undefined ? undefined : {producerId: options.producerId, producerEpoch: 0, baseSequence: 0}},
  )
  const copy = Buffer.from(batch)
  copy.writeBigInt64BE(BigInt(baseOffset), 0)
  const attributes = (options.transactional ? 0x10 : 0) | (options.control ? 0x20 : 0)
  copy.writeInt16BE(attributes, 21)
  if (options.deltas) {
    // Rewrite each record's offset delta (compaction leaves gaps): records here are small, each delta one byte.
    let at = 61
    for (const delta of options.deltas) {
      const length = copy.readInt8(at) >> 1
      copy[at + 3] = delta << 1
      at += 1 + length
    }
    copy.writeInt32BE(options.deltas.at(-1)!, 23)
  }
  return copy
}

/** Reads a partition of "t" from `from` through a fake broker's answers until `count` records came. */
async function readUntil(fake: FakeBroker, count: number, from = 0): Promise<{records: ConsumedRecord[]; positions: number[]}> {
  const reader = await client(fake.address)
  const records: ConsumedRecord[] = []
  const positions: number[] = []
  let done: () => void = () => {}
  const enough = new Promise<void>((resolve) => (done = resolve))
  const session = await reader.consume({
    topic: 't',
    fromBeginning: true,
    startOffsets: new Map([[0, from]]),
    onAssignment: () => {},
    onRecords: async (batch) => {
      records.push(...batch)
      if (records.length >= count) done()
      return batch.length
    },
    onPosition: (_partition, next) => positions.push(next),
  })
  await Promise.race([enough, session.finished, sleep(5000)])
  await session.stop()
  await session.finished
  return {records, positions}
}

describe('the partition reader, against a fake broker', () => {
  it('reads across compacted gaps and goes on after the last offset', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    const log = [await batchAt(0, ['a', 'b', 'c']), await batchAt(5, ['f', 'h'], {deltas: [0, 2]})]
    fake.on(Fetch, async (request) => {
      const offset = Number(request.topics[0]!.partitions[0]!.fetchOffset)
      const records = offset === 0 ? Buffer.concat(log) : null
      if (!records) await sleep(20)
      return {responses: [{topic: 't', partitions: [{partitionIndex: 0, errorCode: 0, highWatermark: 8n, records}]}]}
    })
    const {records, positions} = await readUntil(fake, 5)
    assert.deepEqual(records.map((r) => `${r.offset}:${r.value}`), ['0:a', '1:b', '2:c', '5:f', '7:h'])
    assert.equal(positions.at(-1), 8)
  })

  it('skips aborted transactions and transaction markers', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    const log = [
      await batchAt(0, ['kept']),
      await batchAt(1, ['aborted-1', 'aborted-2'], {producerId: 9n, transactional: true}),
      await batchAt(3, ['marker'], {producerId: 9n, transactional: true, control: true}),
      await batchAt(4, ['after']),
    ]
    fake.on(Fetch, async (request) => {
      const offset = Number(request.topics[0]!.partitions[0]!.fetchOffset)
      if (offset !== 0) await sleep(20)
      return {
        responses: [
          {topic: 't', partitions: [{partitionIndex: 0, errorCode: 0, highWatermark: 5n, abortedTransactions: [{producerId: 9n, firstOffset: 1n}], records: offset === 0 ? Buffer.concat(log) : null}]},
        ],
      }
    })
    const {records, positions} = await readUntil(fake, 2)
    assert.deepEqual(records.map((r) => `${r.offset}:${r.value}`), ['0:kept', '4:after'])
    assert.equal(positions.at(-1), 5)
  })

  it('follows a partition to its new leader', async () => {
    const first = await broker()
    const second = await broker()
    let moved = false
    const metadata = () => ({...metadataFor(first, {t: 1}), brokers: [{nodeId: 1, host: '127.0.0.1', port: first.port}, {nodeId: 2, host: '127.0.0.1', port: second.port}]})
    const leaderIs = (leader: number) => {
      const answer = metadata()
      answer.topics[0]!.partitions[0]!.leaderId = leader
      return answer
    }
    first.on(Metadata, () => leaderIs(moved ? 2 : 1))
    second.on(Metadata, () => leaderIs(2))
    first.on(Fetch, () => {
      moved = true
      return {responses: [{topic: 't', partitions: [{partitionIndex: 0, errorCode: 6, highWatermark: -1n, records: null}]}]}
    })
    const records = Buffer.concat([await batchAt(0, ['from the new leader'])])
    second.on(Fetch, async (request) => {
      const offset = Number(request.topics[0]!.partitions[0]!.fetchOffset)
      if (offset !== 0) await sleep(20)
      return {responses: [{topic: 't', partitions: [{partitionIndex: 0, errorCode: 0, highWatermark: 1n, records: offset === 0 ? records : null}]}]}
    })
    const {records: read} = await readUntil(first, 1)
    assert.deepEqual(read.map((r) => r.value?.toString()), ['from the new leader'])
  })

  it('reads an answer of megabytes that arrives in many socket reads, hands it over in groups, and resumes after a partial take', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    const values = Array.from({length: 30_000}, (_, i) => `${i} ${'x'.repeat(90)}`)
    const log: Buffer[] = []
    for (let at = 0; at < values.length; at += 3000) log.push(await batchAt(at, values.slice(at, at + 3000)))
    const asked: number[] = []
    fake.on(Fetch, async (request) => {
      const offset = Number(request.topics[0]!.partitions[0]!.fetchOffset)
      asked.push(offset)
      const records = offset < values.length ? Buffer.concat(log.slice(Math.floor(offset / 3000))) : null
      if (!records) await sleep(20)
      return {responses: [{topic: 't', partitions: [{partitionIndex: 0, errorCode: 0, highWatermark: BigInt(values.length), records}]}]}
    })
    const reader = await client(fake.address)
    const read: string[] = []
    const groups: number[] = []
    let done: () => void = () => {}
    const all = new Promise<void>((resolve) => (done = resolve))
    const session = await reader.consume({
      topic: 't',
      fromBeginning: true,
      startOffsets: new Map([[0, 0]]),
      onAssignment: () => {},
      onRecords: async (records) => {
        groups.push(records.length)
        // Once, take only part of a group: the rest is read again from the first record not taken.
        const take = groups.length === 2 ? 100 : records.length
        read.push(...records.slice(0, take).map((r) => `${r.offset}:${r.value}`))
        if (read.length >= values.length) done()
        return take
      },
    })
    await Promise.race([all, session.finished, sleep(10_000)])
    await session.stop()
    assert.deepEqual(read, values.map((v, i) => `${i}:${v}`))
    assert.ok(Math.max(...groups) <= 6000, `groups of whole batches, not whole answers: ${groups.join(', ')}`)
    assert.ok(asked.includes(groups[0]! + 100), `fetched again from the first record not taken: ${asked.join(', ')}`)
  })

  it('stopped as soon as it is assigned (an empty topic read to its end), it finishes without an error', async () => {
    const fake = await broker()
    fake.on(Metadata, async () => {
      await sleep(20) // the stop closes the connection under this request
      return metadataFor(fake, {t: 1})
    })
    const reader = await client(fake.address)
    let stop: () => Promise<void> = async () => {}
    const session = await reader.consume({topic: 't', fromBeginning: true, startOffsets: new Map([[0, 0]]), onAssignment: () => void stop(), onRecords: async (r) => r.length})
    stop = () => session.stop()
    await stop()
    await session.finished
  })

  it('refuses an answer whose records end before the offset asked for, instead of asking forever', async () => {
    const fake = await broker()
    fake.on(Metadata, () => metadataFor(fake, {t: 1}))
    const stale = await batchAt(0, ['old'])
    fake.on(Fetch, () => ({responses: [{topic: 't', partitions: [{partitionIndex: 0, errorCode: 0, highWatermark: 9n, records: stale}]}]}))
    const reader = await client(fake.address)
    const session = await reader.consume({topic: 't', fromBeginning: true, startOffsets: new Map([[0, 5]]), onAssignment: () => {}, onRecords: async (r) => r.length})
    await assert.rejects(session.finished, /answered Fetch from t\[0\] at offset 5 with records that end at 1/)
    await session.stop()
  })
})

describe('classic assignors, as Kafka\'s Java client computes them', () => {
  const members = [
    {memberId: 'c', topics: ['a', 'b']},
    {memberId: 'a', topics: ['a', 'b']},
    {memberId: 'b', topics: ['a']},
  ]
  const counts = new Map([
    ['a', 5],
    ['b', 2],
  ])

  it('range: contiguous runs per topic, the first members (by id) one more', () => {
    assert.deepEqual(plain(range(members, counts)), {a: {a: [0, 1], b: [0]}, b: {a: [2, 3]}, c: {a: [4], b: [1]}})
  })

  it('roundrobin: every partition dealt in turn to the next member subscribed to its topic', () => {
    assert.deepEqual(plain(roundRobin(members, counts)), {a: {a: [0, 3], b: [1]}, b: {a: [1, 4]}, c: {a: [2], b: [0]}})
  })

  it('takes topic names as data: constructor, __proto__ and toString are topics like any other', () => {
    const odd = [{memberId: 'm', topics: ['constructor', '__proto__', 'toString']}]
    const oddCounts = new Map([
      ['constructor', 2],
      ['__proto__', 1],
      ['toString', 1],
    ])
    for (const assignor of [range, roundRobin]) {
      const mine = assignor(odd, oddCounts).get('m')!
      assert.deepEqual(Object.entries(mine), [
        ['__proto__', [0]],
        ['constructor', [0, 1]],
        ['toString', [0]],
      ])
    }
  })
})

/** Assignments by member as plain objects (kcl's have no prototype, so topic names are only data). */
const plain = (assignments: Map<string, Record<string, number[]>>) => Object.fromEntries([...assignments].map(([member, assignment]) => [member, {...assignment}]))
