import assert from 'node:assert/strict'
import {Readable} from 'node:stream'
import {describe, it} from 'node:test'
import type {ConsumedRecord} from '../../src/kafka/client.ts'
import {compileFormat, encodeBytes, formatText, parseHeader, parseJsonRecord, readLines, toJsonRecord, valueLines} from '../../src/kafka/records.ts'

const record = (overrides: Partial<ConsumedRecord> = {}): ConsumedRecord => ({
  topic: 'Delivery',
  partition: 1,
  offset: 42,
  timestamp: 1700000000000,
  key: Buffer.from('k1'),
  value: Buffer.from('hello'),
  headers: [],
  ...overrides,
})

describe('JSON record lines', () => {
  it('writes text as strings and binary as marked base64', () => {
    assert.equal(encodeBytes(Buffer.from('héllo')), 'héllo')
    assert.deepEqual(encodeBytes(Buffer.from([0xff, 0x00, 0xfe])), {base64: '/wD+'})
    assert.equal(encodeBytes(null), null)
  })

  it('has the lowercase keys topic, partition, offset, timestamp, key, value, headers', () => {
    const json = toJsonRecord(record({headers: [['source', Buffer.from('kcl')]]}))
    assert.deepEqual(Object.keys(json), ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'])
    assert.deepEqual(json.headers, [['source', 'kcl']])
  })

  it('round-trips keys, values and repeated binary headers', () => {
    const original = record({
      key: Buffer.from([0x80, 0x81]),
      value: Buffer.from([0, 1, 2, 255]),
      headers: [
        ['a', Buffer.from('1')],
        ['a', Buffer.from([0xc3])],
        ['b', Buffer.from('')],
      ],
    })
    const line = JSON.stringify(toJsonRecord(original))
    const back = parseJsonRecord(line, 1)
    assert.deepEqual(back.key, original.key)
    assert.deepEqual(back.value, original.value)
    assert.deepEqual(back.headers, original.headers)
  })

  it('treats header names as data: constructor, __proto__ and interleaved repeats survive an exact round trip', () => {
    const headers: [string, Buffer][] = [['constructor', Buffer.from('x')], ['__proto__', Buffer.from('p')], ['toString', Buffer.from('t')], ['constructor', Buffer.from('y')], ['', Buffer.from('')]]
    const line = JSON.stringify(toJsonRecord(record({headers})))
    assert.ok(line.includes('"headers":[["constructor","x"],["__proto__","p"],["toString","t"],["constructor","y"],["",""]]'), line)
    const back = parseJsonRecord(line, 1)
    assert.deepEqual(back.headers, headers)
    assert.equal(JSON.stringify(toJsonRecord(record({headers: back.headers}))), line)
  })

  it("reads rpk's {key, value} headers and the older object of names", () => {
    const rpk = parseJsonRecord('{"value":"v","headers":[{"key":"a","value":"1"},{"key":"constructor","value":null}]}', 1)
    assert.deepEqual(rpk.headers, [['a', Buffer.from('1')], ['constructor', Buffer.alloc(0)]])
    const older = parseJsonRecord('{"value":"v","headers":{"__proto__":"p","a":["1","2"]}}', 1)
    assert.deepEqual(older.headers, [['__proto__', Buffer.from('p')], ['a', Buffer.from('1')], ['a', Buffer.from('2')]])
  })

  it('keeps null keys and tombstones', () => {
    const back = parseJsonRecord('{"key":null,"value":null}', 3)
    assert.equal(back.key, null)
    assert.equal(back.value, null)
  })

  it('names the line of malformed input', () => {
    assert.throws(() => parseJsonRecord('{"value": ', 7), /Line 7 is not valid JSON/)
    assert.throws(() => parseJsonRecord('[1]', 2), /Line 2 is not a JSON object/)
    assert.throws(() => parseJsonRecord('{"key":"k"}', 4), /Line 4 has no "value"/)
    assert.throws(() => parseJsonRecord('{"value":42}', 5), /Line 5: "value" must be/)
    assert.throws(() => parseJsonRecord('{"value":"v","headers":[1]}', 6), /Line 6: each header must be a \[name, value\] pair/)
    assert.throws(() => parseJsonRecord('{"value":"v","headers":"h"}', 6), /Line 6: "headers" must be a list/)
    assert.throws(() => parseJsonRecord('{"value":"v","headers":[[1,"v"]]}', 6), /Line 6: a header name must be a string/)
  })
})

describe('--header', () => {
  it('splits at the first =', () => {
    assert.deepEqual(parseHeader('a=b=c'), ['a', Buffer.from('b=c')])
    assert.deepEqual(parseHeader('empty='), ['empty', Buffer.alloc(0)])
  })
  it('rejects headers without a key or =', () => {
    assert.throws(() => parseHeader('novalue'), /not key=value/)
    assert.throws(() => parseHeader('=v'), /not key=value/)
  })
})

describe('text output', () => {
  it('prints values, binary ones marked, tombstones as (null)', () => {
    assert.equal(formatText(record()), 'hello\n')
    assert.equal(formatText(record({value: Buffer.from([0xff])})), 'base64:/w==\n')
    assert.equal(formatText(record({value: null})), '(null)\n')
  })

  it('writes many records as one buffer, as the renderer writes each (raw and text)', () => {
    const records = [record(), record({value: Buffer.from([0xff, 0x00])}), record({value: null}), record({value: Buffer.alloc(0)}), record({value: Buffer.from('é ✓')})]
    assert.equal(valueLines(records, 'text').toString('utf8'), records.map(formatText).join(''))
    assert.deepEqual(valueLines(records, 'raw'), Buffer.concat(records.flatMap((r) => [r.value ?? Buffer.alloc(0), Buffer.from('\n')])))
  })

  it('fills --format templates and ends each record with a newline', () => {
    const format = compileFormat('%t[%p]@%o %k=%v %T %h 100%%')
    assert.equal(format(record({headers: [['h', Buffer.from('v')]]})), 'Delivery[1]@42 k1=hello 1700000000000 h=v 100%\n')
    assert.equal(compileFormat('%s\\t%k\\n')(record()), 'hello\tk1\n')
  })

  it('rejects unknown fields', () => {
    assert.throws(() => compileFormat('%x'), /unknown field "%x"/)
  })
})

describe('line splitting', () => {
  it('splits across chunks, numbers lines and keeps bytes as they are', async () => {
    const lines: string[] = []
    const chunks = [Buffer.from('ab\ncd'), Buffer.from('e'), Buffer.from('f\n\n'), Buffer.from([0xff, 0x0a, 0x67])]
    await readLines(Readable.from(chunks), (source, start, end, lineNumber) => {
      lines.push(`${lineNumber}:${source.subarray(start, end).toString('hex')}`)
      return undefined
    })
    assert.deepEqual(lines, ['1:6162', '2:63646566', '3:', '4:ff', '5:67'])
  })

  it('waits for a returned promise before the next line', async () => {
    const seen: string[] = []
    await readLines(Readable.from([Buffer.from('a\nb\n')]), (source, start, end) => {
      const line = source.subarray(start, end).toString()
      seen.push(`start ${line}`)
      return new Promise((resolve) => setTimeout(() => resolve(void seen.push(`end ${line}`)), 5))
    })
    assert.deepEqual(seen, ['start a', 'end a', 'start b', 'end b'])
  })
})
