import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {KafkaClient} from '../../src/kafka/client.ts'
import {compareTopicNames, createTopic, parseTopicConfigs, validateTopicName} from '../../src/kafka/topics.ts'

describe('topic names', () => {
  it('accepts what Kafka accepts', () => {
    for (const name of ['Delivery', 'weather-updates', 'a.b_c-1', 'x'.repeat(249), '...']) assert.equal(validateTopicName(name), name)
  })
  it('rejects what Kafka rejects, with the reason', () => {
    assert.throws(() => validateTopicName(''), /empty/)
    assert.throws(() => validateTopicName('.'), /cannot be a topic name/)
    assert.throws(() => validateTopicName('..'), /cannot be a topic name/)
    assert.throws(() => validateTopicName('x'.repeat(250)), /250 characters long; Kafka allows at most 249/)
    assert.throws(() => validateTopicName('weather updates'), /contains " "/)
    assert.throws(() => validateTopicName('a/b'), /contains "\/"/)
    assert.throws(() => validateTopicName('tópico'), /contains "ó"/)
  })
})

describe('topic name order', () => {
  it('is the order localeCompare gives in English', () => {
    const alphabet = 'aAbBzZ09_-.'
    let seed = 17
    const random = (below: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % below
    const names = ['a', 'A', 'aA', 'Aa', 'a_b', 'a-b', 'a.b', 'ab', 'a0', 'a9b', '_', '-', '.x']
    for (let i = 0; i < 400; i++) names.push(Array.from({length: 1 + random(5)}, () => alphabet[random(alphabet.length)]).join(''))
    for (const a of names) {
      for (const b of names) assert.equal(Math.sign(compareTopicNames(a, b)), Math.sign(a.localeCompare(b, 'en')), `${a} vs ${b}`)
    }
  })
})

describe('--config', () => {
  it('parses key=value', () => {
    assert.deepEqual(parseTopicConfigs(['retention.ms=1000', 'cleanup.policy=compact,delete']), {'retention.ms': '1000', 'cleanup.policy': 'compact,delete'})
  })
  it('rejects malformed and repeated entries', () => {
    assert.throws(() => parseTopicConfigs(['retention.ms']), /not key=value/)
    assert.throws(() => parseTopicConfigs(['=1']), /not key=value/)
    assert.throws(() => parseTopicConfigs(['Bad Key=1']), /not key=value/)
    assert.throws(() => parseTopicConfigs(['a=1', 'a=2']), /given twice/)
  })
})

/** A client that fails the test if anything reaches Kafka. */
function untouchable(brokers = 1): KafkaClient {
  return new Proxy({} as KafkaClient, {
    get: (_, name) =>
      name === 'brokers' ? async () => Array.from({length: brokers}, (_, i) => ({nodeId: i + 1, host: 'localhost', port: 9092 + i})) : () => assert.fail(`${String(name)} was called`),
  })
}

describe('topic create checks before Kafka', () => {
  const base = {configs: [], ifNotExists: false}
  it('rejects bad names, partitions and configs without touching Kafka', async () => {
    await assert.rejects(createTopic(untouchable(), {...base, name: 'bad name'}), /contains " "/)
    await assert.rejects(createTopic(untouchable(), {...base, name: 't', partitions: 0}), /--partitions must be from 1 to 10000, not 0/)
    await assert.rejects(createTopic(untouchable(), {...base, name: 't', replicationFactor: 0}), /--replication-factor must be 1 or more/)
    await assert.rejects(createTopic(untouchable(), {...base, name: 't', configs: ['x']}), /not key=value/)
  })
  it('rejects a replication factor above the broker count', async () => {
    await assert.rejects(createTopic(untouchable(1), {...base, name: 't', replicationFactor: 3}), /--replication-factor 3 is more than the 1 broker this cluster has/)
  })
})
