import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ExitCode, KclError} from '../../src/errors.ts'
import {ConnectionError, ProtocolViolation, UnsupportedApi} from '../../src/kafka-client/connection.ts'
import {translateKafkaError} from '../../src/kafka-client/errors.ts'
import {KafkaProtocolError} from '../../src/kafka-client/protocol/error-codes.ts'
import {ConsumerGroupHeartbeat} from '../../src/kafka-client/protocol/messages/index.ts'

const context = {servers: ['localhost:9092'], topic: 'Delivery', group: '1'}
const address = {host: 'localhost', port: 9092}
const answered = (code: number, detail?: string) => new KafkaProtocolError(code, 'CreateTopics for "Delivery"', detail)

describe('translating Kafka client errors', () => {
  it('names the topic or group and gives a hint', () => {
    const exists = translateKafkaError(answered(36), context)
    assert.match(exists.message, /Topic "Delivery" already exists/)
    assert.match(exists.hint ?? '', /--if-not-exists/)
    assert.equal(exists.exitCode, ExitCode.usage)
    assert.match(translateKafkaError(answered(3), context).message, /Topic "Delivery" does not exist/)
    assert.match(translateKafkaError(answered(10), context).hint ?? '', /max.message.bytes/)
    assert.equal(translateKafkaError(answered(38, 'Replication factor: 3 larger than available brokers: 1.'), context).message, 'Invalid replication factor: Replication factor: 3 larger than available brokers: 1.')
    assert.match(translateKafkaError(answered(15), context).message, /coordinator/)
    assert.match(translateKafkaError(answered(68), context).message, /Group "1" has active members/)
  })

  it('turns connection failures into one line about the address', () => {
    const error = translateKafkaError(new ConnectionError(address, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9092'), context)
    assert.equal(error.message, 'Cannot reach Kafka at localhost:9092 (connection refused).')
    assert.equal(error.exitCode, ExitCode.environment)
    assert.match(translateKafkaError(new ConnectionError(address, 'ENOTFOUND'), context).message, /unknown host/)
  })

  it('says what answered when it was not Kafka, or a Kafka too old', () => {
    const http = translateKafkaError(new ProtocolViolation({host: '127.0.0.1', port: 8080}, 'is not a Kafka broker (it answered with HTTP)'), context)
    assert.equal(http.message, '127.0.0.1:8080 is not a Kafka broker (it answered with HTTP).')
    assert.equal(http.exitCode, ExitCode.environment)
    const old = translateKafkaError(new UnsupportedApi(address, ConsumerGroupHeartbeat, [0, 0]), context)
    assert.match(old.message, /too old for kcl/)
    assert.equal(old.exitCode, ExitCode.environment)
  })

  it('passes KclErrors through and wraps anything else', () => {
    const own = new KclError('mine')
    assert.equal(translateKafkaError(own, context), own)
    assert.match(translateKafkaError(new Error('odd'), context).message, /Kafka client error: odd/)
  })
})
