import assert from 'node:assert/strict'
import {connect as connectTcp, type AddressInfo, type Socket} from 'node:net'
import {describe, it} from 'node:test'
import {createServer as createTlsServer} from 'node:tls'
import {createCertificateAuthority, issueCertificate} from '../../src/cluster/certificates.ts'
import {KclError} from '../../src/errors.ts'
import {BrokerConnection, ConnectionError, ProtocolViolation, UnsupportedApi} from '../../src/kafka-client/connection.ts'
import {KafkaProtocolError} from '../../src/kafka-client/protocol/error-codes.ts'
import {ApiVersions, ConsumerGroupHeartbeat, DescribeQuorum, Metadata} from '../../src/kafka-client/protocol/messages/index.ts'
import {MalformedMessage, Reader, Writer} from '../../src/kafka-client/protocol/primitives.ts'
import {describeQuorum} from '../../src/kafka-client/probes.ts'
import {startFakeBroker, startRawServer} from '../support/fake-broker.ts'

const options = {clientId: 'test', connectTimeoutMs: 2000}
const local = (port: number) => ({host: '127.0.0.1', port})

const quorumAnswer = (errorCode = 0) => ({
  errorCode,
  topics: [
    {
      topicName: '__cluster_metadata',
      partitions: [
        {
          partitionIndex: 0,
          errorCode: 0,
          leaderId: 2,
          leaderEpoch: 7,
          highWatermark: 123n,
          currentVoters: [1, 2, 3].map((replicaId) => ({replicaId, logEndOffset: BigInt(100 + replicaId)})),
          observers: [{replicaId: 4, logEndOffset: 0n}],
        },
      ],
    },
  ],
})

describe('Kafka wire primitives', () => {
  it('round-trips every type, compact and classic', () => {
    const w = new Writer(4)
    w.bool(true).int8(-3).int16(-300).uint16(65000).int32(-70000).uint32(4_000_000_000).int64(-(2n ** 60n)).float64(1.5)
    w.uuid('AAECAwQFBgcICQoLDA0ODw').uvarint(0).uvarint(300_000).compactString('héllo').string(null).compactBytes(Buffer.alloc(5000, 7)).bytes(null)
    const r = new Reader(w.toBuffer())
    assert.deepEqual(
      [r.bool(), r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.float64(), r.uuid(), r.uvarint(), r.uvarint(), r.compactString(), r.nullableString()],
      [true, -3, -300, 65000, -70000, 4_000_000_000, -(2n ** 60n), 1.5, 'AAECAwQFBgcICQoLDA0ODw', 0, 300_000, 'héllo', null],
    )
    assert.deepEqual(r.compactBytes(), Buffer.alloc(5000, 7))
    assert.equal(r.nullableBytes(), null)
    assert.equal(r.remaining, 0)
  })

  it('refuses lengths and counts the bytes cannot hold, without allocating them', () => {
    const cases: [string, Buffer, (r: Reader) => unknown][] = [
      ['a truncated int32', Buffer.from([0, 0, 1]), (r) => r.int32()],
      ['a string longer than the message', new Writer().int16(100).toBuffer(), (r) => r.string()],
      ['a negative string length', new Writer().int16(-5).toBuffer(), (r) => r.nullableString()],
      ['bytes of 2 GiB', new Writer().int32(0x7fffffff).toBuffer(), (r) => r.bytes()],
      ['an array of a billion items', new Writer().int32(1_000_000_000).toBuffer(), (r) => r.array(() => r.int32())],
      ['a compact array of 4 billion', new Writer().uvarint(0xffffffff).toBuffer(), (r) => r.compactArray(() => r.int8())],
      ['a varint that never ends', Buffer.alloc(10, 0xff), (r) => r.uvarint()],
      ['a null where a string must be', new Writer().uvarint(0).toBuffer(), (r) => r.compactString()],
      ['a tagged field past the end', new Writer().uvarint(1).uvarint(0).uvarint(50).toBuffer(), (r) => r.skipTaggedFields()],
    ]
    for (const [what, bytes, read] of cases) assert.throws(() => read(new Reader(bytes)), MalformedMessage, what)
  })

  it('keeps a tagged field from reading past its size', () => {
    const bytes = new Writer().uvarint(1).uvarint(0).uvarint(2).int16(5).int32(9).toBuffer()
    const r = new Reader(bytes)
    r.taggedFields(() => assert.throws(() => r.int32(), MalformedMessage))
    assert.equal(r.int32(), 9)
  })
})

describe('Kafka connections', () => {
  it('asks ApiVersions first and uses the newest version both sides know', async () => {
    const broker = await startFakeBroker()
    broker.versions.set(Metadata.key, [0, 10])
    broker.on(Metadata, () => ({brokers: [], topics: []}))
    const connection = await BrokerConnection.open(local(broker.port), options)
    try {
      await connection.request(Metadata, {topics: [], includeTopicAuthorizedOperations: false}, 2000)
      assert.deepEqual(broker.received.map((r) => `${r.api} v${r.version}`), [`ApiVersions v${ApiVersions.maxVersion}`, 'Metadata v10'])
      assert.equal(connection.supports(ConsumerGroupHeartbeat), false)
      assert.throws(() => connection.version(ConsumerGroupHeartbeat), UnsupportedApi)
    } finally {
      connection.close()
      await broker.close()
    }
  })

  it('speaks TLS when asked, trusting the CA it is given, with an answer of megabytes in many reads', async () => {
    const broker = await startFakeBroker()
    const ca = await createCertificateAuthority('kcl test CA')
    const issued = await issueCertificate(ca, {commonName: 'broker', hosts: ['127.0.0.1']})
    // A TLS listener in front of the fake broker, as a broker's SSL listener would be.
    const front = createTlsServer({cert: issued.cert, key: issued.key}, (tls) => {
      const plain = connectTcp(broker.port, '127.0.0.1')
      tls.pipe(plain).pipe(tls)
      tls.on('error', () => plain.destroy())
      plain.on('error', () => tls.destroy())
    })
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    const name = 'x'.repeat(3 * 1024 * 1024)
    broker.on(Metadata, () => ({brokers: [], topics: [{errorCode: 0, name, isInternal: false, partitions: []}]}))
    const connection = await BrokerConnection.open(local((front.address() as AddressInfo).port), {...options, security: {tls: {ca: ca.cert}}})
    try {
      const answer = await connection.request(Metadata, {topics: [], includeTopicAuthorizedOperations: false}, 5000)
      assert.equal(answer.topics[0]?.name, name)
    } finally {
      connection.close()
      front.close()
      await broker.close()
    }
  })

  it('asks again in an older ApiVersions when the broker does not know the newest', async () => {
    const broker = await startFakeBroker()
    broker.versions.set(ApiVersions.key, [0, 2])
    const connection = await BrokerConnection.open(local(broker.port), options)
    try {
      assert.deepEqual(broker.received.map((r) => r.version), [ApiVersions.maxVersion, 2])
    } finally {
      connection.close()
      await broker.close()
    }
  })

  it('reads the quorum leader, voters and observers, and DescribeQuorum errors', async () => {
    const broker = await startFakeBroker()
    let errorCode = 0
    broker.on(DescribeQuorum, (request) => {
      assert.equal(request.topics[0]?.topicName, '__cluster_metadata')
      return quorumAnswer(errorCode)
    })
    try {
      const quorum = await describeQuorum(local(broker.port))
      assert.deepEqual([quorum.leaderId, quorum.leaderEpoch, quorum.highWatermark], [2, 7, 123n])
      assert.deepEqual(quorum.voters.map((v) => [v.nodeId, v.logEndOffset]), [[1, 101n], [2, 102n], [3, 103n]])
      assert.deepEqual(quorum.observers.map((o) => o.nodeId), [4])
      errorCode = 35
      await assert.rejects(describeQuorum(local(broker.port)), (e: unknown) => e instanceof KafkaProtocolError && e.errorCode === 35)
    } finally {
      await broker.close()
    }
  })

  it('pipelines requests on one connection and matches each answer to its request', async () => {
    const broker = await startFakeBroker()
    let answered = 0
    broker.on(Metadata, async (request) => {
      // The first answer takes longest: later ones wait behind it, as on a real broker.
      await new Promise((resolve) => setTimeout(resolve, 30 - 10 * answered++))
      return {brokers: [], clusterId: request.topics?.[0]?.name ?? null, topics: []}
    })
    const connection = await BrokerConnection.open(local(broker.port), options)
    try {
      const answers = await Promise.all(['first', 'second', 'third'].map((name) => connection.request(Metadata, {topics: [{name}], includeTopicAuthorizedOperations: false}, 2000)))
      assert.deepEqual(answers.map((a) => a.clusterId), ['first', 'second', 'third'])
    } finally {
      connection.close()
      await broker.close()
    }
  })

  // A reset (RST) instead of a close makes Node report "read ECONNRESET"; to a user both are a hang-up.
  for (const [how, hangUp] of [['closes', (s: Socket) => s.destroy()], ['resets', (s: Socket) => s.resetAndDestroy()]] as const) {
    it(`says a server that ${how} the connection before answering hung up`, async () => {
      const server = await startRawServer((s) => s.once('data', () => hangUp(s)))
      try {
        const expected = (e: unknown) => e instanceof ConnectionError && /^127\.0\.0\.1:\d+: closed the connection before answering/.test(e.message)
        await assert.rejects(BrokerConnection.open(local(server.port), options), expected)
      } finally {
        await server.close()
      }
    })
  }

  it('fails every waiting request when the broker goes away', async () => {
    const broker = await startFakeBroker()
    broker.on(Metadata, (_request, {socket}) => void socket.destroy())
    const connection = await BrokerConnection.open(local(broker.port), options)
    try {
      const requests = [1, 2].map(() => connection.request(Metadata, {topics: [], includeTopicAuthorizedOperations: false}, 2000))
      for (const request of requests) await assert.rejects(request, (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNRESET')
      assert.equal(connection.broken, true)
    } finally {
      await broker.close()
    }
  })
})

describe('what is not a Kafka broker gets one clear error, at once', () => {
  /** A frame with a size prefix, as a broker would send it. */
  const framed = (body: Buffer) => Buffer.concat([new Writer().int32(body.length).toBuffer(), body])
  const servers: [string, (socket: import('node:net').Socket) => void, RegExp][] = [
    ['an HTTP server', (s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')), /is not a Kafka broker \(it answered with HTTP\)/],
    ['an SSH daemon', (s) => s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'), /is not a Kafka broker \(an SSH server answered\)/],
    ['a TLS listener', (s) => s.once('data', () => s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32]))), /speaks TLS, and kcl connected without it/],
    ['a frame size of 0', (s) => s.once('data', () => s.write(Buffer.alloc(4))), /is not a Kafka broker/],
    ['a negative frame size', (s) => s.once('data', () => s.write(new Writer().int32(-8).toBuffer())), /is not a Kafka broker/],
    ['a frame of 2 GiB', (s) => s.once('data', () => s.write(new Writer().int32(0x7fffffff).toBuffer())), /is not a Kafka broker/],
    ['garbage', (s) => s.once('data', () => s.write(Buffer.from([0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))), /is not a Kafka broker/],
    ['a truncated answer', (s) => s.once('data', (d: Buffer) => s.write(framed(Buffer.concat([d.subarray(8, 12), Buffer.from([0, 0, 0])])))), /is not a Kafka broker/],
  ]
  for (const [what, serve, message] of servers) {
    it(`on ${what}`, async () => {
      const server = await startRawServer(serve)
      try {
        // A TLS listener is a security mismatch the user fixes with --tls: kcl's KclError says so (secure.ts).
        const expected = (e: unknown) => (e instanceof ProtocolViolation || e instanceof KclError) && message.test(e.message) && e.message.startsWith(server.address)
        await assert.rejects(BrokerConnection.open(local(server.port), options), expected)
      } finally {
        await server.close()
      }
    })
  }

  it('on an answer to the wrong request', async () => {
    const broker = await startFakeBroker()
    broker.on(Metadata, (_request, {socket}) => {
      const body = new Writer().int32(999).uvarint(0).toBuffer()
      socket.write(framed(body))
      return undefined
    })
    const connection = await BrokerConnection.open(local(broker.port), options)
    try {
      await assert.rejects(connection.request(Metadata, {topics: [], includeTopicAuthorizedOperations: false}, 2000), /answered request \d+ with the answer to 999/)
    } finally {
      connection.close()
      await broker.close()
    }
  })
})
