import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {KafkaClient} from '../../src/kafka/client.ts'
import {parsePosition, resolvePosition} from '../../src/kafka/positions.ts'

describe('positions', () => {
  it('parses every form', () => {
    assert.deepEqual(parsePosition('beginning', '--from', {allowLast: true}), {kind: 'beginning'})
    assert.deepEqual(parsePosition('earliest', '--to', {allowLast: false}), {kind: 'beginning'})
    assert.deepEqual(parsePosition('end', '--from', {allowLast: true}), {kind: 'end'})
    assert.deepEqual(parsePosition('17', '--from', {allowLast: true}), {kind: 'offset', offset: 17})
    assert.deepEqual(parsePosition('-5', '--from', {allowLast: true}), {kind: 'last', count: 5})
    assert.deepEqual(parsePosition('@1700000000000', '--from', {allowLast: true}), {kind: 'timestamp', timestamp: 1700000000000})
    assert.deepEqual(parsePosition('@2024-01-01T00:00:00Z', '--to', {allowLast: false}), {kind: 'timestamp', timestamp: Date.UTC(2024, 0, 1)})
  })
  it('rejects nonsense with the accepted forms', () => {
    assert.throws(() => parsePosition('middle', '--from', {allowLast: true}), /--from "middle" is not a position/)
    assert.throws(() => parsePosition('-5', '--to', {allowLast: false}), /--to "-5" is not a position/)
    assert.throws(() => parsePosition('@yesterday', '--from', {allowLast: true}), /not a timestamp/)
    for (const absurd of ['@99999999999999999999', '@9007199254740993', '@-5', '@ 5', '@1e3', '@10000-01-01', '@275760-09-13', '@2024-13-45', '@']) {
      assert.throws(() => parsePosition(absurd, '--from', {allowLast: true}), /is not a timestamp from 1970 to 9999/, absurd)
    }
    assert.deepEqual(parsePosition('@9999-12-31', '--from', {allowLast: true}), {kind: 'timestamp', timestamp: Date.UTC(9999, 11, 31)})
    assert.deepEqual(parsePosition('@2024-05-01 12:00', '--from', {allowLast: true}), {kind: 'timestamp', timestamp: Date.parse('2024-05-01 12:00')})
  })
  it('resolves per partition, clamped to the log', async () => {
    const client = {
      topicOffsets: async () => [
        {partition: 0, low: 10, high: 20},
        {partition: 1, low: 0, high: 3},
      ],
      offsetsForTimestamp: async () => [
        {partition: 0, offset: 15},
        {partition: 1, offset: -1},
      ],
    } as unknown as KafkaClient
    const at = async (text: string) => Object.fromEntries(await resolvePosition(client, 't', parsePosition(text, '--from', {allowLast: true})))
    assert.deepEqual(await at('beginning'), {0: 10, 1: 0})
    assert.deepEqual(await at('end'), {0: 20, 1: 3})
    assert.deepEqual(await at('5'), {0: 10, 1: 3})
    assert.deepEqual(await at('-5'), {0: 15, 1: 0})
    assert.deepEqual(await at('@1'), {0: 15, 1: 3})
  })
})
