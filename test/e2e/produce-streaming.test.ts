import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {join} from 'node:path'
import {execa} from 'execa'
import {kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// `kcl produce` as a stream, on one shared broker: lines sent while the input stays open, interrupted by
// signals (a terminal's Ctrl-C, SIGTERM of a pipe), killed with -9 in the middle of a large stream, and
// refused input; each test counts what really is in its own topic, with kcat and ListOffsets.
const HOME = tempKclHome()
const CLUSTER = {name: 'perf-stream', port: 26780}
const BOOTSTRAP = `localhost:${CLUSTER.port}`
const B = ['-b', BOOTSTRAP]
const ENV = {KCL_HOME: HOME}
const KCL = [join(REPO_ROOT, 'bin', 'kcl.js')]

const run = (args: string[], input?: string) => kcl(args, {env: ENV, input, timeoutMs: 120_000})

/** `kcl produce` with its stdin kept open as a pipe, stderr collected as it comes. */
function producer(topic: string, ...flags: string[]) {
  const child = execa(process.execPath, [...KCL, 'produce', topic, ...B, ...flags], {
    reject: false,
    env: {...ENV, NO_COLOR: '1'},
    timeout: 120_000,
    stdin: 'pipe',
  })
  return child
}

async function createTopic(topic: string, ...flags: string[]): Promise<void> {
  const created = await run(['topic', 'create', topic, ...flags, ...B])
  assert.equal(created.exitCode, 0, String(created.stderr))
}

/** The values in the topic, read by kcat (a client kcl did not write) up to its end. */
async function values(topic: string): Promise<string[]> {
  const read = await execa('kcat', ['-C', '-b', BOOTSTRAP, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], {timeout: 60_000})
  return read.stdout === '' ? [] : read.stdout.split('\n')
}

/** The partition's high watermark (ListOffsets, through kcl). */
async function highWatermark(topic: string): Promise<number> {
  const described = await run(['topic', 'describe', topic, '--json', ...B])
  return JSON.parse(String(described.stdout)).partitions[0].high as number
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(200)
  }
}

before(async () => {
  const up = await kcl(['up', '--name', CLUSTER.name, '--port', String(CLUSTER.port)], {env: ENV, timeoutMs: 400_000})
  assert.equal(up.exitCode, 0, String(up.stderr))
}, {timeout: 420_000})

after(async () => {
  await kcl(['down', '--name', CLUSTER.name, '--volumes', '--yes'], {env: ENV})
})

describe('kcl produce as a stream', () => {
  it('sends each line of a pipe that pauses while the pipe is still open', async () => {
    await createTopic('stream-paused')
    const child = producer('stream-paused')
    child.stdin!.write('first\n')
    await waitFor('"first" in the topic while the pipe is open', async () => (await values('stream-paused')).includes('first'))
    assert.equal(child.exitCode, null, 'kcl is still reading')
    child.stdin!.write('second\n')
    await waitFor('"second" in the topic while the pipe is open', async () => (await values('stream-paused')).includes('second'))
    child.stdin!.end()
    const result = await child
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.match(String(result.stderr), /Produced 2 messages to stream-paused/)
    assert.deepEqual(await values('stream-paused'), ['first', 'second'])
  })

  it('Ctrl-C in a terminal: sends what was typed, reports it and exits 130', async () => {
    await createTopic('stream-tty')
    // script(1) gives kcl a terminal; what is written to script's stdin is typed into it, \x03 is Ctrl-C.
    const command = ['exec', process.execPath, ...KCL, 'produce', 'stream-tty', ...B].map((word) => `'${word}'`).join(' ')
    const terminal = execa('script', ['-qefc', command, '/dev/null'], {reject: false, env: {...ENV, NO_COLOR: '1'}, timeout: 120_000, stdin: 'pipe'})
    terminal.stdin!.write('typed one\n')
    terminal.stdin!.write('typed two\n')
    await waitFor('both typed lines in the topic', async () => (await values('stream-tty')).length === 2)
    terminal.stdin!.write('\x03')
    const result = await terminal
    assert.equal(result.exitCode, 130, String(result.stdout))
    assert.match(String(result.stdout), /Interrupted \(SIGINT\): 2 acknowledged, 0 not sent; topic stream-tty\./)
    assert.doesNotMatch(String(result.stdout), /\n\s+at .+:\d+:\d+/, 'no stack trace')
    assert.deepEqual(await values('stream-tty'), ['typed one', 'typed two'])
  })

  it('SIGTERM of a pipe kept open: what it acknowledged is what the topic holds, exit 143', async () => {
    await createTopic('stream-sigterm')
    const child = producer('stream-sigterm')
    const lines = Array.from({length: 5000}, (_, i) => `term ${i}`)
    child.stdin!.write(`${lines.join('\n')}\nunfinished`)
    await waitFor('the lines in the topic', async () => (await highWatermark('stream-sigterm')) === lines.length)
    child.kill('SIGTERM')
    const result = await child
    assert.equal(result.exitCode, 143, String(result.stderr))
    const [, acknowledged, notSent] = /Interrupted \(SIGTERM\): (\d+) acknowledged, (\d+) not sent/.exec(String(result.stderr)) ?? []
    assert.deepEqual([Number(acknowledged), Number(notSent)], [lines.length, 1], String(result.stderr))
    assert.deepEqual(await values('stream-sigterm'), lines)
  })

  it('kill -9 in the middle of a large stream: the topic holds a prefix of the input, each line once', async () => {
    await createTopic('stream-kill')
    const child = producer('stream-kill')
    // Keep writing until the kill: more lines than kcl can send before it.
    let written = 0
    child.stdin!.on('error', () => {}) // the pipe breaks at the kill
    const exited = child.then(() => {})
    const writing = (async () => {
      while (child.exitCode === null && child.signalCode === null && written < 20_000_000) {
        const chunk = Array.from({length: 10_000}, () => `kill ${String(written++).padStart(9, '0')}`).join('\n') + '\n'
        if (!child.stdin!.write(chunk)) await Promise.race([new Promise((resolve) => child.stdin!.once('drain', resolve)), exited])
      }
    })()
    await waitFor('records arriving', async () => (await highWatermark('stream-kill')) > 100_000)
    child.kill('SIGKILL')
    await child
    await writing
    const got = await values('stream-kill')
    const high = await highWatermark('stream-kill')
    assert.ok(high > 100_000 && high < written, `${high} records of ${written} written`)
    assert.equal(got.length, high)
    // Idempotent and in order: line i at offset i, no duplicate, no gap.
    got.forEach((value, i) => {
      if (value !== `kill ${String(i).padStart(9, '0')}`) assert.fail(`offset ${i} holds "${value}"`)
    })
  })

  it('refuses a line without a newline once it outgrows max.message.bytes; the count it prints is in the topic', async () => {
    await createTopic('stream-endless', '--config', 'max.message.bytes=20000')
    const child = producer('stream-endless')
    child.stdin!.write('before 1\nbefore 2\nbefore 3\n')
    child.stdin!.on('error', () => {}) // kcl stops reading: writes after that fail
    for (let i = 0; i < 100; i++) child.stdin!.write('x'.repeat(10_000))
    const result = await child
    const stderr = String(result.stderr).replace(/\s*\n ›\s+/g, ' ') // oclif wraps the error at 80 columns
    assert.equal(result.exitCode, 2, stderr)
    assert.match(stderr, /Line 4 is already over \d+ bytes; topic "stream-endless" accepts at most 20000 \(max\.message\.bytes\); the 3 messages before it were produced\./)
    assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
    assert.equal(await highWatermark('stream-endless'), 3)
  })
})
