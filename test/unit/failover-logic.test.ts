import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {quorumAfterStop} from '../../src/cluster/brokers.ts'
import type {PartitionState} from '../../src/kafka-client/index.ts'
import {checkFailover, movedLeaders, PROBE_TOPIC} from '../../src/cluster/failover.ts'
import {newClusterSpec} from '../../src/cluster/spec.ts'
import {KclError} from '../../src/errors.ts'
import {partitionTable, renderBroker} from '../../src/ui/failover-report.ts'

const spec = (brokers: number) => newClusterSpec({name: 'ha', brokers}, {})

function refuses(brokers: number, running: number[], target: number, pattern: RegExp): void {
  assert.throws(
    () => checkFailover(spec(brokers), running, target),
    (error: unknown) => error instanceof KclError && error.exitCode === 2 && pattern.test(error.message) && !error.message.includes('\n'),
  )
}

const p = (topic: string, partition: number, leader: number, isr: number[]): PartitionState => ({topic, partition, leader, leaderEpoch: 0, replicas: [1, 2, 3], isr, offlineReplicas: []})

describe('which failovers kcl refuses', () => {
  it('refuses a 1-broker cluster: nothing can take over, and suggests three brokers', () => {
    refuses(1, [1], 1, /single broker, which is also its only controller/)
    assert.throws(() => checkFailover(spec(1), [1], 1), (error: KclError) => /kcl up --brokers 3/.test(error.hint ?? ''))
  })

  it('refuses the only controller of a 2-broker cluster, allows its plain broker', () => {
    refuses(2, [1, 2], 1, /has one controller \(node 1\)/)
    checkFailover(spec(2), [1, 2], 2)
  })

  it('allows one of three controllers, refuses a second one while the first is down', () => {
    checkFailover(spec(3), [1, 2, 3], 2)
    refuses(3, [1, 3], 3, /would leave 1 of the 3 controllers \(1, 2, 3\) running \(2 already stopped\)/)
  })

  it('counts only controller voters: broker-only nodes of big clusters never break the quorum', () => {
    assert.deepEqual(quorumAfterStop(spec(5), [1, 2, 4, 5], 5), {voters: [1, 2, 3], left: [1, 2], majority: true})
    checkFailover(spec(5), [1, 2, 3, 4], 4)
  })
})

describe('failover report', () => {
  const before = [p('weather-updates', 0, 3, [1, 2, 3]), p('weather-updates', 1, 1, [1, 2, 3]), p('__consumer_offsets', 0, 3, [1, 2, 3]), p(PROBE_TOPIC, 0, 3, [1, 2, 3])]
  const after = [p('weather-updates', 0, 1, [1, 2]), p('weather-updates', 1, 1, [1, 2]), p('__consumer_offsets', 0, 2, [1, 2]), p(PROBE_TOPIC, 0, 2, [1, 2])]

  it('lists the leaders that moved', () => {
    assert.deepEqual(movedLeaders(before, after), [
      {topic: 'weather-updates', partition: 0, from: 3, to: 1},
      {topic: '__consumer_offsets', partition: 0, from: 3, to: 2},
      {topic: PROBE_TOPIC, partition: 0, from: 3, to: 2},
    ])
  })

  it('shows user topics and the probe per partition, Kafka internal topics as one line', () => {
    const text = partitionTable(before, after)
    assert.match(text, /^TOPIC +PARTITION +ISR BEFORE +ISR AFTER +LEADER BEFORE +LEADER AFTER$/m)
    assert.match(text, /^weather-updates +0 +1,2,3 +1,2 +3 +1 {2}\(moved\)$/m)
    assert.match(text, /^weather-updates +1 +1,2,3 +1,2 +1 +1$/m)
    assert.match(text, new RegExp(`^${PROBE_TOPIC} +0 `, 'm'))
    assert.match(text, /^__consumer_offsets: 1 partitions, 1 leader\(s\) moved, 1 ISR\(s\) shrunk$/m)
    assert.doesNotMatch(text, / +$/m, 'no trailing blanks')
  })

  it('says plainly when a broker stop took the quorum majority away', () => {
    const text = renderBroker({cluster: 'ha', nodeId: 2, action: 'stop', alreadyRunning: false, stop: 'clean', wasController: false, activeController: undefined, quorumLost: true, seconds: 3})
    assert.match(text, /lost its majority/)
    assert.match(text, /kcl cluster restore --name ha/)
  })
})
