import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {REPO_ROOT, kcl, tempKclHome} from '../support/kcl.ts'

// Kafka 4 group semantics on one real broker: share groups (KIP-932) of kcl consumers, alone and beside Kafka's own
// console share consumer, redelivery after a release; consumer-protocol groups (KIP-848) that a new member joins
// without stopping the others; every group type listed, described and deleted; the README's walkthrough run as written.
const NAME = 'g4-e2e'
const PORT = 26210
const SERVER = `localhost:${PORT}`
const ENV = {KCL_HOME: tempKclHome(), KCL_BOOTSTRAP_SERVER: SERVER}
const CONTAINER = `kcl-${NAME}-kafka-1-1`

const run = (args: string[], input?: string) => kcl(args, {env: ENV, input, timeoutMs: 180_000})

interface JsonRecord {
  partition: number
  offset: number
  value: string
  deliveryCount?: number
}

/** A kcl command that keeps running (a consumer), its output collected as it comes. */
function background(args: string[]) {
  const child = kcl(args, {env: ENV, timeoutMs: 300_000})
  const output = {out: '', err: ''}
  child.stdout?.on('data', (chunk: Buffer) => (output.out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output.err += chunk.toString()))
  return {
    child,
    output,
    records: (): JsonRecord[] => output.out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonRecord),
    /** Ctrl-C, then the exit code. */
    async interrupt(): Promise<number | undefined> {
      child.kill('SIGINT')
      return (await child).exitCode
    },
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(200)
  }
}

const json = <T>(result: {stdout: unknown; exitCode?: number; stderr: unknown}): T => {
  assert.equal(result.exitCode, 0, String(result.stderr))
  return JSON.parse(String(result.stdout)) as T
}

before(async () => {
  const up = await run(['up', '--name', NAME, '--port', String(PORT)])
  assert.equal(up.exitCode, 0, String(up.stderr))
}, {timeout: 420_000})

after(async () => {
  await run(['down', '--name', NAME, '--volumes', '--yes'])
})

describe('share groups', () => {
  it('are enabled on a fresh kcl cluster (share.version finalized)', async () => {
    const features = await execa('docker', ['exec', CONTAINER, '/opt/kafka/bin/kafka-features.sh', '--bootstrap-server', 'kafka-1:19092', 'describe'], {timeout: 60_000})
    assert.match(features.stdout, /Feature: share\.version\s+SupportedMinVersion: \d+\s+SupportedMaxVersion: \d+\s+FinalizedVersionLevel: [1-9]/)
  })

  it('three kcl consumers of one share group on 2 partitions all receive records, every record exactly once', async () => {
    assert.equal((await run(['topic', 'create', 'share-three', '--partitions', '2'])).exitCode, 0)
    const members = [1, 2, 3].map(() => background(['consume', 'share-three', '--share-group', 'three', '--output', 'json']))
    // Kafka's simple assignor gives each partition to at least one member; with more members than partitions they share.
    for (const member of members) await waitFor('every member fetching', () => member.output.err.includes('share group three: fetching from share-three['))
    // Slowly, so that many small batches reach the partitions and every waiting member gets some.
    const produced = await run(['produce', 'share-three', '--generate', '150', '--rate', '30'])
    assert.equal(produced.exitCode, 0, String(produced.stderr))
    const total = () => members.reduce((sum, m) => sum + m.records().length, 0)
    await waitFor('all 150 records', () => total() >= 150)
    await sleep(1000) // anything delivered twice would show up now
    for (const member of members) assert.equal(await member.interrupt(), 0, member.output.err)
    const all = members.flatMap((m) => m.records())
    assert.ok(members.every((m) => m.records().length > 0), `every member received records: ${members.map((m) => m.records().length).join(', ')}`)
    const keys = all.map((r) => `${r.partition}:${r.offset}`)
    assert.equal(new Set(keys).size, 150, 'no record twice')
    assert.equal(keys.length, 150)
    assert.ok(all.every((r) => r.deliveryCount === 1), 'each delivered once')
    assert.ok(members.every((m) => /share group three: acquired share-three\[\d\] offsets? \d+/.test(m.output.err)), 'acquisitions on stderr')
    // The acknowledgements reached the broker: the group has nothing left on either partition.
    const described = json<{protocol: string; members: unknown[]; shareOffsets: {partition: number; startOffset: number; end: number; lag: number}[]; totalLag: number}>(
      await run(['group', 'describe', 'three', '--json']),
    )
    assert.equal(described.protocol, 'share')
    assert.equal(described.members.length, 0, 'Ctrl-C left the group')
    // The start offset moves past the last batch only on the next fetch; the broker's lag counts what is acknowledged.
    assert.deepEqual(described.shareOffsets.map((o) => [o.partition, o.startOffset !== null, o.lag]), [[0, true, 0], [1, true, 0]])
  })

  it('kcl ui shows the share group: its type and, per partition, the start offset and lag', async () => {
    const ui = kcl(['ui', '--no-open', '--port', '26220'], {env: ENV, timeoutMs: 120_000})
    let out = ''
    ui.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    try {
      await waitFor('kcl ui to listen', () => /kcl ui: http:\/\/\S+/.test(out), 60_000)
      const url = /kcl ui: (http:\/\/\S+)/.exec(out)![1]!
      type Snapshot = {groups: {groupId: string; protocol: string; shareOffsets?: {partition: number; lag: number | null}[]}[]}
      let three: Snapshot['groups'][number] | undefined
      for (let i = 0; i < 60 && !three; i++) {
        const answer = (await (await fetch(new URL('/api/snapshot', url))).json()) as {snapshot: Snapshot}
        three = answer.snapshot.groups.find((g) => g.groupId === 'three')
        if (!three) await sleep(1000)
      }
      assert.equal(three?.protocol, 'share')
      assert.deepEqual(three?.shareOffsets?.map((o) => [o.partition, o.lag]), [[0, 0], [1, 0]])
    } finally {
      ui.kill('SIGINT')
      await ui
    }
  })

  it('with --ack release every record comes back, with delivery count 2, and accept ends it', async () => {
    assert.equal((await run(['topic', 'create', 'share-release', '--partitions', '1'])).exitCode, 0)
    const values = ['one', 'two', 'three']
    assert.equal((await run(['produce', 'share-release'], values.join('\n'))).exitCode, 0)
    const again = await run(['consume', 'share-release', '--share-group', 'again', '--ack', 'release', '--max-messages', '6', '--output', 'json'])
    assert.equal(again.exitCode, 0, String(again.stderr))
    const records = String(again.stdout).split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonRecord)
    assert.deepEqual(
      records.map((r) => [r.value, r.deliveryCount]),
      [['one', 1], ['two', 1], ['three', 1], ['one', 2], ['two', 2], ['three', 2]],
    )
    const text = await run(['consume', 'share-release', '--share-group', 'again', '--max-messages', '3'])
    assert.equal(text.exitCode, 0, String(text.stderr))
    assert.equal(String(text.stdout), '[delivery 3] one\n[delivery 3] two\n[delivery 3] three')
    const described = json<{shareOffsets: {lag: number}[]}>(await run(['group', 'describe', 'again', '--json']))
    assert.deepEqual(described.shareOffsets.map((o) => o.lag), [0], 'accepted: nothing left')
  })

  it('kcl and Kafka\'s ConsoleShareConsumer in one share group share the records', async () => {
    assert.equal((await run(['topic', 'create', 'share-java', '--partitions', '2'])).exitCode, 0)
    const member = background(['consume', 'share-java', '--share-group', 'mixed-share', '--output', 'json'])
    await waitFor('kcl fetching', () => member.output.err.includes('share group mixed-share: fetching from'))
    const java = execa(
      'docker',
      ['exec', CONTAINER, '/opt/kafka/bin/kafka-console-share-consumer.sh', '--bootstrap-server', 'kafka-1:19092', '--topic', 'share-java', '--group', 'mixed-share', '--timeout-ms', '20000'],
      {reject: false, timeout: 180_000},
    )
    // The JVM takes a few seconds to start; records are produced once both members fetch from a partition.
    const assigned = async () => json<{members: {partitions: unknown[]}[]}>(await run(['group', 'describe', 'mixed-share', '--json'])).members.filter((m) => m.partitions.length > 0).length
    const deadline = Date.now() + 90_000
    while ((await assigned()) < 2 && Date.now() < deadline) await sleep(500)
    assert.equal(await assigned(), 2, 'Java joined and got partitions')
    // Keyed, so both partitions get records; in small pieces over a few seconds, so both members are waiting when they arrive.
    const values = Array.from({length: 120}, (_, i) => `java-kcl ${i}`)
    for (let i = 0; i < values.length; i += 10) {
      const lines = values.slice(i, i + 10).map((v, j) => `k${i + j}:${v}`)
      assert.equal((await run(['produce', 'share-java', '--key-separator', ':'], lines.join('\n'))).exitCode, 0)
    }
    const javaDone = await java
    assert.equal(await member.interrupt(), 0, member.output.err)
    const byJava = javaDone.stdout.split('\n').filter((line) => line.startsWith('java-kcl '))
    const byKcl = member.records().map((r) => r.value)
    assert.ok(byJava.length > 0 && byKcl.length > 0, `both received records: java ${byJava.length}, kcl ${byKcl.length}\n${javaDone.stderr}`)
    assert.deepEqual([...byJava, ...byKcl].sort(), [...values].sort(), 'every record once between them')
  })

  it('group delete refuses while members are active, then deletes the share group', async () => {
    assert.equal((await run(['topic', 'create', 'share-delete', '--partitions', '1'])).exitCode, 0)
    const member = background(['consume', 'share-delete', '--share-group', 'doomed'])
    await waitFor('member fetching', () => member.output.err.includes('share group doomed: fetching from'))
    const refused = await run(['group', 'delete', 'doomed'])
    assert.notEqual(refused.exitCode, 0)
    // One line, as oclif wraps it for the terminal.
    const line = String(refused.stderr).replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')
    assert.match(line, /Error: Group "doomed" has 1 active member; it can only be deleted while empty\. Try this: Stop its consumers first/)
    assert.doesNotMatch(String(refused.stderr), /\n\s+at /, 'no stack trace')
    assert.equal(await member.interrupt(), 0)
    const deleted = await run(['group', 'delete', 'doomed'])
    assert.equal(deleted.exitCode, 0, String(deleted.stderr))
    assert.match(String(deleted.stdout), /Deleted share group doomed/)
    const listed = json<{groupId: string}[]>(await run(['group', 'list', '--json']))
    assert.ok(!listed.some((g) => g.groupId === 'doomed'))
  })
})

describe('consumer groups of both protocols', () => {
  it('two consumer-protocol members split the partitions; a third joining does not stop them; every record once', async () => {
    assert.equal((await run(['topic', 'create', 'kip848', '--partitions', '2'])).exitCode, 0)
    const consume = () => background(['consume', 'kip848', '--group', 'kip848', '--group-protocol', 'consumer', '--output', 'json'])
    const [a, b] = [consume(), consume()]
    const latest = (m: ReturnType<typeof consume>) => m.output.err.split('\n').filter((l) => l.startsWith('group kip848: assigned')).at(-1) ?? ''
    await waitFor('one partition each', () => [a, b].every((m) => /assigned kip848\[\d\]$/.test(latest(m))) && latest(a) !== latest(b))
    const first = Array.from({length: 40}, (_, i) => `before ${i}`)
    assert.equal((await run(['produce', 'kip848', '--key-separator', ':'], first.map((v, i) => `k${i}:${v}`).join('\n'))).exitCode, 0)
    await waitFor('the first records', () => a.records().length + b.records().length >= first.length)
    const seenBefore = [a, b].map((m) => m.output.err.length)
    const c = consume()
    await waitFor('the third member in', () => c.output.err.includes('group kip848: assigned nothing'))
    const described = json<{protocol: string; members: {partitions: unknown[]; targetPartitions?: unknown[]}[]}>(await run(['group', 'describe', 'kip848', '--json']))
    assert.equal(described.protocol, 'consumer')
    assert.equal(described.members.length, 3)
    assert.ok(described.members.every((m) => m.targetPartitions !== undefined), 'target assignments shown')
    const second = Array.from({length: 40}, (_, i) => `after ${i}`)
    assert.equal((await run(['produce', 'kip848', '--key-separator', ':'], second.map((v, i) => `j${i}:${v}`).join('\n'))).exitCode, 0)
    const all = () => [a, b, c].flatMap((m) => m.records().map((r) => r.value))
    await waitFor('every record', () => all().length >= first.length + second.length)
    await sleep(500)
    for (const m of [a, b, c]) assert.equal(await m.interrupt(), 0, m.output.err)
    // The first two kept their partitions throughout: nothing was revoked, and both went on reading.
    for (const [i, m] of [a, b].entries()) {
      assert.doesNotMatch(m.output.err.slice(seenBefore[i]), /revoked|assigned/, 'no assignment change once the third joined')
      assert.ok(m.records().some((r) => r.value.startsWith('after ')), 'kept reading after the third joined')
    }
    assert.equal(c.records().length, 0)
    assert.deepEqual(all().sort(), [...first, ...second].sort(), 'every record once')
  })

  it('group list and group describe --json tell a classic group from a consumer-protocol one', async () => {
    assert.equal((await run(['topic', 'create', 'protocols', '--partitions', '1'])).exitCode, 0)
    assert.equal((await run(['produce', 'protocols'], 'a\nb')).exitCode, 0)
    for (const protocol of ['classic', 'consumer']) {
      const read = await run(['consume', 'protocols', '--group', `by-${protocol}`, '--group-protocol', protocol, '--max-messages', '2'])
      assert.equal(read.exitCode, 0, String(read.stderr))
    }
    const listed = json<{groupId: string; type: string; protocolType: string}[]>(await run(['group', 'list', '--json']))
    assert.deepEqual(
      listed.filter((g) => g.groupId.startsWith('by-') || g.groupId === 'three').map((g) => [g.groupId, g.type, g.protocolType]),
      [['by-classic', 'classic', 'consumer'], ['by-consumer', 'consumer', 'consumer'], ['three', 'share', 'share']],
    )
    for (const protocol of ['classic', 'consumer']) {
      const described = json<{protocol: string; offsets: {committed: number}[]}>(await run(['group', 'describe', `by-${protocol}`, '--json']))
      assert.equal(described.protocol, protocol)
      assert.deepEqual(described.offsets.map((o) => o.committed), [2])
    }
    // Group names are one namespace: a share group cannot take a consumer group's name.
    const taken = await run(['consume', 'protocols', '--share-group', 'by-consumer'])
    assert.notEqual(taken.exitCode, 0)
    assert.match(String(taken.stderr).replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' '), /Error: Group "by-consumer" is a consumer group, not a share group\. Try this: Pick another name/)
    const text = await run(['group', 'list'])
    assert.match(String(text.stdout), /by-classic\s+classic\s+consumer\s+\S+\s+Empty\s+0/)
    for (const protocol of ['classic', 'consumer']) {
      const deleted = await run(['group', 'delete', `by-${protocol}`])
      assert.equal(deleted.exitCode, 0, String(deleted.stderr))
      assert.match(String(deleted.stdout), new RegExp(`Deleted ${protocol} group by-${protocol}`))
    }
  })
})

describe('the README walkthrough "Consumer groups vs share groups"', () => {
  it('runs as written: one of three group members idles, all three share-group members work', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    const section = readme.split(/^### Consumer groups vs share groups$/m)[1]?.split(/^#{2,3} /m)[0]
    assert.ok(section, 'the README has the walkthrough')
    // Every `kcl …` line of its code blocks, in order; `kcl up` already ran (the test's cluster, through KCL_BOOTSTRAP_SERVER).
    const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((block) => block[1]!.split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('kcl ') && line !== 'kcl up')
    const consumers: ReturnType<typeof background>[] = []
    // A member may get nothing for a moment while it joins; where each ended up is its last assignment line.
    const lastAssignment = (m: {err: string}) => m.err.split('\n').filter((l) => l.startsWith('group 1: assigned')).at(-1) ?? ''
    // Each phase's consumers as they were before Ctrl-C (leaving moves partitions to those still there).
    const phases: {err: string; out: string}[][] = []
    const stopAll = async () => {
      phases.push(consumers.map((m) => ({...m.output})))
      for (const m of consumers.splice(0)) assert.equal(await m.interrupt(), 0, m.output.err)
    }
    for (const command of commands) {
      const args = command.split(/\s+/).slice(1)
      if (args[0] === 'consume') {
        consumers.push(background(args))
        continue
      }
      if (consumers.length > 0) {
        // Before the next step, the consumers started so far are in their group.
        await Promise.all(consumers.map((m) => waitFor(`${m.child.spawnargs.join(' ')} in its group`, () => /group 1: (assigned|fetching)/.test(m.output.err))))
      }
      if (args[0] === 'group' && args[1] === 'delete' && consumers.length > 0) {
        // The walkthrough stops the consumers (Ctrl-C) before deleting their group, once it settled: a partition
        // reaches a new member at its next heartbeat after the old owner gave it up (5 s each, Kafka's default).
        await waitFor('group 1 settled: one member idle, two reading', () =>
          consumers.filter((m) => lastAssignment(m.output).includes('assigned nothing')).length === 1 && consumers.filter((m) => m.output.out.trim() !== '').length === 2,
        )
        await stopAll()
      }
      const result = await run(args)
      assert.equal(result.exitCode, 0, `${command}: ${String(result.stderr)}`)
    }
    await waitFor('the share group\'s records', () => consumers.every((m) => m.output.out.trim() !== ''))
    await stopAll()
    assert.equal(phases.length, 2, 'a consumer group phase and a share group phase')
    const [grouped, shared] = phases as [{err: string; out: string}[], {err: string; out: string}[]]
    assert.equal(grouped.length, 3)
    assert.equal(grouped.filter((m) => lastAssignment(m).includes('assigned nothing')).length, 1, `one consumer of group 1 idles: ${grouped.map(lastAssignment).join(' | ')}`)
    assert.equal(grouped.filter((m) => m.out.trim() !== '').length, 2)
    assert.equal(shared.length, 3)
    assert.ok(shared.every((m) => m.out.includes('[delivery 1]')), 'all three share-group members work')
  })
})
