import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import type {AcquiredRange, ConsumedRecord} from '../../src/kafka/client.ts'
import {connectKafka} from '../../src/kafka-client/index.ts'
import {DescribeShareGroupOffsets, FindCoordinator, Metadata, ShareAcknowledge, ShareFetch, ShareGroupDescribe, ShareGroupHeartbeat} from '../../src/kafka-client/protocol/messages/index.ts'
import {encodeRecordBatch} from '../../src/kafka-client/protocol/record-batch.ts'
import {metadataFor, startFakeBroker} from '../support/fake-broker.ts'

// kcl's share consumer against a fake broker that is leader and share coordinator of topic "t": what it acknowledges
// (taken records as --ack says, the rest released, acquired offsets without a record as gaps), and that it closes
// its share session and leaves the group when stopped.
const closing: (() => Promise<unknown>)[] = []
after(() => Promise.all(closing.map((close) => close())))

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'
type AckBatch = {firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[]}

async function shareBroker() {
  const fake = await startFakeBroker()
  closing.push(() => fake.close())
  const heartbeats: number[] = []
  const fetchEpochs: number[] = []
  const acknowledgeEpochs: number[] = []
  /** offset → acknowledge type, as the client sent them (ShareFetch and ShareAcknowledge alike). */
  const acks = new Map<number, number>()
  const record = (batches: AckBatch[]) => {
    for (const b of batches) for (let o = Number(b.firstOffset); o <= Number(b.lastOffset); o++) acks.set(o, b.acknowledgeTypes.length === 1 ? b.acknowledgeTypes[0]! : b.acknowledgeTypes[o - Number(b.firstOffset)]!)
  }
  fake.on(Metadata, () => metadataFor(fake, {t: 1}, {t: TOPIC_ID}))
  fake.on(FindCoordinator, (request) => ({coordinators: request.coordinatorKeys.map((key) => ({key, nodeId: 1, host: '127.0.0.1', port: fake.port, errorCode: 0}))}))
  fake.on(ShareGroupHeartbeat, (request) => {
    heartbeats.push(request.memberEpoch)
    return {throttleTimeMs: 0, errorCode: 0, memberId: request.memberId, memberEpoch: request.memberEpoch === -1 ? -1 : 3, heartbeatIntervalMs: 1000, assignment: {topicPartitions: [{topicId: TOPIC_ID, partitions: [0]}]}}
  })
  // Offsets 0-3 hold records a-d; the broker says it acquired 0-4 (4: a transaction marker, say).
  const batch = await encodeRecordBatch(['a', 'b', 'c', 'd'].map((v) => ({key: null, value: Buffer.from(v), headers: []})), {timestamp: 0, compression: 'none'})
  fake.on(ShareFetch, async (request) => {
    fetchEpochs.push(request.shareSessionEpoch)
    const partition = request.topics[0]!.partitions[0]!
    record(partition.acknowledgementBatches)
    const first = request.shareSessionEpoch === 0
    if (!first) await sleep(50)
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      acquisitionLockTimeoutMs: 30_000,
      responses: [
        {
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              acknowledgeErrorCode: 0,
              currentLeader: {leaderId: 1, leaderEpoch: 0},
              records: first ? Buffer.from(batch) : null,
              acquiredRecords: first ? [{firstOffset: 0n, lastOffset: 4n, deliveryCount: 2}] : [],
            },
          ],
        },
      ],
      nodeEndpoints: [],
    }
  })
  fake.on(ShareAcknowledge, (request) => {
    acknowledgeEpochs.push(request.shareSessionEpoch)
    for (const topic of request.topics) for (const p of topic.partitions) record(p.acknowledgementBatches)
    return {throttleTimeMs: 0, errorCode: 0, responses: [], nodeEndpoints: []}
  })
  return {fake, heartbeats, fetchEpochs, acknowledgeEpochs, acks}
}

describe('the share consumer (KIP-932), against a fake broker', () => {
  for (const [ack, code] of [['accept', 1], ['reject', 3]] as const) {
    it(`--ack ${ack}: acknowledges what it took, releases the rest, marks offsets without a record as gaps, and leaves`, async () => {
      const {fake, heartbeats, fetchEpochs, acknowledgeEpochs, acks} = await shareBroker()
      const client = await connectKafka([fake.address])
      closing.push(() => client.close())
      const records: ConsumedRecord[] = []
      const acquired: AcquiredRange[] = []
      const assigned: number[][] = []
      let done: () => void = () => {}
      const enough = new Promise<void>((resolve) => (done = resolve))
      const session = await client.consumeShared({
        topic: 't',
        group: 'g',
        ack,
        onAssignment: (partitions) => void assigned.push(partitions),
        onAcquired: (ranges) => void acquired.push(...ranges),
        // Takes two records, as `--max-messages 2` does.
        onRecords: async (batch) => {
          records.push(...batch.slice(0, 2))
          done()
          return Math.min(2, batch.length)
        },
      })
      const timeout = new AbortController()
      await Promise.race([enough, session.finished, sleep(10_000, undefined, {signal: timeout.signal}).catch(() => {})])
      timeout.abort()
      await session.stop()
      await session.finished
      assert.deepEqual(assigned, [[0]])
      assert.deepEqual(acquired, [{partition: 0, firstOffset: 0, lastOffset: 4, deliveryCount: 2}])
      assert.deepEqual(records.map((r) => [r.offset, r.value?.toString(), r.deliveryCount]), [[0, 'a', 2], [1, 'b', 2]])
      assert.deepEqual(Object.fromEntries(acks), {0: code, 1: code, 2: 2, 3: 2, 4: 0}, 'taken: --ack; not taken: released; no record: gap')
      assert.equal(fetchEpochs[0], 0, 'the share session opens with epoch 0')
      assert.deepEqual(fetchEpochs.slice(1), fetchEpochs.slice(1).map((_, i) => i + 1), 'then counts up')
      assert.deepEqual(acknowledgeEpochs, [-1], 'stopping closes the session')
      assert.equal(heartbeats[0], 0, 'joins with epoch 0')
      assert.equal(heartbeats.at(-1), -1, 'leaves with epoch -1')
    })
  }

  it('says in one line that a Kafka without share groups (no share-group requests listed) does not run them', async () => {
    const {fake} = await shareBroker()
    for (const api of [ShareGroupHeartbeat, ShareFetch, ShareAcknowledge, ShareGroupDescribe, DescribeShareGroupOffsets]) fake.versions.delete(api.key)
    const client = await connectKafka([fake.address])
    closing.push(() => client.close())
    await assert.rejects(client.shareGroupOffsets('g'), /This Kafka does not run share groups/)
    const session = await client.consumeShared({topic: 't', group: 'g', ack: 'accept', onAssignment: () => {}, onRecords: async () => 0})
    await assert.rejects(session.finished, (error: Error & {hint?: string}) => /This Kafka does not run share groups/.test(error.message) && /Kafka 4\.2 or newer/.test(String(error.hint)))
    await session.stop()
  })
})
