import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {encodeRecordBatch} from '../../src/kafka-client/protocol/record-batch.ts'

// kcl's record-batch encoder checked by a decoder kcl did not write: python3-kafka's DefaultRecordBatch (installed by
// the test environment), which checks the CRC-32C and reads every field. It decodes none and gzip (its snappy, lz4
// and zstd need Python packages Debian does not ship with it); Kafka, kcat and Java read all five in kafka-layer and
// work-with-cluster. No Docker, no Kafka.
const DECODE = `
import json, sys
from kafka.record.default_records import DefaultRecordBatch
out = []
for line in sys.stdin:
    batch = DefaultRecordBatch(bytearray(bytes.fromhex(line.strip())))
    text = lambda b: None if b is None else bytes(b).decode('utf8')
    out.append({'crc': batch.validate_crc(), 'codec': batch.compression_type,
                'records': [{'offset': r.offset, 'timestamp': r.timestamp, 'key': text(r.key), 'value': text(r.value),
                             'headers': [[k, text(v)] for k, v in r.headers]} for r in batch]})
print(json.dumps(out))
`

describe('record batches kcl writes, read by python3-kafka', () => {
  it('checks every CRC and reads offsets, timestamps, keys, null values and repeated headers, uncompressed and gzip', async () => {
    const records = [
      {key: Buffer.from('k1'), value: Buffer.from('first'), headers: [['h', Buffer.from('a')], ['h', Buffer.from('b')]] as [string, Buffer][]},
      {key: null, value: null, headers: []},
      {key: null, value: Buffer.from('é ✓ '.repeat(50)), headers: [['only', Buffer.from('')]] as [string, Buffer][]},
    ]
    const batches: Buffer[] = []
    for (const compression of ['none', 'gzip'] as const) {
      batches.push(await encodeRecordBatch(records, {timestamp: 1_700_000_000_123, compression, producer: {producerId: 42n, producerEpoch: 0, baseSequence: 7}}))
    }
    const decoded = await execa('/usr/bin/python3', ['-c', DECODE], {input: batches.map((b) => b.toString('hex')).join('\n'), timeout: 30_000})
    const expected = records.map((r, offset) => ({
      offset,
      timestamp: 1_700_000_000_123,
      key: r.key?.toString('utf8') ?? null,
      value: r.value?.toString('utf8') ?? null,
      headers: r.headers.map(([k, v]) => [k, v.toString('utf8')]),
    }))
    const read = JSON.parse(decoded.stdout) as {crc: boolean; codec: number; records: unknown[]}[]
    assert.deepEqual(
      read.map((b) => ({crc: b.crc, codec: b.codec, records: b.records})),
      [
        {crc: true, codec: 0, records: expected},
        {crc: true, codec: 1, records: expected},
      ],
    )
  })
})
