import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {kcl, tempKclHome} from '../support/kcl.ts'

// kcl's own Kafka client against clients it did not write, on one real broker: records written with every codec
// by Kafka's Java client and by kcat, read by kcl without a group and in groups of both protocols; records kcl
// wrote with every codec, read by the Java client; a classic group shared by kcl and Java's console consumer;
// header names that are JavaScript's own words.
const ENV = {KCL_HOME: tempKclHome()}
const NAME = 'k-e2e'
const PORT = 26020
const B = ['-b', `localhost:${PORT}`]
const CONTAINER = `kcl-${NAME}-kafka-1-1`
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

const run = (args: string[], input?: string) => kcl(args, {env: ENV, input, timeoutMs: 180_000})

/** One of Kafka's tools inside the broker's container, against its in-Docker listener. */
function tool(script: string, args: string[], options: {input?: string; timeoutMs?: number} = {}) {
  return execa('docker', ['exec', '-i', CONTAINER, `/opt/kafka/bin/${script}`, '--bootstrap-server', 'kafka-1:19092', ...args], {
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    reject: false,
  })
}

before(async () => {
  const up = await run(['up', '--name', NAME, '--port', String(PORT)])
  assert.equal(up.exitCode, 0, String(up.stderr))
}, {timeout: 420_000})

after(async () => {
  await run(['down', '--name', NAME, '--volumes', '--yes'])
})

describe('every codec, written by clients kcl did not write, read by kcl with and without a group', () => {
  const expected: string[] = []

  before(async () => {
    assert.equal((await run(['topic', 'create', 'codecs', '--partitions', '2', ...B])).exitCode, 0)
    for (const codec of CODECS) {
      // Enough repetition that each codec really compresses (back-references, not only literals).
      const java = [1, 2, 3].map((n) => `java ${codec} ${n} ${'drizzle '.repeat(25)}`)
      const written = await tool('kafka-console-producer.sh', ['--topic', 'codecs', '--producer-property', `compression.type=${codec}`, '--producer-property', 'linger.ms=50'], {input: `${java.join('\n')}\n`})
      assert.equal(written.exitCode, 0, written.stderr)
      const byKcat = [1, 2].map((n) => `kcat ${codec} ${n} ${'hail '.repeat(25)}`)
      await execa('kcat', ['-P', '-b', `localhost:${PORT}`, '-t', 'codecs', '-z', codec], {input: `${byKcat.join('\n')}\n`, timeout: 30_000})
      expected.push(...java, ...byKcat)
    }
    // The broker kept each batch's codec (compression.type "producer"): the batches really are compressed.
    const codecs = new Set<string>()
    for (const partition of [0, 1]) {
      const dump = await execa('docker', ['exec', CONTAINER, '/opt/kafka/bin/kafka-dump-log.sh', '--files', `/var/lib/kafka/data/codecs-${partition}/00000000000000000000.log`])
      for (const match of dump.stdout.matchAll(/compresscodec: (\w+)/g)) codecs.add(match[1]!.toLowerCase())
    }
    assert.deepEqual([...codecs].sort(), ['gzip', 'lz4', 'none', 'snappy', 'zstd'])
  })

  for (const how of [[], ['--group', 'codecs-consumer', '--group-protocol', 'consumer'], ['--group', 'codecs-classic', '--group-protocol', 'classic']]) {
    it(`kcl consume ${how.join(' ') || 'without a group'} reads all ${CODECS.length * 5} records`, async () => {
      const read = await run(['consume', 'codecs', '--exit-at-end', '--output', 'raw', ...how, ...B])
      assert.equal(read.exitCode, 0, String(read.stderr))
      assert.deepEqual(String(read.stdout).replace(/\n$/, '').split('\n').sort(), [...expected].sort())
    })
  }

  it('each group committed everything it printed, and says which protocol it speaks', async () => {
    for (const [group, protocol] of [
      ['codecs-consumer', 'consumer'],
      ['codecs-classic', 'classic'],
    ]) {
      const described = await run(['group', 'describe', group!, '--json', ...B])
      assert.equal(described.exitCode, 0, String(described.stderr))
      const view = JSON.parse(String(described.stdout)) as {protocol: string; totalLag: number}
      assert.equal(view.protocol, protocol)
      assert.equal(view.totalLag, 0)
    }
    const listed = JSON.parse(String((await run(['group', 'list', '--json', ...B])).stdout)) as {groupId: string; type: string}[]
    assert.deepEqual(
      listed.filter((g) => g.groupId.startsWith('codecs-')).map((g) => `${g.groupId}:${g.type}`),
      ['codecs-classic:classic', 'codecs-consumer:consumer'],
    )
  })
})

describe('every codec, written by kcl, read by Kafka\'s Java client', () => {
  it('Java\'s console consumer reads every record kcl wrote with none, gzip, snappy, lz4 and zstd', async () => {
    assert.equal((await run(['topic', 'create', 'kcl-codecs', '--partitions', '1', ...B])).exitCode, 0)
    const written: string[] = []
    for (const codec of CODECS) {
      const lines = [1, 2, 3].map((n) => `kcl ${codec} ${n} ${'sleet '.repeat(25)}`)
      const produced = await run(['produce', 'kcl-codecs', '--compression', codec, ...B], lines.join('\n'))
      assert.equal(produced.exitCode, 0, String(produced.stderr))
      written.push(...lines)
    }
    const dump = await execa('docker', ['exec', CONTAINER, '/opt/kafka/bin/kafka-dump-log.sh', '--files', '/var/lib/kafka/data/kcl-codecs-0/00000000000000000000.log'])
    assert.deepEqual([...dump.stdout.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1]!.toLowerCase()), CODECS, 'one batch per codec, each compressed as asked')
    const read = await tool('kafka-console-consumer.sh', ['--topic', 'kcl-codecs', '--from-beginning', '--max-messages', String(written.length), '--timeout-ms', '60000'])
    assert.equal(read.exitCode, 0, read.stderr)
    // Only the records: Kafka's tools may print notices on stdout too.
    assert.deepEqual(read.stdout.split('\n').filter((line) => line.startsWith('kcl ')), written)
  })
})

describe('a classic group shared by kcl and Java\'s console consumer', () => {
  it('splits the partitions between them (range, as Java computes it), each record read once', async () => {
    assert.equal((await run(['topic', 'create', 'mixed', '--partitions', '4', ...B])).exitCode, 0)
    const member = kcl(['consume', 'mixed', '--group', 'mixed', '--group-protocol', 'classic', '--output', 'raw', ...B], {env: ENV, timeoutMs: 300_000})
    let kclOut = ''
    let kclErr = ''
    member.stdout?.on('data', (chunk: Buffer) => (kclOut += chunk.toString()))
    member.stderr?.on('data', (chunk: Buffer) => (kclErr += chunk.toString()))
    const deadline = Date.now() + 60_000
    while (!kclErr.includes('group mixed: assigned') && Date.now() < deadline) await sleep(200)
    // Java joins with the classic protocol and its default assignors (range, cooperative-sticky): the group agrees on range.
    const java = execa(
      'docker',
      ['exec', CONTAINER, '/opt/kafka/bin/kafka-console-consumer.sh', '--bootstrap-server', 'kafka-1:19092', '--topic', 'mixed', '--group', 'mixed', '--command-property', 'group.protocol=classic', '--timeout-ms', '30000'],
      {reject: false, timeout: 180_000},
    )
    const split = Date.now() + 90_000
    const latest = () => kclErr.split('\n').filter((l) => l.startsWith('group mixed: assigned')).at(-1) ?? ''
    while (!/assigned mixed\[\d+\], mixed\[\d+\]$/.test(latest()) && Date.now() < split) await sleep(200)
    assert.match(latest(), /assigned mixed\[\d+\], mixed\[\d+\]$/, `kcl took half the partitions: ${kclErr}`)
    const values = Array.from({length: 40}, (_, i) => `mixed ${i}`)
    const produced = await run(['produce', 'mixed', '--key-separator', ':', ...B], values.map((v, i) => `k${i}:${v}`).join('\n'))
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    const javaDone = await java
    member.kill('SIGINT')
    await member
    // Only the records: Kafka's tools may print notices on stdout too.
    const byJava = javaDone.stdout.split('\n').filter((line) => line.startsWith('mixed '))
    const byKcl = kclOut.split('\n').filter(Boolean)
    assert.ok(byJava.length > 0 && byKcl.length > 0, `both read: java ${byJava.length}, kcl ${byKcl.length}`)
    assert.deepEqual([...byJava, ...byKcl].sort(), [...values].sort(), 'every record once between them')
  })
})

describe('header names are plain data', () => {
  it('constructor, __proto__ and repeats survive produce and a group\'s consume as JSON', async () => {
    assert.equal((await run(['topic', 'create', 'header-names', '--partitions', '1', ...B])).exitCode, 0)
    const produced = await run(['produce', 'header-names', 'hi', '-H', 'constructor=x', '-H', '__proto__=y', '-H', 'constructor=z', ...B])
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    for (const how of [[], ['--group', 'header-names']]) {
      const read = await run(['consume', 'header-names', '--exit-at-end', '--output', 'json', ...how, ...B])
      assert.equal(read.exitCode, 0, String(read.stderr))
      assert.match(String(read.stdout), /"headers":\[\["constructor","x"\],\["__proto__","y"\],\["constructor","z"\]\]/)
    }
  })
})
