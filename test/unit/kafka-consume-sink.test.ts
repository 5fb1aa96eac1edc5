import assert from 'node:assert/strict'
import {Writable} from 'node:stream'
import {describe, it} from 'node:test'
import {streamSink} from '../../src/kafka/consume.ts'

// consume's output: a chunk counts as printed (and a group commits it) only once its write went through.
describe('the stdout sink', () => {
  it('hands on what was written, and not what a closed pipe refused', async () => {
    let writes = 0
    const pipe = new Writable({
      write(_chunk, _encoding, done) {
        // The reader (head -n 3) goes away after the first chunk: the next write fails with EPIPE, later, as an
        // asynchronous pipe or socket reports it (write() itself still said the chunk was buffered).
        if (++writes === 1) return done()
        setImmediate(() => done(Object.assign(new Error('write EPIPE'), {code: 'EPIPE'})))
      },
    })
    const sink = streamSink(pipe)
    assert.equal(await sink.write('printed\n'), true)
    assert.equal(await sink.write('never read\n'), false)
    await sink.closed
    assert.equal(await sink.write('after\n'), false)
  })

  it('waits for a slow reader: a chunk counts once the stream took it', async () => {
    let release: () => void = () => {}
    const slow = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        release = done
      },
    })
    const sink = streamSink(slow)
    let handed: boolean | undefined
    const writing = sink.write('x'.repeat(100)).then((ok) => (handed = ok))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(handed, undefined, 'not counted before the reader took it')
    release()
    await writing
    assert.equal(handed, true)
  })
})
