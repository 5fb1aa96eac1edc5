import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ExitCode, KclError} from '../../src/errors.ts'
import {rootCause, translateKafkaError} from '../../src/kafka-client/errors.ts'

const context = {servers: ['localhost:9092'], topic: 'Delivery', group: '1'}
const protocolError = (type: string, message = 'broker says no') => Object.assign(new Error(message), {name: 'KafkaJSProtocolError', type})

describe('translating Kafka client errors', () => {
  it('digs through retry and aggregate wrappers', () => {
    const inner = protocolError('TOPIC_ALREADY_EXISTS')
    const aggregate = Object.assign(new Error('agg'), {name: 'KafkaJSAggregateError', errors: [inner]})
    const retries = Object.assign(new Error('retries'), {name: 'KafkaJSNumberOfRetriesExceeded', cause: aggregate})
    assert.equal(rootCause(retries), inner)
  })

  it('names the topic or group and gives a hint', () => {
    const exists = translateKafkaError(protocolError('TOPIC_ALREADY_EXISTS'), context)
    assert.match(exists.message, /Topic "Delivery" already exists/)
    assert.match(exists.hint ?? '', /--if-not-exists/)
    assert.equal(exists.exitCode, ExitCode.usage)
    assert.match(translateKafkaError(protocolError('UNKNOWN_TOPIC_OR_PARTITION'), context).message, /Topic "Delivery" does not exist/)
    assert.match(translateKafkaError(protocolError('MESSAGE_TOO_LARGE'), context).hint ?? '', /max.message.bytes/)
    assert.match(translateKafkaError(protocolError('INVALID_REPLICATION_FACTOR', 'Replication factor: 3 larger than available brokers: 1'), context).message, /larger than available brokers/)
    assert.match(translateKafkaError(protocolError('GROUP_COORDINATOR_NOT_AVAILABLE'), context).message, /coordinator/)
  })

  it('turns connection failures into one line about the address', () => {
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {name: 'KafkaJSConnectionError'})
    const error = translateKafkaError(Object.assign(new Error('x'), {name: 'KafkaJSNumberOfRetriesExceeded', cause: refused}), context)
    assert.equal(error.message, 'Cannot reach Kafka at localhost:9092 (connection refused).')
    assert.equal(error.exitCode, ExitCode.environment)
    const probe = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'})
    assert.match(translateKafkaError(probe, context).message, /Cannot reach Kafka/)
  })

  it('passes KclErrors through and wraps anything else', () => {
    const own = new KclError('mine')
    assert.equal(translateKafkaError(own, context), own)
    assert.match(translateKafkaError(new Error('odd'), context).message, /Kafka client error: odd/)
  })
})
