import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa, type ResultPromise} from 'execa'
import {join} from 'node:path'
import {kafkaImage, kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// Two clusters shared by every test in this file: one broker (the consumer-groups seed, interop, bad
// input) and three brokers (the weather seed). Each test uses its own topics.
const HOME = tempKclHome()
const ENV = {KCL_HOME: HOME}
const ONE = {name: 'e2e-work-1', port: 29094}
const THREE = {name: 'e2e-work-3', port: 29095}
const B1 = ['-b', `localhost:${ONE.port}`]
const B3 = ['-b', `localhost:${THREE.port}`]

const run = (args: string[], input?: string, timeoutMs = 120_000) => kcl(args, {env: ENV, input, timeoutMs})

/** A kcl process left running (a consumer), with its output collected as it comes. */
function background(args: string[]): {process: ResultPromise; stdout: () => string; stderr: () => string} {
  const child = execa(process.execPath, [join(REPO_ROOT, 'bin', 'kcl.js'), ...args], {
    reject: false,
    env: {...ENV, KCL_KAFKA_IMAGE: kafkaImage(), NO_COLOR: '1'},
    timeout: 120_000,
    buffer: false,
  })
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
  return {process: child, stdout: () => out, stderr: () => err}
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(200)
  }
}

/** Kafka's own jars (the Java client among them), copied out of the image the clusters run. */
async function kafkaLibs(): Promise<string> {
  const dir = join(HOME, 'kafka-libs')
  const container = (await execa('docker', ['create', kafkaImage()])).stdout.trim()
  try {
    await execa('docker', ['cp', `${container}:/opt/kafka/libs`, dir])
  } finally {
    await execa('docker', ['rm', '-v', container])
  }
  return dir
}

/** The one-line error contract: non-zero exit, an Error line, no stack trace. */
function assertCleanFailure(result: {exitCode?: number; stderr: unknown}, pattern: RegExp): void {
  const stderr = String(result.stderr)
  assert.notEqual(result.exitCode, 0, stderr)
  assert.match(stderr, pattern)
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
}

/** The partitions in a consumer's latest "group G: assigned …" line. */
function latestAssignment(stderr: string, group: string): number[] | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith(`group ${group}: assigned`))
  const last = lines.at(-1)
  if (last === undefined) return undefined
  return [...last.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]))
}

before(async () => {
  const up = await Promise.all([
    run(['up', '--name', ONE.name, '--port', String(ONE.port)], undefined, 400_000),
    run(['up', '--name', THREE.name, '--brokers', '3', '--port', String(THREE.port)], undefined, 400_000),
  ])
  for (const result of up) assert.equal(result.exitCode, 0, String(result.stderr))
}, {timeout: 420_000})

after(async () => {
  await Promise.all([run(['down', '--name', ONE.name, '--volumes', '--yes']), run(['down', '--name', THREE.name, '--volumes', '--yes'])])
})

describe('seed 003: consumer groups on one broker', () => {
  it('splits Delivery between two consumers of group 1; group 2 sees everything; lag ends at 0', async () => {
    const created = await run(['topic', 'create', 'Delivery', '--partitions', '2', ...B1])
    assert.equal(created.exitCode, 0, String(created.stderr))

    const first = background(['consume', 'Delivery', '--group', '1', '--format', '%p %v', ...B1])
    await waitFor('the first consumer to get partitions', () => latestAssignment(first.stderr(), '1')?.length === 2)
    const second = background(['consume', 'Delivery', '--group', '1', '--format', '%p %v', ...B1])
    await waitFor('the group to split the partitions', () => {
      const a = latestAssignment(first.stderr(), '1')
      const b = latestAssignment(second.stderr(), '1')
      return a?.length === 1 && b?.length === 1 && a[0] !== b[0]
    })

    const messages = Array.from({length: 40}, (_, i) => `delivery-${i % 7}:parcel ${i}`)
    const produced = await run(['produce', 'Delivery', '--key-separator', ':', ...B1], messages.join('\n') + '\n')
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    assert.match(String(produced.stderr), /Produced 40 messages to Delivery/)

    const lines = () => [...first.stdout().split('\n'), ...second.stdout().split('\n')].filter(Boolean)
    await waitFor('both consumers to see all 40 messages', () => lines().length >= 40)
    await sleep(1000) // anything beyond 40 would be a duplicate
    first.process.kill('SIGINT')
    second.process.kill('SIGINT')
    const [a, b] = await Promise.all([first.process, second.process])
    assert.equal(a.exitCode, 0, first.stderr())
    assert.equal(b.exitCode, 0, second.stderr())

    const seen = lines().map((l) => l.slice(l.indexOf(' ') + 1))
    assert.deepEqual([...seen].sort(), messages.map((m) => m.slice(m.indexOf(':') + 1)).sort(), 'every message exactly once')
    const partitionsOf = (out: string) => new Set(out.split('\n').filter(Boolean).map((l) => l.split(' ')[0]))
    assert.ok(partitionsOf(first.stdout()).size <= 1 && partitionsOf(second.stdout()).size <= 1, 'each consumer read one partition')

    const group2 = await run(['consume', 'Delivery', '--group', '2', '--exit-at-end', ...B1])
    assert.equal(group2.exitCode, 0, String(group2.stderr))
    assert.equal(String(group2.stdout).split('\n').filter(Boolean).length, 40)
    assert.match(String(group2.stderr), /group 2: assigned Delivery\[0\], Delivery\[1\]/)

    for (const group of ['1', '2']) {
      const described = await run(['group', 'describe', group, '--json', ...B1])
      assert.equal(described.exitCode, 0, String(described.stderr))
      const view = JSON.parse(String(described.stdout))
      assert.equal(view.totalLag, 0)
      assert.equal(view.members.length, 0)
      assert.deepEqual(view.offsets.map((o: {committed: number}) => o.committed).reduce((x: number, y: number) => x + y, 0), 40)
    }
    const human = await run(['group', 'describe', '1', ...B1])
    assert.match(String(human.stdout), /total lag 0/)

    const groups = await run(['group', 'list', '--json', ...B1])
    const ids = JSON.parse(String(groups.stdout)).map((g: {groupId: string}) => g.groupId)
    assert.ok(ids.includes('1') && ids.includes('2'), ids.join())
    assert.ok(!ids.some((id: string) => id.startsWith('kcl-consume-')), `consume without --group leaves no group behind: ${ids.join()}`)
  })

  it('group reset shows a plan, changes nothing without --execute, then rewinds', async () => {
    const plan = await run(['group', 'reset', '2', '--topic', 'Delivery', '--to', 'earliest', ...B1])
    assert.equal(plan.exitCode, 0, String(plan.stderr))
    assert.match(String(plan.stdout), /Nothing changed/)
    let view = JSON.parse(String((await run(['group', 'describe', '2', '--json', ...B1])).stdout))
    assert.equal(view.totalLag, 0)
    const executed = await run(['group', 'reset', '2', '--topic', 'Delivery', '--to', 'earliest', '--execute', ...B1])
    assert.equal(executed.exitCode, 0, String(executed.stderr))
    view = JSON.parse(String((await run(['group', 'describe', '2', '--json', ...B1])).stdout))
    assert.equal(view.totalLag, 40)
  })
})

describe('seed 000: three brokers', () => {
  it('a running consumer receives "it has started raining" on weather-updates with RF 3', async () => {
    const created = await run(['topic', 'create', 'weather-updates', '--partitions', '1', '--replication-factor', '3', ...B3])
    assert.equal(created.exitCode, 0, String(created.stderr))
    const described = JSON.parse(String((await run(['topic', 'describe', 'weather-updates', '--json', ...B3])).stdout))
    assert.deepEqual([...described.partitions[0].replicas].sort(), [1, 2, 3])
    assert.equal(described.partitions[0].underReplicated, false)

    const consumer = background(['consume', 'weather-updates', '--from', 'end', ...B3])
    await waitFor('the consumer to start reading', () => consumer.stderr().includes('reading weather-updates[0]'))
    const produced = await run(['produce', 'weather-updates', 'it has started raining', ...B3])
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    assert.match(String(produced.stdout), /Produced to weather-updates\[0\] at offset 0/)
    await waitFor('the message to arrive', () => consumer.stdout().includes('it has started raining'))
    consumer.process.kill('SIGTERM')
    assert.equal((await consumer.process).exitCode, 0, consumer.stderr())
    assert.equal(consumer.stdout(), 'it has started raining\n')
  })
})

describe('interop with kcat', () => {
  const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x41])

  it('kcat reads what kcl produced: keys, headers, non-UTF-8 values', async () => {
    await run(['topic', 'create', 'interop-kcl', '--partitions', '1', ...B1])
    const lines = [
      {key: 'k1', value: 'plain text', headers: {source: 'kcl', trace: 'abc'}},
      {key: 'k2', value: {base64: binary.toString('base64')}, headers: {source: 'kcl'}},
    ]
    const produced = await run(['produce', 'interop-kcl', '--input', 'json', ...B1], lines.map((l) => JSON.stringify(l)).join('\n'))
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    const read = await execa('kcat', ['-C', '-b', `localhost:${ONE.port}`, '-t', 'interop-kcl', '-e', '-q', '-f', '%k|%h|%s\\n'], {encoding: 'buffer', stripFinalNewline: false, timeout: 30_000})
    const expected = Buffer.concat([Buffer.from('k1|source=kcl,trace=abc|plain text\n'), Buffer.from('k2|source=kcl|'), binary, Buffer.from('\n')])
    assert.deepEqual(Buffer.from(read.stdout), expected)
  })

  it('kcl reads what kcat produced', async () => {
    await run(['topic', 'create', 'interop-kcat', '--partitions', '1', ...B1])
    const input = Buffer.concat([Buffer.from('key-a:hello from kcat\nkey-b:'), binary, Buffer.from('\n')])
    await execa('kcat', ['-P', '-b', `localhost:${ONE.port}`, '-t', 'interop-kcat', '-K', ':', '-H', 'source=kcat', '-H', 'n=1'], {input, timeout: 30_000})
    const consumed = await run(['consume', 'interop-kcat', '--output', 'json', '--exit-at-end', ...B1])
    assert.equal(consumed.exitCode, 0, String(consumed.stderr))
    const records = String(consumed.stdout).trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(
      records.map((r) => [r.key, r.value, r.headers]),
      [
        ['key-a', 'hello from kcat', [['source', 'kcat'], ['n', '1']]],
        ['key-b', {base64: binary.toString('base64')}, [['source', 'kcat'], ['n', '1']]],
      ],
    )
    // Reading without --group joins no group, so none is left behind.
    const groups = JSON.parse(String((await run(['group', 'list', '--json', ...B1])).stdout)) as {groupId: string}[]
    assert.deepEqual(groups.filter((g) => g.groupId.startsWith('kcl')), [])
  })

  it('compressed batches: gzip, snappy, lz4 and zstd, written by kcl and by kcat, read by both', async () => {
    await run(['topic', 'create', 'interop-compressed', '--partitions', '1', ...B1])
    const expected: string[] = []
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      // Enough repetition that the codec really compresses (back-references, not only literals).
      const ours = [`kcl ${codec} ${'rain '.repeat(30)}1`, `kcl ${codec} ${'rain '.repeat(30)}2`]
      const produced = await run(['produce', 'interop-compressed', '--compression', codec, ...B1], ours.join('\n'))
      assert.equal(produced.exitCode, 0, String(produced.stderr))
      expected.push(...ours)
      const line = `kcat ${codec} ${'weather '.repeat(20)}`
      await execa('kcat', ['-P', '-b', `localhost:${ONE.port}`, '-t', 'interop-compressed', '-z', codec], {input: `${line}\n${line}\n`, timeout: 30_000})
      expected.push(line, line)
    }
    // The broker kept each batch's codec (topic compression.type "producer"): kcl's batches really are compressed.
    const dump = await execa('docker', ['exec', `kcl-${ONE.name}-kafka-1-1`, '/opt/kafka/bin/kafka-dump-log.sh', '--files', '/var/lib/kafka/data/interop-compressed-0/00000000000000000000.log'])
    const codecs = [...dump.stdout.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1]!.toLowerCase())
    assert.deepEqual(codecs.filter((codec, i) => codec !== codecs[i - 1]), ['gzip', 'snappy', 'lz4', 'zstd'], dump.stdout)
    // Read a count, not to the end: kcat's end-of-partition once came a record early in CI.
    const byKcat = await execa('kcat', ['-C', '-b', `localhost:${ONE.port}`, '-t', 'interop-compressed', '-o', 'beginning', '-c', String(expected.length), '-q', '-f', '%s\\n'], {timeout: 30_000})
    assert.deepEqual(byKcat.stdout.split('\n'), expected)
    const byKcl = await run(['consume', 'interop-compressed', '--exit-at-end', '--output', 'raw', ...B1])
    assert.equal(byKcl.exitCode, 0, String(byKcl.stderr))
    assert.deepEqual(String(byKcl.stdout).replace(/\n$/, '').split('\n'), expected) // the lines end in spaces: no trim()
  })

  it('a stream of many batches arrives whole and in order: kcat reads every line and every key', async () => {
    await run(['topic', 'create', 'stream-order', '--partitions', '1', ...B1])
    await run(['topic', 'create', 'stream-keys', '--partitions', '3', ...B1])
    // Lines of changing lengths, so batches end mid-chunk and lines span the 64 KiB reads; buffers get reused.
    const lines = Array.from({length: 120_000}, (_, i) => `${i} ${'abcdefghij'.repeat(i % 23)}`)
    const plain = await run(['produce', 'stream-order', ...B1], lines.join('\n'))
    assert.equal(plain.exitCode, 0, String(plain.stderr))
    const keyed = await run(['produce', 'stream-keys', '--key-separator', '=', ...B1], lines.map((line, i) => `k${i % 7}=${line}`).join('\n'))
    assert.equal(keyed.exitCode, 0, String(keyed.stderr))

    const read = (topic: string, format: string) =>
      execa('kcat', ['-C', '-b', `localhost:${ONE.port}`, '-t', topic, '-o', 'beginning', '-c', String(lines.length), '-q', '-f', format], {timeout: 60_000, maxBuffer: 64 * 1024 * 1024})
    assert.deepEqual((await read('stream-order', '%s\\n')).stdout.split('\n'), lines)
    // Each key's lines on one partition, in the order they were sent.
    const byKey = new Map<string, string[]>()
    for (const record of (await read('stream-keys', '%k %p %s\\n')).stdout.split('\n')) {
      const [key, partition, ...value] = record.split(' ')
      byKey.set(`${key} ${partition}`, [...(byKey.get(`${key} ${partition}`) ?? []), value.join(' ')])
    }
    assert.equal(byKey.size, 7, `each key on one partition: ${[...byKey.keys()].join(', ')}`)
    for (const [keyAndPartition, values] of byKey) {
      const k = Number(keyAndPartition.split(' ')[0]!.slice(1))
      assert.deepEqual(values, lines.filter((_, i) => i % 7 === k), keyAndPartition)
    }
  })

  it('--acks 1 and --acks 0 deliver every line too', async () => {
    await run(['topic', 'create', 'acks-modes', '--partitions', '3', ...B1])
    const lines = Array.from({length: 5000}, (_, i) => `line ${i}`).join('\n')
    for (const acks of ['1', '0']) {
      const produced = await run(['produce', 'acks-modes', '--acks', acks, ...B1], lines)
      assert.equal(produced.exitCode, 0, String(produced.stderr))
      assert.match(String(produced.stderr), /Produced 5000 messages/)
    }
    // Nobody acknowledges acks=0: the broker may append the last batch a moment after kcl exits.
    const stored = async () => {
      const described = JSON.parse(String((await run(['topic', 'describe', 'acks-modes', '--json', ...B1])).stdout)) as {partitions: {high: number}[]}
      return described.partitions.reduce((sum, p) => sum + p.high, 0)
    }
    const deadline = Date.now() + 10_000
    while ((await stored()) < 10_000 && Date.now() < deadline) await sleep(200)
    const consumed = await run(['consume', 'acks-modes', '--exit-at-end', '--output', 'raw', ...B1])
    assert.equal(String(consumed.stdout).trim().split('\n').length, 10_000)
  })
})

describe('transactions written by the Java client', () => {
  it('consume shows committed records only, with and without a group; aborted ones are skipped', async () => {
    await run(['topic', 'create', 'txn-aborted', '--partitions', '1', ...B1])
    const libs = await kafkaLibs()
    const written = await execa('java', ['-cp', `${libs}/*`, join(REPO_ROOT, 'test', 'fixtures', 'AbortedTransaction.java'), `localhost:${ONE.port}`, 'txn-aborted'], {reject: false, timeout: 120_000})
    assert.equal(written.exitCode, 0, written.stderr)
    // Two commits, an abort and three markers: offsets 0–6, of which only "committed 1" and "committed 2" are data to show.
    const described = JSON.parse(String((await run(['topic', 'describe', 'txn-aborted', '--json', ...B1])).stdout)) as {partitions: {high: number}[]}
    assert.equal(described.partitions[0]?.high, 7)
    const plain = await run(['consume', 'txn-aborted', '--exit-at-end', '--output', 'raw', ...B1])
    assert.equal(plain.exitCode, 0, String(plain.stderr))
    assert.deepEqual(String(plain.stdout).trim().split('\n'), ['committed 1', 'committed 2'])
    const grouped = await run(['consume', 'txn-aborted', '--group', 'txn-reader', '--from', 'beginning', '--max-messages', '2', '--output', 'raw', ...B1])
    assert.equal(grouped.exitCode, 0, String(grouped.stderr))
    assert.deepEqual(String(grouped.stdout).trim().split('\n'), ['committed 1', 'committed 2'])
  })
})

describe('consume --output json | produce --input json', () => {
  it('reproduces keys, values and headers in another topic', async () => {
    await run(['topic', 'create', 'rt-source', '--partitions', '2', ...B1])
    await run(['topic', 'create', 'rt-copy', '--partitions', '2', ...B1])
    const lines = [
      {key: 'a', value: 'first', headers: [['h', '1'], ['constructor', 'x'], ['h', '2'], ['__proto__', 'y']]},
      {key: null, value: {base64: 'AAEC/w=='}, headers: [['bin', {base64: 'gA=='}]]},
      {key: 'c', value: null, headers: []},
      {key: 'd', value: 'ünïcödé', headers: []},
    ]
    assert.equal((await run(['produce', 'rt-source', '--input', 'json', ...B1], lines.map((l) => JSON.stringify(l)).join('\n'))).exitCode, 0)
    const exported = await run(['consume', 'rt-source', '--output', 'json', '--exit-at-end', ...B1])
    assert.equal((await run(['produce', 'rt-copy', '--input', 'json', ...B1], String(exported.stdout))).exitCode, 0)
    const copied = await run(['consume', 'rt-copy', '--output', 'json', '--exit-at-end', ...B1])
    const shape = (out: unknown) =>
      String(out)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((r) => JSON.stringify([r.key, r.value, r.headers]))
        .sort()
    assert.deepEqual(shape(copied.stdout), shape(exported.stdout))
    assert.deepEqual(shape(copied.stdout), lines.map((l) => JSON.stringify([l.key, l.value, l.headers])).sort())
  })
})

describe('bad input: one clear line, non-zero exit, nothing done', () => {
  it('rejects each with a message that says what is wrong', async () => {
    await run(['topic', 'create', 'small-limit', '--config', 'max.message.bytes=2000', ...B1])
    const cases: [string[], RegExp, string?][] = [
      [['topic', 'create', 'bad name', ...B1], /contains " "/],
      [['topic', 'create', '..', ...B1], /cannot be a topic name/],
      [['topic', 'create', 'x'.repeat(250), ...B1], /at most 249/],
      [['topic', 'create', 'p0', '--partitions', '0', ...B1], /--partitions must be from 1 to 10000, not 0/],
      [['topic', 'create', 'rf3', '--replication-factor', '3', ...B1], /more than the 1 broker/],
      [['topic', 'create', 'cfg', '--config', 'retention.ms', ...B1], /not key=value/],
      [['topic', 'create', 'cfg2', '--config', 'no.such.config=1', ...B1], /rejected a topic config/],
      [['produce', 'Delivery', 'x', '--header', 'novalue', ...B1], /--header "novalue" is not key=value/],
      [['produce', 'no-such-topic', 'x', ...B1], /Topic "no-such-topic" does not exist/],
      [['consume', 'no-such-topic', '--exit-at-end', ...B1], /Topic "no-such-topic" does not exist/],
      [['topic', 'describe', 'no-such-topic', ...B1], /does not exist/],
      [['topic', 'list', '-b', 'localhost:29099'], /Cannot reach Kafka at localhost:29099/],
      [['produce', 'Delivery', '--input', 'json', ...B1], /Line 2 is not valid JSON/, '{"value":"fine"}\n{"value": oops}\n'],
      [['produce', 'small-limit', ...B1], /Line 1 is \d+ bytes; topic "small-limit" accepts at most 2000/, 'x'.repeat(5000)],
      // A line that never ends is refused once it is too long, not read to the end of the input.
      [['produce', 'small-limit', ...B1], /Line 1 is already over \d+ bytes; topic "small-limit"/, 'y'.repeat(300_000)],
      [['produce', 'Delivery', 'x', '--partition', '9', ...B1], /has partitions 0 to \d+; there is no partition 9/],
      [['produce', 'Delivery', 'x', '--compression', 'brotli', ...B1], /Expected --compression=brotli to be one of: none, gzip, snappy,/],
      [['produce', 'Delivery', '--generate', '5', '--rate', '0', ...B1], /--rate must be above 0, not 0/],
      [['consume', 'Delivery', '--from', 'middle', ...B1], /--from "middle" is not a position/],
      [['consume', 'Delivery', '--group', 'g', '--partition', '0', ...B1], /--partition cannot be used with --group/],
    ]
    for (const [args, pattern, input] of cases) {
      const started = Date.now()
      const result = await run(args, input)
      assertCleanFailure(result, pattern)
      assert.ok(Date.now() - started < 20_000, `${args.join(' ')} fails quickly`)
    }
    const topics = JSON.parse(String((await run(['topic', 'list', '--json', ...B1])).stdout)).map((t: {name: string}) => t.name)
    for (const never of ['p0', 'rf3', 'cfg', 'cfg2', 'no-such-topic']) assert.ok(!topics.includes(never), `${never} was not created`)
    const limited = JSON.parse(String((await run(['topic', 'describe', 'small-limit', '--json', ...B1])).stdout))
    assert.equal(limited.partitions[0].high, 0, 'nothing was produced to small-limit')
    assert.deepEqual(limited.configs.map((c: {name: string; value: string}) => `${c.name}=${c.value}`), ['max.message.bytes=2000'])
  })

  it('refuses to reset a group that has members, and to delete without --yes off a terminal', async () => {
    const consumer = background(['consume', 'Delivery', '--group', 'busy', ...B1])
    await waitFor('the consumer to join', () => latestAssignment(consumer.stderr(), 'busy') !== undefined)
    assertCleanFailure(await run(['group', 'reset', 'busy', '--topic', 'Delivery', '--to', 'latest', '--execute', ...B1]), /has 1 active member/)
    consumer.process.kill('SIGINT')
    await consumer.process
    assertCleanFailure(await run(['topic', 'delete', 'Delivery', ...B1], ''), /without confirmation/)
    assert.equal((await run(['topic', 'delete', 'Delivery', '--yes', ...B1])).exitCode, 0)
  })
})
