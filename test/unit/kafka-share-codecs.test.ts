import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {
  readDescribeShareGroupOffsetsResponse,
  readIncrementalAlterConfigsRequest,
  readShareAcknowledgeRequest,
  readShareFetchRequest,
  readShareFetchResponse,
  readShareGroupDescribeResponse,
  readShareGroupHeartbeatRequest,
  readShareGroupHeartbeatResponse,
  writeDescribeShareGroupOffsetsResponse,
  writeIncrementalAlterConfigsRequest,
  writeShareAcknowledgeRequest,
  writeShareFetchRequest,
  writeShareFetchResponse,
  writeShareGroupDescribeResponse,
  writeShareGroupHeartbeatRequest,
  writeShareGroupHeartbeatResponse,
} from '../../src/kafka-client/protocol/messages/index.ts'
import {Reader, Writer} from '../../src/kafka-client/protocol/primitives.ts'
import {batchRecords, decodeRecords, splitBatches} from '../../src/kafka-client/protocol/record-batch.ts'
import {takeAcks} from '../../src/kafka-client/share-consumer.ts'
import type {ConsumedRecord} from '../../src/kafka/client.ts'

// The share-group messages as Kafka's own Java codecs (kafka-clients 4.4.0) write them: see
// test/fixtures/share-codecs/JavaShareCodecs.java, which wrote java-bytes.txt. kcl's generated codecs must read
// them to the values the Java program set, and write those values back to the same bytes.
const JAVA = new Map(
  readFileSync(new URL('../fixtures/share-codecs/java-bytes.txt', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [name, version, hex] = line.split(' ')
      return [name!, {version: Number(version), bytes: Buffer.from(hex!, 'hex')}] as const
    }),
)
// Uuid(0x0123456789abcdef, 0x0fedcba987654321) as Kafka prints it (base64url).
const TOPIC = Buffer.from('0123456789abcdef0fedcba987654321', 'hex').toString('base64url')

/** Reads the Java bytes with kcl's reader, checks the whole input was used, and writes the result back with kcl's writer. */
function roundTrip<T>(name: string, read: (r: Reader, v: number) => T, write: (w: Writer, v: number, data: T) => void): T {
  const java = JAVA.get(name)
  assert.ok(java, `${name} is in the fixture`)
  const reader = new Reader(java.bytes)
  const decoded = read(reader, java.version)
  assert.equal(reader.remaining, 0, `${name}: every byte read`)
  const writer = new Writer()
  write(writer, java.version, decoded)
  assert.equal(writer.toBuffer().toString('hex'), java.bytes.toString('hex'), `${name}: kcl writes what Java wrote`)
  return decoded
}

describe('share-group codecs against Kafka\'s Java codecs', () => {
  it('ShareGroupHeartbeat: a joining member names itself and subscribes; the answer assigns by topic id', () => {
    const request = roundTrip('ShareGroupHeartbeatRequest', readShareGroupHeartbeatRequest, writeShareGroupHeartbeatRequest)
    assert.deepEqual(request, {groupId: 'share-1', memberId: TOPIC, memberEpoch: 0, rackId: null, subscribedTopicNames: ['Delivery']})
    const response = roundTrip('ShareGroupHeartbeatResponse', readShareGroupHeartbeatResponse, writeShareGroupHeartbeatResponse)
    assert.equal(response.memberEpoch, 3)
    assert.equal(response.heartbeatIntervalMs, 5000)
    assert.deepEqual(response.assignment?.topicPartitions, [{topicId: TOPIC, partitions: [0, 1]}])
  })

  it('ShareFetch: acknowledgements ride on the request; the answer carries records and what was acquired', async () => {
    const request = roundTrip('ShareFetchRequest', readShareFetchRequest, writeShareFetchRequest)
    assert.equal(request.shareSessionEpoch, 4)
    assert.equal(request.maxRecords, 500)
    assert.deepEqual(request.topics[0]?.partitions[0]?.acknowledgementBatches, [
      {firstOffset: 10n, lastOffset: 14n, acknowledgeTypes: [1]},
      {firstOffset: 15n, lastOffset: 15n, acknowledgeTypes: [2]},
    ])
    assert.deepEqual(request.forgottenTopicsData, [{topicId: TOPIC, partitions: [0]}])
    const response = roundTrip('ShareFetchResponse', readShareFetchResponse, writeShareFetchResponse)
    assert.equal(response.acquisitionLockTimeoutMs, 30000)
    const partition = response.responses[0]!.partitions[0]!
    assert.deepEqual(partition.acquiredRecords, [{firstOffset: 20n, lastOffset: 21n, deliveryCount: 2}])
    const records: ConsumedRecord[] = []
    for (const batch of splitBatches(partition.records!)) decodeRecords(batch, await batchRecords(batch), 'Delivery', 1, 20, records)
    assert.deepEqual(
      records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString()]),
      [
        [20, 'k', 'order 20'],
        [21, null, 'order 21'],
      ],
    )
  })

  it('ShareAcknowledge: kcl batches acknowledgements as Java reads them', () => {
    const request = roundTrip('ShareAcknowledgeRequest', readShareAcknowledgeRequest, writeShareAcknowledgeRequest)
    assert.equal(request.shareSessionEpoch, -1)
    assert.deepEqual(request.topics[0]?.partitions[0]?.acknowledgementBatches, [{firstOffset: 0n, lastOffset: 2n, acknowledgeTypes: [1, 0, 3]}])
    // kcl's own batching: one batch per run of offsets with one type (what Java wrote for ShareFetch above).
    const pending = new Map([[1, new Map([[14, 1], [10, 1], [11, 1], [12, 1], [13, 1], [15, 2]])]])
    assert.deepEqual(takeAcks(pending, 1).batches, readShareFetchRequest(new Reader(JAVA.get('ShareFetchRequest')!.bytes), 2).topics[0]!.partitions[0]!.acknowledgementBatches)
    assert.equal(pending.size, 0, 'taken acknowledgements are no longer pending')
  })

  it('ShareGroupDescribe, DescribeShareGroupOffsets and a group config change', () => {
    const described = roundTrip('ShareGroupDescribeResponse', readShareGroupDescribeResponse, writeShareGroupDescribeResponse)
    const group = described.groups[0]!
    assert.deepEqual([group.groupState, group.assignorName, group.members[0]?.clientHost], ['Stable', 'simple', '/127.0.0.1'])
    assert.deepEqual(group.members[0]?.assignment.topicPartitions, [{topicId: TOPIC, topicName: 'Delivery', partitions: [0, 1]}])
    const offsets = roundTrip('DescribeShareGroupOffsetsResponse', readDescribeShareGroupOffsetsResponse, writeDescribeShareGroupOffsetsResponse)
    const partition = offsets.groups[0]!.topics[0]!.partitions[0]!
    assert.deepEqual([partition.startOffset, partition.lag], [42n, 7n])
    const alter = roundTrip('IncrementalAlterConfigsRequest', readIncrementalAlterConfigsRequest, writeIncrementalAlterConfigsRequest)
    assert.deepEqual(alter.resources[0], {resourceType: 32, resourceName: 'share-1', configs: [{name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest'}]})
  })
})
