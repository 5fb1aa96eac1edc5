import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {assembleSnapshot, quorumView, type ClusterSnapshot, type Observations} from '../../src/cluster-view/snapshot.ts'
import {Timeline} from '../../src/cluster-view/timeline.ts'
import type {MetadataAnswer, QuorumInfo} from '../../src/kafka-client/index.ts'
import {isLoopback, validateHost, validatePort} from '../../src/web-server/address.ts'

const TARGET = {cluster: 'ui-unit', bootstrapServers: ['localhost:9092']}

function metadata(live: number[], leaders: number[], isr: number[][]): MetadataAnswer {
  return {
    clusterId: 'abc',
    brokers: live.map((nodeId) => ({nodeId, host: 'localhost', port: 9091 + nodeId})),
    partitions: leaders.map((leader, partition) => ({topic: 'Delivery', partition, leader, leaderEpoch: 0, replicas: [1, 2, 3], isr: isr[partition]!, offlineReplicas: []})),
    topicErrors: new Map(),
    topicIds: new Map(),
  }
}

function quorum(leaderId: number, leaderEpoch: number): QuorumInfo {
  return {
    leaderId,
    leaderEpoch,
    highWatermark: 120n,
    voters: [1, 2, 3].map((nodeId) => ({nodeId, logEndOffset: nodeId === 3 ? 100n : 120n})),
    observers: [],
  }
}

function observed(parts: Partial<Observations>): Observations {
  return {
    metadata: undefined,
    metadataError: undefined,
    quorum: undefined,
    quorumError: undefined,
    knownNodes: new Map([1, 2, 3].map((id) => [id, `localhost:${9091 + id}`])),
    containers: new Map([1, 2, 3].map((id) => [id, {state: 'running', health: 'healthy'}])),
    offsets: new Map(),
    groups: [],
    groupsError: undefined,
    ...parts,
  }
}

const running = (...stopped: number[]) => new Map([1, 2, 3].map((id) => [id, {state: stopped.includes(id) ? 'exited' : 'running', health: undefined}]))

function snapshot(at: number, parts: Partial<Observations>): ClusterSnapshot {
  return assembleSnapshot(TARGET, observed(parts), at)
}

describe('cluster view snapshots', () => {
  it('take the active controller from DescribeQuorum, with each voter\'s lag behind the leader', () => {
    const view = quorumView(quorum(2, 7))
    assert.equal(view.leaderId, 2)
    assert.deepEqual(view.voters.map((v) => [v.nodeId, v.lag]), [[1, 0], [2, 0], [3, 20]])
    const shot = snapshot(0, {metadata: metadata([1, 2, 3], [1, 2, 3], [[1, 2, 3], [1, 2, 3], [1, 2, 3]]), quorum: quorum(2, 7)})
    assert.deepEqual(shot.brokers.map((b) => b.quorumRole), ['voter', 'active controller', 'voter'])
  })

  it('keep stopped nodes of a kcl cluster, flag under-replicated and offline partitions', () => {
    const shot = snapshot(0, {metadata: metadata([1, 2], [1, -1], [[1, 2], [3]]), quorum: quorum(1, 8), containers: running(3)})
    assert.deepEqual(shot.brokers.map((b) => [b.nodeId, b.registered, b.container]), [[1, true, 'running'], [2, true, 'running'], [3, false, 'exited']])
    const [p0, p1] = shot.topics[0]!.partitions
    assert.deepEqual([p0!.underReplicated, p0!.offline, p1!.offline], [true, false, true])
  })
})

describe('the event timeline', () => {
  const inSync = [[1, 2, 3], [1, 2, 3], [1, 2, 3]]

  it('tells a failover in words: node stopped, election and how long it took, leaders moved, ISR shrank and came back', () => {
    const timeline = new Timeline()
    const start = timeline.observe(snapshot(1000, {metadata: metadata([1, 2, 3], [1, 2, 3], inSync), quorum: quorum(3, 7)}))
    assert.deepEqual(start.map((e) => e.text), ['watching kcl cluster "ui-unit": 3 broker(s) serving, node 3 is the active controller (epoch 7)'])

    const stopping = timeline.observe(
      snapshot(2000, {metadata: metadata([1, 2], [1, 2, 1], [[1, 2], [1, 2], [1, 2]]), quorum: quorum(3, 7), quorumError: 'timed out', containers: running(3)}),
    )
    assert.deepEqual(stopping.map((e) => e.text), [
      'node 3 stopped (container exited)',
      'node 3 no longer serves clients',
      'the metadata quorum does not answer (last active controller: node 3, epoch 7)',
      'ISR of Delivery[0] shrank to 1,2',
      'ISR of Delivery[1] shrank to 1,2',
      'Delivery[2] leader 3 → 1',
      'ISR of Delivery[2] shrank to 1,2',
    ])
    assert.deepEqual(timeline.observe(snapshot(3000, {metadata: metadata([1, 2], [1, 2, 1], [[1, 2], [1, 2], [1, 2]]), quorum: quorum(-1, 8), containers: running(3)})), [])

    const elected = timeline.observe(snapshot(4900, {metadata: metadata([1, 2], [1, 2, 1], [[1, 2], [1, 2], [1, 2]]), quorum: quorum(1, 9), containers: running(3)}))
    assert.deepEqual(elected.map((e) => [e.kind, e.text]), [['controller', 'node 1 became the active controller (epoch 9) after 2.9 s']])

    const back = timeline.observe(snapshot(9000, {metadata: metadata([1, 2, 3], [1, 2, 1], inSync), quorum: quorum(1, 9)}))
    assert.deepEqual(back.map((e) => e.text), [
      'node 3 started',
      'node 3 serves clients again',
      'ISR of Delivery[0] back to 1,2,3',
      'ISR of Delivery[1] back to 1,2,3',
      'ISR of Delivery[2] back to 1,2,3',
    ])
    assert.deepEqual(timeline.events.map((e) => e.id), Array.from({length: timeline.events.length}, (_, i) => i + 1))
  })

  it("times the election from the moment the controller's node stops serving, while the quorum still names it", () => {
    const timeline = new Timeline()
    timeline.observe(snapshot(0, {metadata: metadata([1, 2, 3], [1, 2, 3], inSync), quorum: quorum(3, 7)}))
    const leaving = timeline.observe(snapshot(1000, {metadata: metadata([1, 2], [1, 2, 1], inSync), quorum: quorum(3, 7)}))
    assert.deepEqual(leaving.map((e) => e.text).slice(0, 2), ['node 3 no longer serves clients', 'node 3, the active controller, is going down (last active controller: node 3, epoch 7)'])
    const elected = timeline.observe(snapshot(3100, {metadata: metadata([1, 2], [1, 2, 1], inSync), quorum: quorum(2, 8)}))
    assert.deepEqual(elected.map((e) => e.text), ['node 2 became the active controller (epoch 8) after 2.1 s'])
  })

  it('leaves a dedicated controller, never in the broker list, to the quorum', () => {
    const timeline = new Timeline()
    const any = (at: number, leader: number) =>
      assembleSnapshot({cluster: undefined, bootstrapServers: ['b:9092']}, observed({metadata: metadata([1, 2, 3], [1, 2, 3], inSync), quorum: quorum(leader, 7), knownNodes: new Map(), containers: undefined}), at)
    const shot = any(0, 3)
    timeline.observe(shot)
    assert.deepEqual(timeline.observe(any(1000, 3)), [])
    const voters = {...quorum(9, 7), voters: [9, 10, 11].map((nodeId) => ({nodeId, logEndOffset: 5n}))}
    const dedicated = assembleSnapshot({cluster: undefined, bootstrapServers: ['b:9092']}, observed({metadata: metadata([1, 2, 3], [1, 2, 3], inSync), quorum: voters, knownNodes: new Map(), containers: undefined}), 2000)
    assert.equal(dedicated.brokers.find((b) => b.nodeId === 9)?.broker, false)
    assert.deepEqual(timeline.observe(dedicated).map((e) => e.text), ['node 9 became the active controller (epoch 7)'])
  })

  it('says nothing when nothing changed, and keeps only the last events', () => {
    const timeline = new Timeline(2)
    const same = {metadata: metadata([1, 2, 3], [1, 2, 3], inSync), quorum: quorum(1, 7)}
    timeline.observe(snapshot(0, {...same, containers: undefined}))
    assert.deepEqual(timeline.observe(snapshot(500, same)), [], 'the containers seen for the first time are no news')
    assert.deepEqual(timeline.observe(snapshot(1000, same)), [])
    timeline.observe(snapshot(2000, {...same, metadata: metadata([1, 2, 3], [2, 2, 3], inSync)}))
    timeline.observe(snapshot(3000, {...same, metadata: metadata([1, 2, 3], [1, 2, 3], inSync)}))
    assert.deepEqual(timeline.events.map((e) => e.text), ['Delivery[0] leader 1 → 2', 'Delivery[0] leader 2 → 1'])
  })

  it('names topics and groups that come and go, and a leaderless partition', () => {
    const timeline = new Timeline()
    timeline.observe(snapshot(0, {metadata: {...metadata([1], [], []), partitions: []}, quorum: quorum(1, 1)}))
    const group = {groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'classic', assignor: 'range', members: [], offsets: [], totalLag: 0, lagHistory: []}
    const texts = timeline.observe(snapshot(1000, {metadata: metadata([1], [-1], [[]]), quorum: quorum(1, 1), groups: [group]})).map((e) => e.text)
    assert.deepEqual(texts, ['topic Delivery created: 1 partition(s), replication factor 3', 'group g appeared: Stable, 0 member(s)'])
    const later = timeline.observe(snapshot(2000, {metadata: {...metadata([1], [], []), partitions: []}, quorum: quorum(1, 1), groups: [{...group, state: 'Empty'}]}))
    assert.deepEqual(later.map((e) => e.text), ['topic Delivery deleted', 'group g: Stable → Empty'])
  })
})

describe('kcl ui addresses', () => {
  it('knows loopback from the network', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(isLoopback(host), true, host)
    for (const host of ['0.0.0.0', '192.168.1.4', '::', 'example.com']) assert.equal(isLoopback(host), false, host)
  })

  it('refuses hosts and ports that cannot be', () => {
    assert.equal(validateHost('::1'), '::1')
    assert.equal(validateHost('my-laptop.local'), 'my-laptop.local')
    assert.throws(() => validateHost('not a host'), /is not a host name or IP address/)
    assert.throws(() => validateHost('http://x'), /is not a host name/)
    assert.equal(validatePort(0), 0)
    assert.throws(() => validatePort(65536), /--port must be 0 to 65535/)
  })
})
