import assert from 'node:assert/strict'
import {createServer, type AddressInfo} from 'node:net'
import {describe, it} from 'node:test'
import {Reader, Writer} from '../../src/kafka-client/protocol/primitives.ts'
import {BrokerConnection, ConnectionError} from '../../src/kafka-client/connection.ts'
import {KafkaProtocolError} from '../../src/kafka-client/protocol/error-codes.ts'
import {decodeDescribeQuorumResponse, describeQuorum, encodeDescribeQuorumRequest} from '../../src/kafka-client/probes.ts'

function describeQuorumResponse(errorCode = 0): Buffer {
  const replica = (w: Writer, id: number) => w.int32(id).int32(0).int32(100 + id).noTags() // int64 as two int32s
  const w = new Writer().int16(errorCode).uvarint(2).compactString('__cluster_metadata').uvarint(2)
  w.int32(0).int16(0).int32(2).int32(7).int32(0).int32(123) // partition, error, leader 2, epoch 7, high watermark 123
  w.uvarint(4)
  for (const id of [1, 2, 3]) replica(w, id)
  w.uvarint(2)
  replica(w, 4)
  return w.noTags().noTags().noTags().bytes()
}

describe('Kafka wire protocol', () => {
  it('round-trips varints and compact strings', () => {
    const bytes = new Writer().uvarint(0).uvarint(127).uvarint(128).uvarint(300_000).compactString('héllo').bytes()
    const r = new Reader(bytes)
    assert.deepEqual([r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint(), r.compactString()], [0, 127, 128, 300_000, 'héllo'])
  })

  it('encodes DescribeQuorum for the metadata partition', () => {
    const r = new Reader(encodeDescribeQuorumRequest())
    assert.equal(r.uvarint() - 1, 1)
    assert.equal(r.compactString(), '__cluster_metadata')
    assert.equal(r.uvarint() - 1, 1)
    assert.equal(r.int32(), 0)
  })

  it('decodes the quorum leader, voters and observers', () => {
    const quorum = decodeDescribeQuorumResponse(new Reader(describeQuorumResponse()))
    assert.equal(quorum.leaderId, 2)
    assert.equal(quorum.leaderEpoch, 7)
    assert.equal(quorum.highWatermark, 123n)
    assert.deepEqual(quorum.voters.map((v) => [v.nodeId, v.logEndOffset]), [[1, 101n], [2, 102n], [3, 103n]])
    assert.deepEqual(quorum.observers.map((o) => o.nodeId), [4])
  })

  it('reports Kafka error codes', () => {
    assert.throws(() => decodeDescribeQuorumResponse(new Reader(describeQuorumResponse(35))), (e: unknown) => e instanceof KafkaProtocolError && e.errorCode === 35)
  })

  it('frames a request and reads the flexible response header over a socket', async () => {
    const server = createServer((socket) => {
      socket.once('data', (frame: Buffer) => {
        const request = new Reader(frame.subarray(4))
        assert.equal(request.int16(), 55)
        assert.equal(request.int16(), 0)
        const correlationId = request.int32()
        assert.equal(request.string(), 'kcl')
        const body = Buffer.concat([new Writer().int32(correlationId).noTags().bytes(), describeQuorumResponse()])
        socket.end(Buffer.concat([new Writer().int32(body.length).bytes(), body]))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const quorum = await describeQuorum({host: '127.0.0.1', port: (server.address() as AddressInfo).port})
      assert.equal(quorum.leaderId, 2)
    } finally {
      server.close()
    }
  })

  it('pipelines requests on one connection and reassembles answers split anywhere', async () => {
    // A broker that answers each request with its body back (as bytes), delivered one byte at a time.
    const server = createServer((socket) => {
      let pending = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const frame = pending.subarray(4, 4 + pending.readInt32BE(0))
          pending = pending.subarray(4 + frame.length)
          const request = new Reader(frame)
          request.int16()
          request.int16()
          const correlationId = request.int32()
          const clientId = request.string() ?? ''
          const body = frame.subarray(8 + 2 + Buffer.byteLength(clientId))
          const answer = Buffer.concat([new Writer().int32(8 + body.length).int32(correlationId).int32(body.length).bytes(), body])
          for (const byte of answer) socket.write(Buffer.from([byte]))
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const connection = await BrokerConnection.open({host: '127.0.0.1', port: (server.address() as AddressInfo).port}, 'test', 2000)
    try {
      const answers = await Promise.all(
        ['first', 'second', 'third'].map(async (text) => {
          const reader = await connection.request({apiKey: 18, apiVersion: 0, body: [Buffer.from(text)], timeoutMs: 2000})
          return reader.bytes()?.toString()
        }),
      )
      assert.deepEqual(answers, ['first', 'second', 'third'])
    } finally {
      connection.close()
      server.close()
    }
  })

  it('fails every waiting request when the broker goes away', async () => {
    const server = createServer((socket) => socket.once('data', () => socket.destroy()))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const connection = await BrokerConnection.open({host: '127.0.0.1', port: (server.address() as AddressInfo).port}, 'test', 2000)
    try {
      const requests = [1, 2].map(() => connection.request({apiKey: 18, apiVersion: 0, body: [], timeoutMs: 2000}))
      for (const request of requests) await assert.rejects(request, (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNRESET')
      assert.equal(connection.broken, true)
    } finally {
      server.close()
    }
  })
})

