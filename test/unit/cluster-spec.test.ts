import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {KclError} from '../../src/errors.ts'
import {
  DEFAULT_IMAGE,
  KAFKA_VERSION,
  OLDEST_KAFKA_VERSION,
  compareKafkaVersions,
  kafkaVersionImage,
  nativeKafkaImage,
  newClusterSpec,
  newKraftClusterId,
  validateSpecRequest,
} from '../../src/cluster/spec.ts'
import {parseBootstrapServers} from '../../src/profile/settings.ts'

function rejects(request: Parameters<typeof validateSpecRequest>[0], pattern: RegExp): void {
  assert.throws(() => validateSpecRequest(request), (error: unknown) => error instanceof KclError && error.exitCode === 2 && pattern.test(error.message))
}

describe('cluster spec validation', () => {
  it('takes one of the four security modes, plaintext by default', () => {
    assert.equal(newClusterSpec({}).security, 'plaintext')
    assert.equal(newClusterSpec({security: 'sasl_ssl'}).security, 'sasl_ssl')
    assert.throws(() => validateSpecRequest({security: 'tls' as never}), /--security must be one of plaintext, ssl, sasl_plaintext, sasl_ssl/)
  })

  it('accepts sensible requests', () => {
    validateSpecRequest({name: 'dev-2', brokers: 9, basePort: 19092, image: 'apache/kafka:4.4.0', heap: '1g'})
    validateSpecRequest({image: 'localhost:5000/mirror/kafka:4.4.0'})
    validateSpecRequest({image: `apache/kafka@sha256:${'a'.repeat(64)}`})
  })

  it('rejects bad names, sizes, ports, images and heaps with a usage error', () => {
    rejects({name: 'Dev'}, /not a valid cluster name/)
    rejects({name: '-dev'}, /not a valid cluster name/)
    rejects({name: 'a'.repeat(41)}, /not a valid cluster name/)
    rejects({name: 'dev;rm -rf /'}, /not a valid cluster name/)
    rejects({brokers: 0}, /--brokers must be/)
    rejects({brokers: 10}, /--brokers must be/)
    rejects({brokers: 1.5}, /--brokers must be/)
    rejects({basePort: 80}, /--port must be/)
    rejects({basePort: 65535, brokers: 3}, /--port must be a whole number from 1024 to 65533/)
    rejects({image: 'Apache/Kafka'}, /not a Docker image reference/)
    rejects({image: 'kafka:4 --privileged'}, /not a Docker image reference/)
    rejects({heap: '512'}, /--heap must be/)
  })

  it('takes the image from KCL_KAFKA_IMAGE unless --image is given, and checks it too', () => {
    assert.equal(newClusterSpec({}, {}).image, DEFAULT_IMAGE)
    assert.equal(newClusterSpec({}, {KCL_KAFKA_IMAGE: 'kcl-test/kafka:4.4.0'}).image, 'kcl-test/kafka:4.4.0')
    assert.equal(newClusterSpec({image: 'a/b:1'}, {KCL_KAFKA_IMAGE: 'kcl-test/kafka:4.4.0'}).image, 'a/b:1')
    assert.throws(() => newClusterSpec({}, {KCL_KAFKA_IMAGE: 'not an image'}), /not a Docker image reference/)
  })

  it('makes KRaft cluster ids the way Kafka does: 22 URL-safe base64 characters', () => {
    const ids = new Set(Array.from({length: 50}, newKraftClusterId))
    assert.equal(ids.size, 50)
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/)
  })

  it('parses bootstrap server lists and rejects malformed ones', () => {
    assert.deepEqual(parseBootstrapServers('localhost:9092, kafka-2:19092,[::1]:9093', '-b'), ['localhost:9092', 'kafka-2:19092', '[::1]:9093'])
    for (const bad of ['', 'localhost', 'localhost:port', 'a b:1', 'host:70000', 'http://x:1']) {
      assert.throws(() => parseBootstrapServers(bad, '-b'), (error: unknown) => error instanceof KclError && error.exitCode === 2)
    }
  })
})

describe('--kafka-version', () => {
  it('picks apache/kafka:VERSION, or the repository in KCL_KAFKA_REPOSITORY', () => {
    assert.equal(kafkaVersionImage(KAFKA_VERSION, {}), `apache/kafka:${KAFKA_VERSION}`)
    assert.equal(kafkaVersionImage(OLDEST_KAFKA_VERSION, {}), `apache/kafka:${OLDEST_KAFKA_VERSION}`)
    assert.equal(kafkaVersionImage('3.9.1', {KCL_KAFKA_REPOSITORY: 'mirror.example.com:5000/apache/kafka'}), 'mirror.example.com:5000/apache/kafka:3.9.1')
  })

  it('refuses releases older than the templates run, and what is not a release, with a usage error', () => {
    assert.throws(() => kafkaVersionImage('3.6.2', {}), {message: `Kafka 3.6.2 is older than kcl can run: its KRaft templates need Kafka ${OLDEST_KAFKA_VERSION} or newer (the first apache/kafka image).`, exitCode: 2})
    assert.throws(() => kafkaVersionImage('2.8.0', {}), {exitCode: 2})
    for (const bad of ['4', '4.0', 'latest', '4.0.0-rc1', '../4.0.0']) assert.throws(() => kafkaVersionImage(bad, {}), /--kafka-version must be a Kafka release like/)
  })

  it('--native picks apache/kafka-native:VERSION (beside KCL_KAFKA_REPOSITORY), from 3.8.0 on, SASL from 4.4.0 on', () => {
    assert.equal(nativeKafkaImage(KAFKA_VERSION, undefined, {}), `apache/kafka-native:${KAFKA_VERSION}`)
    assert.equal(nativeKafkaImage('3.9.1', 'ssl', {KCL_KAFKA_REPOSITORY: 'mirror.example.com:5000/apache/kafka'}), 'mirror.example.com:5000/apache/kafka-native:3.9.1')
    assert.equal(nativeKafkaImage('4.4.0', 'sasl_ssl', {}), 'apache/kafka-native:4.4.0')
    assert.throws(() => nativeKafkaImage('3.7.0', undefined, {}), {message: 'Kafka 3.7.0 has no native image: apache/kafka-native starts with Kafka 3.8.0.', exitCode: 2})
    assert.throws(() => nativeKafkaImage('4.0.0', 'sasl_plaintext', {}), {message: 'The native image of Kafka 4.0.0 cannot do SASL (--security sasl_plaintext).', exitCode: 2})
  })

  it('compares releases numerically', () => {
    assert.ok(compareKafkaVersions('3.10.0', '3.9.1') > 0)
    assert.ok(compareKafkaVersions('3.7.0', '3.7.0') === 0)
    assert.ok(compareKafkaVersions('3.6.2', OLDEST_KAFKA_VERSION) < 0)
  })
})
