import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// A partition whose only replica's broker is stopped has no leader. On two brokers (node 1 is the only controller,
// so stopping node 2 leaves the cluster running), consumers must not wait for it forever and silently: 30 s, said
// when known at the start, then one line and exit 3.
const HOME = tempKclHome()
const CLUSTER = {name: 'bi-two', port: 26370}
const B = ['-b', `localhost:${CLUSTER.port}`]
const N = ['--name', CLUSTER.name]
const ENV = {KCL_HOME: HOME, OCLIF_COLUMNS: '1000'}

const run = (args: string[]) => kcl(args, {env: ENV, timeoutMs: 180_000})

/** The partitions of the topic led by broker 2. */
let orphans: number[] = []

before(async () => {
  const up = await kcl(['up', ...N, '--brokers', '2', '--port', String(CLUSTER.port)], {env: ENV, timeoutMs: 400_000})
  assert.equal(up.exitCode, 0, String(up.stderr))
  assert.equal((await run(['topic', 'create', 'bi-lost', '--partitions', '4', '--replication-factor', '1', ...B])).exitCode, 0)
  const described = JSON.parse(String((await run(['topic', 'describe', 'bi-lost', '--json', ...B])).stdout)) as {partitions: {partition: number; leader: number}[]}
  orphans = described.partitions.filter((p) => p.leader === 2).map((p) => p.partition)
  assert.ok(orphans.length > 0, 'broker 2 leads a partition')
  assert.equal((await run(['produce', 'bi-lost', '--generate', '100', ...B])).exitCode, 0)
}, {timeout: 420_000})

after(async () => {
  await kcl(['down', ...N, '--volumes', '--yes'], {env: ENV, timeoutMs: 120_000})
})

describe('a partition without a leader', () => {
  it('ends a consumer reading when it lost its leader, and one started on it, each with one line and exit 3', async () => {
    const reading = execa(process.execPath, [join(REPO_ROOT, 'bin', 'kcl.js'), 'consume', 'bi-lost', ...B], {reject: false, env: {...ENV, NO_COLOR: '1'}, timeout: 180_000})
    let printed = ''
    reading.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()))
    for (let waited = 0; printed.split('\n').length <= 100 && waited < 600; waited++) await sleep(100)
    assert.equal(printed.split('\n').length, 101, 'the reader has every record')

    const stopped = await run(['broker', 'stop', '2', ...N])
    assert.equal(stopped.exitCode, 0, String(stopped.stderr))
    const started = Date.now()
    const atStart = await run(['consume', 'bi-lost', '--exit-at-end', ...B])
    const tail = await reading
    try {
      for (const [what, result] of [
        ['consume --exit-at-end started on it', atStart],
        ['a consumer that was reading', tail],
      ] as const) {
        const stderr = String(result.stderr)
        assert.equal(result.exitCode, 3, `${what}: ${stderr}`)
        assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, `${what}: no stack trace`)
        assert.equal(stderr.match(/Error: /g)?.length, 1, `${what}: one error\n${stderr}`)
      }
      assert.match(String(atStart.stderr), new RegExp(`^${orphans.map((p) => `bi-lost\\[${p}\\]`).join(', ')} without a leader: waiting up to 30 s for one\n`))
      assert.match(String(atStart.stderr), /Error: A partition of topic "bi-lost" has no leader right now\./)
      assert.match(String(tail.stderr), new RegExp(`Error: Partition bi-lost\\[(${orphans.join('|')})\\] has had no leader for 30 s; kcl stopped waiting for it\\.`))
      assert.ok(Date.now() - started < 150_000, 'both gave up within the bound')
    } finally {
      await run(['broker', 'start', '2', ...N])
    }
  })
})
