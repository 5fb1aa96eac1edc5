import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {poll, retryUntil} from '../../src/poll.ts'

describe('poll', () => {
  it('returns the first answer, asking again after each undefined', async () => {
    const seen: number[] = []
    const answer = await poll(async (n) => (seen.push(n), n === 2 ? 'ready' : undefined), {deadline: performance.now() + 5000, intervalMs: 1, onTimeout: () => 'timed out'})
    assert.equal(answer, 'ready')
    assert.deepEqual(seen, [0, 1, 2])
  })

  it('gives what onTimeout makes of it once the deadline has passed: an error or an answer to settle for', async () => {
    await assert.rejects(
      poll(async () => undefined, {deadline: performance.now() + 20, intervalMs: 5, onTimeout: () => Promise.reject(new Error('never ready'))}),
      /never ready/,
    )
    assert.equal(await poll(async () => undefined, {deadline: performance.now() + 20, intervalMs: 5, onTimeout: () => 'last answer'}), 'last answer')
  })

  it('stops at once when an attempt throws', async () => {
    let attempts = 0
    await assert.rejects(
      poll(async () => {
        attempts++
        throw new Error('broken')
      }, {deadline: performance.now() + 5000, intervalMs: 1, onTimeout: () => 'timed out'}),
      /broken/,
    )
    assert.equal(attempts, 1)
  })

  it('waits as the back-off says between attempts', async () => {
    const waits: number[] = []
    await poll(async (n) => (n === 3 ? true : undefined), {deadline: performance.now() + 5000, intervalMs: (n) => (waits.push(n), 1), onTimeout: () => false})
    assert.deepEqual(waits, [0, 1, 2])
  })
})

describe('retryUntil', () => {
  it('retries while the attempt throws and returns its first result', async () => {
    let attempts = 0
    const value = await retryUntil(performance.now() + 5000, async () => {
      if (++attempts < 3) throw new Error('not yet')
      return 'done'
    }, 1)
    assert.equal(value, 'done')
    assert.equal(attempts, 3)
  })

  it("throws the attempt's last error once the deadline has passed", async () => {
    let attempts = 0
    await assert.rejects(
      retryUntil(performance.now() + 20, async () => {
        throw new Error(`failure ${++attempts}`)
      }, 5),
      (error: Error) => error.message === `failure ${attempts}`,
    )
  })
})
