import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {ConsumeSession, GroupDescription, KafkaClient, ShareConsumeRequest, SharePartitionOffset} from '../../src/kafka/client.ts'
import type {RecordSink} from '../../src/kafka/consume.ts'
import {deleteGroup, describeGroup} from '../../src/kafka/groups.ts'
import {consumeShared, type ShareConsumeOptions} from '../../src/kafka/share-consume.ts'

// The share-group domain: what `consume --share-group`, `group describe` and `group delete` ask of the client, and
// the bad input they refuse before anything reaches Kafka.

/** A client that fails the test if anything reaches Kafka. */
const untouchable = new Proxy({} as KafkaClient, {get: (_, name) => () => assert.fail(`${String(name)} was called`)})

const sink = (lines: string[]): RecordSink => ({closed: new Promise(() => {}), write: async (chunk) => (lines.push(String(chunk)), true)})
const options = (extra: Partial<ShareConsumeOptions> = {}): ShareConsumeOptions => ({
  topic: 't',
  shareGroup: 'g',
  from: 'beginning',
  exitAtEnd: false,
  output: 'text',
  out: sink([]),
  notice: () => {},
  ...extra,
})

const shareGroup = (members: number): GroupDescription => ({
  groupId: 'g',
  state: members > 0 ? 'Stable' : 'Empty',
  protocolType: 'share',
  type: 'share',
  assignor: 'simple',
  groupEpoch: 3,
  assignmentEpoch: 3,
  members: Array.from({length: members}, (_, i) => ({memberId: `m${i}`, clientId: `c${i}`, clientHost: '/127.0.0.1', memberEpoch: 3, assignment: {t: [0, 1]}})),
})

describe('consume --share-group', () => {
  it('refuses what does not apply to share groups, before reaching Kafka', async () => {
    await assert.rejects(consumeShared(untouchable, options({group: 'x'})), /--group cannot be used with --share-group/)
    await assert.rejects(consumeShared(untouchable, options({partition: 0})), /--partition cannot be used with --share-group/)
    await assert.rejects(consumeShared(untouchable, options({exitAtEnd: true})), /--exit-at-end cannot be used with --share-group/)
    await assert.rejects(consumeShared(untouchable, options({groupProtocol: 'consumer'})), /--group-protocol cannot be used with --share-group/)
    await assert.rejects(consumeShared(untouchable, options({from: '-10'})), /--from -10 cannot be used with --share-group/)
    await assert.rejects(consumeShared(untouchable, options({shareGroup: ' '})), /--share-group cannot be empty/)
    await assert.rejects(consumeShared(untouchable, options({maxMessages: 0})), /--max-messages must be 1 or more/)
  })

  for (const [state, set] of [[[] as SharePartitionOffset[], true], [[{topic: 't', partition: 0, startOffset: 5, lag: 0}], false]] as const) {
    it(`sets where the group starts ${set ? 'while it has read nothing of the topic' : 'never once it has'}; prints records with their delivery count`, async () => {
      const configs: Record<string, string | null>[] = []
      const lines: string[] = []
      const client = {
        topicNames: async () => ['t'],
        topicMetadata: async () => [{name: 't', partitions: [{partition: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: []}]}],
        describeGroup: async () => ({...shareGroup(0), state: state.length > 0 ? 'Empty' : 'Dead', type: state.length > 0 ? 'share' : 'classic'}),
        shareGroupOffsets: async () => state,
        alterGroupConfigs: async (_group: string, c: Record<string, string | null>) => void configs.push(c),
        consumeShared: async (request: ShareConsumeRequest): Promise<ConsumeSession> => {
          assert.equal(request.ack, 'release')
          await request.onRecords([{topic: 't', partition: 0, offset: 7, timestamp: 0, key: null, value: Buffer.from('v'), headers: [], deliveryCount: 2}])
          let stopped: () => void = () => {}
          const finished = new Promise<void>((resolve) => (stopped = resolve))
          return {finished, stop: async () => stopped()}
        },
      } as unknown as KafkaClient
      const result = await consumeShared(client, options({from: 'end', ack: 'release', maxMessages: 1, out: sink(lines)}))
      assert.equal(result.count, 1)
      assert.deepEqual(lines, ['[delivery 2] v\n'])
      assert.deepEqual(configs, set ? [{'share.auto.offset.reset': 'latest'}] : [])
    })
  }

  it('refuses a name a consumer group has, in one line', async () => {
    const client = {
      topicNames: async () => ['t'],
      topicMetadata: async () => [{name: 't', partitions: [{partition: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: []}]}],
      describeGroup: async () => ({...shareGroup(0), type: 'consumer', protocolType: 'consumer'}),
    } as unknown as KafkaClient
    await assert.rejects(consumeShared(client, options()), /Group "g" is a consumer group, not a share group/)
  })
})

describe('share groups in group describe and group delete', () => {
  const client = (members: number, deleted: string[] = []) =>
    ({
      describeGroup: async () => shareGroup(members),
      shareGroupOffsets: async (): Promise<SharePartitionOffset[]> => [
        {topic: 't', partition: 0, startOffset: 4, lag: 1},
        {topic: 't', partition: 1, startOffset: -1, lag: null},
      ],
      topicOffsets: async () => [
        {partition: 0, low: 0, high: 6},
        {partition: 1, low: 0, high: 2},
      ],
      deleteGroup: async (group: string) => void deleted.push(group),
    }) as unknown as KafkaClient

  it('describes members and, per partition, the start offset, the end, the broker\'s lag and who fetches from it', async () => {
    const view = await describeGroup(client(2), 'g')
    assert.equal(view.protocol, 'share')
    assert.deepEqual(view.members.map((m) => m.partitions.length), [2, 2])
    assert.deepEqual(view.shareOffsets, [
      {topic: 't', partition: 0, startOffset: 4, end: 6, lag: 1, members: ['c0', 'c1']},
      {topic: 't', partition: 1, startOffset: null, end: 2, lag: null, members: ['c0', 'c1']},
    ])
    assert.equal(view.totalLag, 1)
  })

  it('refuses to delete a group with members, in one line with what to do; deletes an empty one', async () => {
    const deleted: string[] = []
    await assert.rejects(deleteGroup(client(2, deleted), 'g'), /Group "g" has 2 active members; it can only be deleted while empty/)
    assert.deepEqual(deleted, [])
    assert.deepEqual(await deleteGroup(client(0, deleted), 'g'), {groupId: 'g', protocol: 'share', deleted: true})
    assert.deepEqual(deleted, ['g'])
  })
})
