import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {clusterResources} from '../support/docker.ts'
import {kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// Streams under faults, on one broker of their own: Kafka refusing a batch in the middle of a stream, the broker
// killed (and started again, or not) under a producer, and a group consumer whose output pipe closes. Each test
// compares what kcl printed with what Kafka really holds: the high watermark, the group's committed offsets.
const HOME = tempKclHome()
const CLUSTER = {name: 'bi-faults', port: 26360}
const B = ['-b', `localhost:${CLUSTER.port}`]
const ENV = {KCL_HOME: HOME, OCLIF_COLUMNS: '1000'}
const KCL = join(REPO_ROOT, 'bin', 'kcl.js')

const run = (args: string[], input?: string) => kcl(args, {env: ENV, input, timeoutMs: 120_000})

let container = ''

function producer(topic: string) {
  return execa(process.execPath, [KCL, 'produce', topic, ...B], {reject: false, env: {...ENV, NO_COLOR: '1'}, timeout: 180_000, stdin: 'pipe'})
}

async function createTopic(topic: string): Promise<void> {
  const created = await run(['topic', 'create', topic, ...B])
  assert.equal(created.exitCode, 0, String(created.stderr))
}

/** The partition's high watermark, once the broker answers. */
async function highWatermark(topic: string): Promise<number> {
  const described = await run(['topic', 'describe', topic, '--json', ...B])
  assert.equal(described.exitCode, 0, String(described.stderr))
  return JSON.parse(String(described.stdout)).partitions[0].high as number
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

/** Writes numbered lines into a producer's stdin at about 50,000 a second until `total` or the producer exits. */
async function feed(child: ReturnType<typeof producer>, total: number, prefix: string): Promise<number> {
  let written = 0
  child.stdin!.on('error', () => {})
  while (written < total && child.exitCode === null) {
    const chunk = Array.from({length: 500}, () => `${prefix} ${written++}`).join('\n') + '\n'
    child.stdin!.write(chunk)
    await sleep(10)
  }
  child.stdin!.end()
  return written
}

const brokerAnswers = async (): Promise<boolean> => (await run(['topic', 'list', ...B])).exitCode === 0

before(async () => {
  const up = await kcl(['up', '--name', CLUSTER.name, '--port', String(CLUSTER.port)], {env: ENV, timeoutMs: 400_000})
  assert.equal(up.exitCode, 0, String(up.stderr))
  ;[container] = await clusterResources('container', CLUSTER.name)
  assert.ok(container, 'the broker container')
}, {timeout: 420_000})

after(async () => {
  await kcl(['down', '--name', CLUSTER.name, '--volumes', '--yes'], {env: ENV, timeoutMs: 120_000})
})

describe('produce: after any failure, the count printed is what the topic holds', () => {
  it('Kafka refuses a batch mid-stream: the printed count equals the high watermark', async () => {
    await createTopic('bi-refused')
    const child = producer('bi-refused')
    child.stdin!.write(Array.from({length: 100}, (_, i) => `before ${i}`).join('\n') + '\n')
    await waitFor('the first 100 lines in the topic', async () => (await highWatermark('bi-refused')) === 100)
    // From now on every batch is larger than the topic accepts.
    const altered = await execa('docker', ['exec', container, '/opt/kafka/bin/kafka-configs.sh', '--bootstrap-server', 'kafka-1:19092', '--alter', '--entity-type', 'topics', '--entity-name', 'bi-refused', '--add-config', 'max.message.bytes=10'])
    assert.match(altered.stdout, /Completed updating config/)
    await feed(child, 5000, 'after')
    const result = await child
    assert.notEqual(result.exitCode, 0)
    const [, produced] = /\((\d+) messages? before it (?:was|were) produced/.exec(String(result.stderr)) ?? []
    assert.ok(produced !== undefined, String(result.stderr))
    assert.doesNotMatch(String(result.stderr), /\n\s+at .+:\d+:\d+/, 'no stack trace')
    assert.equal(Number(produced), await highWatermark('bi-refused'), String(result.stderr))
    assert.equal(Number(produced), 100)
  })

  it('the broker is killed and started again mid-stream: exit 0, every line in the topic once', async () => {
    await createTopic('bi-restart')
    const child = producer('bi-restart')
    const writing = feed(child, 300_000, 'restart')
    await waitFor('records arriving', async () => (await highWatermark('bi-restart')) > 20_000)
    await execa('docker', ['kill', container])
    await execa('docker', ['start', container])
    const written = await writing
    const result = await child
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.match(String(result.stderr), new RegExp(`Produced ${written} messages to bi-restart`))
    await waitFor('the broker back', brokerAnswers)
    // Idempotence: the batches sent again after the restart were not written twice.
    assert.equal(await highWatermark('bi-restart'), written)
  })

  it('the broker is killed and stays down: the count printed and the unanswered ones bound what the topic holds', async () => {
    await createTopic('bi-down')
    const child = producer('bi-down')
    const writing = feed(child, 10_000_000, 'down')
    await waitFor('records arriving', async () => (await highWatermark('bi-down')) > 20_000)
    await execa('docker', ['kill', container])
    const result = await child
    await writing
    const stderr = String(result.stderr)
    assert.equal(result.exitCode, 3, stderr)
    assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
    const [, produced, unanswered] = /\((\d+) messages? before it (?:was|were) produced(?:; (\d+) more sent without an answer may or may not be in the topic)?\)/.exec(stderr) ?? []
    assert.ok(produced !== undefined, stderr)
    await execa('docker', ['start', container])
    await waitFor('the broker back', brokerAnswers)
    const high = await highWatermark('bi-down')
    assert.ok(high >= Number(produced) && high <= Number(produced) + Number(unanswered ?? 0), `${high} in the topic; kcl said: ${stderr}`)
  })
})

describe('consume: a group commits only what reached stdout', () => {
  it('`kcl consume --group G | head -n 3` does not commit what head never read', async () => {
    await createTopic('bi-head')
    const produced = await run(['produce', 'bi-head', '--generate', '20000', ...B])
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    const piped = await execa('bash', ['-c', `'${process.execPath}' '${KCL}' consume bi-head --group bi-head-g ${B.join(' ')} | head -n 3; echo "exit \${PIPESTATUS[0]}" >&2`], {env: {...process.env, ...ENV}, reject: false, timeout: 120_000})
    assert.equal(String(piped.stdout).split('\n').length, 3)
    assert.match(String(piped.stderr), /exit 0/, 'a closed pipe ends kcl quietly')
    const described = await run(['group', 'describe', 'bi-head-g', '--json', ...B])
    const committed = (JSON.parse(String(described.stdout)).offsets as {committed: number}[])[0]?.committed ?? -1
    // A write counts only once it went through: at most what fits in a pipe (64 KiB, ~400 of these records) and
    // what head read before it left, never the 20,000 fetched.
    assert.ok(committed < 1000, `committed ${committed}`)
  })
})

describe('names are data', () => {
  it('topics named constructor and __proto__ work with a classic group, whose leader assigns them', async () => {
    for (const topic of ['constructor', '__proto__']) {
      await createTopic(topic)
      assert.equal((await run(['produce', topic, `in ${topic}`, '-H', 'constructor=x', '-H', '__proto__=y', ...B])).exitCode, 0)
      const read = await run(['consume', topic, '--group', `bi-${topic}`, '--group-protocol', 'classic', '--exit-at-end', '--output', 'json', ...B])
      assert.equal(read.exitCode, 0, String(read.stderr))
      const record = JSON.parse(String(read.stdout))
      assert.deepEqual([record.topic, record.value, record.headers], [topic, `in ${topic}`, [['constructor', 'x'], ['__proto__', 'y']]])
    }
  })
})
