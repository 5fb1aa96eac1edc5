import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import type {ConsumedRecord, GroupProtocol} from '../../src/kafka/client.ts'
import {connectKafka} from '../../src/kafka-client/index.ts'
import {
  ConsumerGroupHeartbeat,
  Fetch,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  SyncGroup,
  readConsumerProtocolSubscription,
} from '../../src/kafka-client/protocol/messages/index.ts'
import {Reader} from '../../src/kafka-client/protocol/primitives.ts'
import {encodeRecordBatch} from '../../src/kafka-client/protocol/record-batch.ts'
import {metadataFor, startFakeBroker, type FakeBroker} from '../support/fake-broker.ts'

// kcl's group consumer against a fake coordinator of each protocol: it joins, reads from the committed offsets,
// commits what it took (and no more), and leaves when stopped.
const closing: (() => Promise<unknown>)[] = []
after(() => Promise.all(closing.map((close) => close())))

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'

/** A broker leading topic "t" (2 partitions, 3 records each at offsets 0-2) that coordinates every group. */
async function groupBroker(): Promise<{fake: FakeBroker; commits: Map<number, number>[]; left: string[]}> {
  const fake = await startFakeBroker()
  closing.push(() => fake.close())
  const commits: Map<number, number>[] = []
  const left: string[] = []
  fake.on(Metadata, () => metadataFor(fake, {t: 2}, {t: TOPIC_ID}))
  fake.on(FindCoordinator, (request) => ({coordinators: request.coordinatorKeys.map((key) => ({key, nodeId: 1, host: '127.0.0.1', port: fake.port, errorCode: 0}))}))
  // Partition 0 has a commit at 1; partition 1 none.
  fake.on(OffsetFetch, (request) => ({
    groups: request.groups.map((g) => ({
      groupId: g.groupId,
      topics: [{name: 't', partitions: [0, 1].map((p) => ({partitionIndex: p, committedOffset: p === 0 ? 1n : -1n, errorCode: 0}))}],
    })),
  }))
  fake.on(ListOffsets, (request) => ({
    topics: request.topics.map((t) => ({name: t.name, partitions: t.partitions.map((p) => ({partitionIndex: p.partitionIndex, errorCode: 0, offset: p.timestamp === -2n ? 0n : 3n}))})),
  }))
  fake.on(OffsetCommit, (request) => {
    commits.push(new Map(request.topics[0]!.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)])))
    return {topics: request.topics.map((t) => ({name: t.name, partitions: t.partitions.map((p) => ({partitionIndex: p.partitionIndex, errorCode: 0}))}))}
  })
  const batches = new Map<number, Buffer>()
  for (const partition of [0, 1]) {
    const batch = Buffer.from(await encodeRecordBatch(['a', 'b', 'c'].map((v) => ({key: null, value: Buffer.from(`${partition}${v}`), headers: []})), {timestamp: 0, compression: 'none'}))
    batches.set(partition, batch)
  }
  fake.on(Fetch, async (request) => {
    const partitions = request.topics[0]!.partitions.map((p) => {
      const from = Number(p.fetchOffset)
      return {partitionIndex: p.partition, errorCode: 0, highWatermark: 3n, records: from < 3 ? batches.get(p.partition)! : null}
    })
    if (partitions.every((p) => p.records === null)) await sleep(50)
    return {responses: [{topic: 't', partitions}]}
  })
  fake.on(LeaveGroup, (request) => {
    left.push(...request.members.map((m) => m.memberId))
    return {errorCode: 0, members: request.members.map((m) => ({memberId: m.memberId, errorCode: 0}))}
  })
  return {fake, commits, left}
}

/** Consumes as group "g" until `take` records were taken (the consumer takes at most `perCall` per handover), then stops. */
async function consumeSome(fake: FakeBroker, protocol: GroupProtocol, take: number, perCall = 10): Promise<{records: ConsumedRecord[]; assigned: number[][]}> {
  const client = await connectKafka([fake.address])
  closing.push(() => client.close())
  const records: ConsumedRecord[] = []
  const assigned: number[][] = []
  let done: () => void = () => {}
  const enough = new Promise<void>((resolve) => (done = resolve))
  const session = await client.consume({
    topic: 't',
    group: 'g',
    groupProtocol: protocol,
    fromBeginning: true,
    onAssignment: (partitions) => void assigned.push(partitions),
    onRecords: async (batch) => {
      const taken = batch.slice(0, Math.min(perCall, take - records.length))
      records.push(...taken)
      if (records.length >= take) done()
      return taken.length
    },
  })
  await Promise.race([enough, session.finished, sleep(10_000)])
  await session.stop()
  await session.finished
  return {records, assigned}
}

const finalCommits = (commits: Map<number, number>[]) => {
  const last = new Map<number, number>()
  for (const commit of commits) for (const [partition, offset] of commit) last.set(partition, offset)
  return Object.fromEntries(last)
}

describe('the consumer group protocol (KIP-848), against a fake coordinator', () => {
  it('joins, reads from the commits (else the beginning), commits what it took, and leaves with epoch -1', async () => {
    const {fake, commits} = await groupBroker()
    const epochs: number[] = []
    fake.on(ConsumerGroupHeartbeat, (request) => {
      epochs.push(request.memberEpoch)
      assert.deepEqual(request.subscribedTopicNames, ['t'])
      return {throttleTimeMs: 0, errorCode: 0, memberId: request.memberId, memberEpoch: request.memberEpoch === -1 ? -1 : 5, heartbeatIntervalMs: 1000, assignment: {topicPartitions: [{topicId: TOPIC_ID, partitions: [0, 1]}]}}
    })
    const {records, assigned} = await consumeSome(fake, 'consumer', 3, 1)
    assert.deepEqual(assigned, [[0, 1]])
    // Partition 0 from its commit at 1, partition 1 from the beginning; one record taken per handover.
    assert.equal(records.length, 3)
    for (const r of records) assert.ok(['0:1', '0:2', '1:0', '1:1', '1:2'].includes(`${r.partition}:${r.offset}`), `${r.partition}:${r.offset}`)
    // The commits cover exactly what was taken: not a record more.
    const takenUpTo: Record<number, number> = {0: 1, 1: 0}
    for (const r of records) takenUpTo[r.partition] = Math.max(takenUpTo[r.partition]!, r.offset + 1)
    assert.deepEqual(finalCommits(commits), takenUpTo)
    assert.equal(epochs[0], 0, 'joins with epoch 0')
    assert.equal(epochs.at(-1), -1, 'leaves with epoch -1')
  })
})

describe('the classic group protocol, against a fake coordinator', () => {
  it('joins, leads the assignment (range), reads, commits with its generation, and leaves', async () => {
    const {fake, commits, left} = await groupBroker()
    let subscribed: string[] = []
    let assignment: Buffer = Buffer.alloc(0)
    fake.on(JoinGroup, (request) => {
      if (request.memberId === '') return {errorCode: 79, memberId: 'member-1', leader: '', members: []}
      const range = request.protocols.find((p) => p.name === 'range')!
      const reader = new Reader(range.metadata)
      subscribed = readConsumerProtocolSubscription(reader, reader.int16()).topics
      return {errorCode: 0, generationId: 4, protocolType: 'consumer', protocolName: 'range', leader: request.memberId, memberId: request.memberId, members: [{memberId: request.memberId, metadata: range.metadata}]}
    })
    fake.on(SyncGroup, (request) => {
      assert.equal(request.generationId, 4)
      assignment = request.assignments[0]!.assignment
      return {errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment}
    })
    fake.on(Heartbeat, () => ({errorCode: 0}))
    const {records, assigned} = await consumeSome(fake, 'classic', 5)
    assert.deepEqual(subscribed, ['t'])
    assert.deepEqual(assigned, [[0, 1]])
    assert.deepEqual(records.map((r) => `${r.partition}:${r.offset}`).sort(), ['0:1', '0:2', '1:0', '1:1', '1:2'])
    assert.deepEqual(finalCommits(commits), {0: 3, 1: 3})
    assert.deepEqual(left, ['member-1'])
  })
})

describe('--from with a group', () => {
  it('applies the first time a partition is assigned; a partition that comes back goes on from the commit', async () => {
    const {fake, commits} = await groupBroker()
    // The coordinator answers with the latest commit (partition 0 starts with one at 1).
    fake.on(OffsetFetch, (request) => {
      const last: Record<number, number> = {0: 1, ...finalCommits(commits)}
      return {
        groups: request.groups.map((g) => ({
          groupId: g.groupId,
          topics: [{name: 't', partitions: [0, 1].map((p) => ({partitionIndex: p, committedOffset: BigInt(last[p] ?? -1), errorCode: 0}))}],
        })),
      }
    })
    // Partition 0 is taken away at the fourth heartbeat and comes back at the sixth: a rebalance.
    const plan = [[0, 1], [0, 1], [0, 1], [1], [1], [0, 1]]
    let beats = 0
    fake.on(ConsumerGroupHeartbeat, (request) => {
      const partitions = plan[Math.min(beats++, plan.length - 1)]!
      return {throttleTimeMs: 0, errorCode: 0, memberId: request.memberId, memberEpoch: request.memberEpoch === -1 ? -1 : 5 + beats, heartbeatIntervalMs: 30, assignment: {topicPartitions: [{topicId: TOPIC_ID, partitions}]}}
    })
    const client = await connectKafka([fake.address])
    closing.push(() => client.close())
    const assigned: number[][] = []
    const session = await client.consume({
      topic: 't',
      group: 'g',
      groupProtocol: 'consumer',
      fromBeginning: true,
      startOffsets: new Map([
        [0, 0],
        [1, 0],
      ]),
      onAssignment: (partitions) => void assigned.push(partitions),
      onRecords: async (batch) => batch.length,
    })
    for (let waited = 0; assigned.length < 3 && waited < 100; waited++) await sleep(50)
    await sleep(200)
    await session.stop()
    await session.finished
    assert.deepEqual(assigned.slice(0, 3), [[0, 1], [1], [0, 1]])
    const fetchedFrom = fake.received
      .filter((r) => r.api === 'Fetch')
      .flatMap((r) => (r.request as {topics: {partitions: {partition: number; fetchOffset: bigint}[]}[]}).topics[0]!.partitions)
      .filter((p) => p.partition === 0)
      .map((p) => Number(p.fetchOffset))
    // --from's offset 0 over the commit at 1, the first time; after the rebalance, the commit (3), never 0 again.
    assert.equal(fetchedFrom[0], 0)
    const afterFirstRead = fetchedFrom.slice(fetchedFrom.indexOf(3))
    assert.ok(afterFirstRead.length > 1 && afterFirstRead.every((offset) => offset === 3), String(fetchedFrom))
    assert.equal(finalCommits(commits)[0], 3)
  })
})
