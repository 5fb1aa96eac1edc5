import assert from 'node:assert/strict'
import {execa} from 'execa'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {clusterResources} from '../support/docker.ts'
import {kcl, tempKclHome} from '../support/kcl.ts'
import {eventually} from '../support/wait.ts'

// Issue 13's "nothing lost" proof for the cluster's lifecycle, on a real engine and brokers: a failed `kcl up` from
// another KCL_HOME, broken state files, two `up`s at once and kill -9 in the middle of `up` never lose a volume or
// a record, and never leave a state that blocks the next `up`. One cluster (lc-dl) carries the cases in order;
// lc-new is a cluster killed during its very first `up`.
const NAME = 'lc-dl'
const PORT = 26300
const SERVERS = `localhost:${PORT}`
const TOPIC = 'precious'
const RECORDS = ['my data', 'more data', 'the last of it']
const first = tempKclHome()
const other = tempKclHome()
const fresh = tempKclHome()

function run(home: string, args: string[]) {
  return kcl(args, {env: {KCL_HOME: home}})
}

/** oclif wraps error messages to the terminal width; the words are what matters. */
function unwrapped(stderr: string): string {
  return stderr.replace(/\s*\n\s*›\s*/g, ' ')
}

/** Every record of the topic, read by kcat (librdkafka) to the end. */
async function records(): Promise<string[]> {
  const read = await execa('kcat', ['-C', '-b', SERVERS, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], {timeout: 60_000})
  return read.stdout.split('\n').filter(Boolean)
}

const volumes = (name = NAME) => clusterResources('volume', name)
const DATA_VOLUME = `kcl-${NAME}_kafka-1-data`

async function containerIds(name = NAME): Promise<string[]> {
  const {stdout} = await execa('docker', ['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=com.kcl.cluster=${name}`])
  return stdout.split('\n').filter(Boolean).sort()
}

function assertOneClearLine(result: {exitCode?: number; stderr: string}, pattern: RegExp): void {
  assert.notEqual(result.exitCode, 0, result.stderr)
  assert.match(unwrapped(result.stderr), pattern)
  assert.doesNotMatch(result.stderr, /\n\s+at |TypeError|ReferenceError|SyntaxError/, 'no stack trace')
}

/** Starts `kcl up` and kills it with SIGKILL once its first container exists: kcl stops in the middle of `up`. */
async function killedDuringUp(home: string, args: string[], name: string): Promise<void> {
  const before = await containerIds(name)
  const up = kcl(['up', ...args], {env: {KCL_HOME: home}})
  await eventually(`a container of ${name}`, async () => (await containerIds(name)).some((id) => !before.includes(id)) || before.length > 0 || up.exitCode !== null)
  // An existing cluster's containers are there from the start: let compose begin starting them.
  if (before.length > 0) await eventually(`a running container of ${name}`, async () => (await execa('docker', ['ps', '--quiet', '--filter', `label=com.kcl.cluster=${name}`])).stdout !== '')
  up.kill('SIGKILL')
  const killed = await up
  assert.equal(killed.signal, 'SIGKILL', `kcl up had already ended: ${killed.stderr}`)
}

after(async () => {
  for (const home of [first, other]) await run(home, ['down', '--name', NAME, '--volumes', '--yes'])
  await run(fresh, ['down', '--name', 'lc-new', '--volumes', '--yes'])
})

describe('nothing lost in the cluster lifecycle', () => {
  it('a failed up from another KCL_HOME keeps the existing cluster; a plain up there adopts its data', async () => {
    const up = await run(first, ['up', '--name', NAME, '--port', String(PORT)])
    assert.equal(up.exitCode, 0, up.stderr)
    assert.equal((await run(first, ['topic', 'create', TOPIC, '--name', NAME])).exitCode, 0)
    for (const value of RECORDS) assert.equal((await run(first, ['produce', TOPIC, value, '--name', NAME])).exitCode, 0)
    assert.deepEqual(await records(), RECORDS)
    assert.equal((await run(first, ['down', '--name', NAME])).exitCode, 0)
    assert.deepEqual(await volumes(), [DATA_VOLUME])

    // A changed image that fails changes neither the saved spec nor the compose file.
    const state = ['cluster.json', 'compose.yaml'].map((file) => readFileSync(join(first, 'clusters', NAME, file), 'utf8'))
    const changed = await run(first, ['up', '--name', NAME, '--image', 'nosuch/kafka:2'])
    assertOneClearLine(changed, /nosuch\/kafka:2/)
    assert.deepEqual(['cluster.json', 'compose.yaml'].map((file) => readFileSync(join(first, 'clusters', NAME, file), 'utf8')), state)
    assert.equal(existsSync(join(first, 'clusters', NAME, 'cluster.next.json')), false)
    assert.deepEqual(await volumes(), [DATA_VOLUME])

    // The reproduction: the volume and its records used to be deleted here.
    const failed = await run(other, ['up', '--name', NAME, '--port', String(PORT), '--image', 'nosuch/kafka:1'])
    assertOneClearLine(failed, /nosuch\/kafka:1/)
    assert.match(unwrapped(failed.stderr), /Adopting the existing data of cluster "lc-dl" from its Docker volumes \(kcl-lc-dl_kafka-1-data; cluster id [\w-]{22}\)/)
    assert.match(unwrapped(failed.stderr), /This kcl up (was undone|changed nothing).*Its existing volumes are untouched \(kcl-lc-dl_kafka-1-data\)/)
    assert.deepEqual(await volumes(), [DATA_VOLUME], 'the volume is still there')
    assert.deepEqual(await containerIds(), [])
    assert.equal(existsSync(join(other, 'clusters', NAME)), false, 'the failed up saved nothing')

    // Another broker count cannot be the same cluster: refused before anything starts.
    const resized = await run(other, ['up', '--name', NAME, '--port', String(PORT), '--brokers', '3'])
    assertOneClearLine(resized, /Cluster "lc-dl" has the data of 1 broker\(s\) in its Docker volumes; it cannot start with 3\./)
    assert.equal(resized.exitCode, 2)
    assert.match(unwrapped(resized.stderr), /kcl up --name lc-dl --brokers 1.*kcl down --name lc-dl --volumes --yes/)
    assert.deepEqual(await volumes(), [DATA_VOLUME])
    assert.equal(existsSync(join(other, 'clusters', NAME)), false)

    const adopted = await run(other, ['up', '--name', NAME, '--port', String(PORT)])
    assert.equal(adopted.exitCode, 0, adopted.stderr)
    assert.match(adopted.stderr, /Adopting the existing data of cluster "lc-dl"/)
    assert.deepEqual(await records(), RECORDS, 'every record is readable after the adoption')
    assert.deepEqual(await volumes(), [DATA_VOLUME])
    assert.equal(JSON.parse(readFileSync(join(other, 'clusters', NAME, 'cluster.json'), 'utf8')).clusterId, JSON.parse(readFileSync(join(first, 'clusters', NAME, 'cluster.json'), 'utf8')).clusterId)
  })

  it('a corrupt or hand-edited cluster.json is refused with one line naming the file and field, and nothing changes', async () => {
    const file = join(other, 'clusters', NAME, 'cluster.json')
    const good = readFileSync(file, 'utf8')
    const spec = JSON.parse(good) as Record<string, unknown>
    const containers = await containerIds()
    const cases: [string, RegExp][] = [
      ['{"name": "lc-dl", "brok', /cluster\.json is not valid JSON\./],
      ['', /cluster\.json is not valid JSON\./],
      ['{}', /cluster\.json: "name" must be "lc-dl" \(the name of its directory\), not missing\./],
      ['null', /cluster\.json: it must hold a JSON object, not null\./],
      ['"lc-dl"', /cluster\.json: it must hold a JSON object, not "lc-dl"\./],
      [JSON.stringify({...spec, name: 'lc-other'}), /"name" must be "lc-dl" .*not "lc-other"/],
      [JSON.stringify({...spec, expose: 'yes'}), /"expose" must be true or false, not "yes"/],
      [JSON.stringify({...spec, brokers: 100000}), /"brokers" must be a whole number from 1 to 9, not 100000/],
      [JSON.stringify({...spec, basePort: -1}), /"basePort" must be a whole number from 1024/],
      [JSON.stringify({...spec, image: 'Bad Image'}), /"image" must be a Docker image reference/],
      [JSON.stringify({...spec, clusterId: 7}), /"clusterId" must be a KRaft cluster id/],
      [JSON.stringify({...spec, security: 'tls'}), /"security" must be plaintext, ssl/],
    ]
    try {
      for (const [content, pattern] of cases) {
        writeFileSync(file, content)
        for (const args of [['up'], ['down'], ['status']]) {
          const refused = await run(other, [...args, '--name', NAME])
          assertOneClearLine(refused, pattern)
          assert.ok(unwrapped(refused.stderr).includes(file), `${args[0]} names the file`)
          assert.match(unwrapped(refused.stderr), /Fix it, or delete it: the next `(npx )?kcl up --name lc-dl` adopts the cluster's data/)
          assert.equal(readFileSync(file, 'utf8'), content, `${args[0]} left the file as it was`)
        }
      }
    } finally {
      writeFileSync(file, good)
    }
    assert.deepEqual(await containerIds(), containers, 'the running brokers were not touched')
    assert.deepEqual(await volumes(), [DATA_VOLUME])
    assert.deepEqual(await records(), RECORDS)
  })

  it('two kcl up of one cluster at once: one starts it, the other waits or says another is running', async () => {
    assert.equal((await run(other, ['down', '--name', NAME])).exitCode, 0)
    const [a, b] = await Promise.all([run(other, ['up', '--name', NAME, '--json']), run(other, ['up', '--name', NAME, '--json'])])
    const results = [a, b]
    assert.ok(results.some((r) => r.exitCode === 0 && JSON.parse(r.stdout).alreadyRunning === false), 'one started the cluster')
    for (const r of results) {
      if (r.exitCode === 0) continue
      assert.equal(r.exitCode, 3, r.stderr)
      assertOneClearLine(r, /Another `(npx )?kcl up` \(process \d+, since [^)]+\) is changing cluster "lc-dl"\./)
    }
    assert.equal((await containerIds()).length, 1, 'one broker container, not two')
    assert.deepEqual(await volumes(), [DATA_VOLUME])
    assert.deepEqual(await records(), RECORDS)
    assert.equal(existsSync(join(other, 'locks', `${NAME}.lock`)), false, 'the lock is released')
  })

  it('kill -9 of kcl up on an existing cluster leaves nothing that blocks the next up, and loses nothing', async () => {
    assert.equal((await run(other, ['down', '--name', NAME])).exitCode, 0)
    const spec = readFileSync(join(other, 'clusters', NAME, 'cluster.json'), 'utf8')
    await killedDuringUp(other, ['--name', NAME], NAME)
    assert.equal(readFileSync(join(other, 'clusters', NAME, 'cluster.json'), 'utf8'), spec, 'the saved spec is whole and unchanged')
    const again = await run(other, ['up', '--name', NAME])
    assert.equal(again.exitCode, 0, again.stderr)
    assert.deepEqual(await volumes(), [DATA_VOLUME])
    assert.deepEqual(await records(), RECORDS)
  })

  it('kill -9 of the first kcl up of a new cluster leaves nothing that blocks the next up', async () => {
    const args = ['--name', 'lc-new', '--port', String(PORT + 10)]
    await killedDuringUp(fresh, args, 'lc-new')
    const again = await run(fresh, ['up', ...args, '--json'])
    assert.equal(again.exitCode, 0, again.stderr)
    assert.deepEqual(await volumes('lc-new'), ['kcl-lc-new_kafka-1-data'])
    const gone = await run(fresh, ['down', ...args.slice(0, 2), '--volumes', '--yes'])
    assert.equal(gone.exitCode, 0, gone.stderr)
    for (const kind of ['container', 'volume', 'network'] as const) assert.deepEqual(await clusterResources(kind, 'lc-new'), [], `${kind}s left`)
  })
})
