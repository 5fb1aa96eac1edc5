import assert from 'node:assert/strict'
import {execa} from 'execa'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {newClusterSpec} from '../../src/cluster/spec.ts'
import {renderCompose} from '../../src/cluster/compose-file.ts'
import {clusterResources, hasComposeV2} from '../support/docker.ts'
import {produceValues, readValues} from '../support/kafka.ts'
import {kcl, tempKclHome} from '../support/kcl.ts'

// Issue 3's proof: up → round trip → status → down → up → data still there → down --volumes → nothing left,
// for 1 and 3 brokers, run side by side as two clusters with different names and ports. When the compose v2
// plugin is present the 1-broker cluster uses it and the 3-broker cluster uses docker-compose v1.
const home = tempKclHome()
const v2 = await hasComposeV2()
const clusters = [
  {name: 'e2e-life-1', brokers: 1, port: 19092, compose: v2 ? 'v2' : 'v1'},
  {name: 'e2e-life-3', brokers: 3, port: 19192, compose: 'v1'},
]

function run(args: string[], compose: string) {
  return kcl(args, {env: {KCL_HOME: home, KCL_COMPOSE: compose}})
}

function json<T>(result: {stdout: string}): T {
  return JSON.parse(result.stdout) as T
}

after(async () => {
  for (const c of clusters) await run(['down', '--name', c.name, '--volumes', '--yes'], c.compose)
})

describe('kcl up, status and down on a real engine', {concurrency: true}, () => {
  for (const c of clusters) {
    it(`${c.brokers} broker(s) with docker compose ${c.compose}: data survives down/up, --volumes leaves nothing`, async () => {
      const servers = Array.from({length: c.brokers}, (_, i) => `localhost:${c.port + i}`)
      const up = await run(['up', '--name', c.name, '--brokers', String(c.brokers), '--port', String(c.port), '--json'], c.compose)
      assert.equal(up.exitCode, 0, up.stderr)
      const ready = json<{bootstrapServers: string; activeController: number; alreadyRunning: boolean; dockerBootstrapServers: string}>(up)
      assert.equal(ready.bootstrapServers, servers.join(','))
      assert.equal(ready.alreadyRunning, false)
      assert.ok(ready.activeController >= 1 && ready.activeController <= Math.min(3, c.brokers))
      assert.equal(ready.dockerBootstrapServers, Array.from({length: c.brokers}, (_, i) => `kafka-${i + 1}:19092`).join(','))

      const value = `kept across down and up ${Date.now()}`
      await produceValues(servers, 'e2e-persist', [value])
      assert.deepEqual(await readValues(servers, 'e2e-persist', 1), [value])

      const status = await run(['status', '--name', c.name, '--json'], c.compose)
      assert.equal(status.exitCode, 0, status.stderr)
      const s = json<{state: string; activeController: number; brokers: {nodeId: number; state: string; registered: boolean; hostPort: number; activeController: boolean}[]}>(status)
      assert.equal(s.state, 'running')
      assert.deepEqual(s.brokers.map((b) => [b.nodeId, b.state, b.registered, b.hostPort]), servers.map((_, i) => [i + 1, 'running', true, c.port + i]))
      assert.deepEqual(s.brokers.filter((b) => b.activeController).map((b) => b.nodeId), [s.activeController])

      const again = await run(['up', '--name', c.name, '--json'], c.compose)
      assert.equal(again.exitCode, 0, again.stderr)
      assert.equal(json<{alreadyRunning: boolean}>(again).alreadyRunning, true)

      const resize = await run(['up', '--name', c.name, '--brokers', String(c.brokers + 1)], c.compose)
      assert.equal(resize.exitCode, 2)
      assert.match(resize.stderr, /already exists with \d broker\(s\)/)
      assert.doesNotMatch(resize.stderr, /\n\s+at /, 'no stack trace')

      // The only volume a broker's container mounts is its named data volume: nothing anonymous is left behind.
      const mounts = await execa('docker', ['ps', '--no-trunc', '--filter', `label=com.kcl.cluster=${c.name}`, '--format', '{{.Mounts}}'])
      assert.deepEqual(mounts.stdout.split('\n').sort(), servers.map((_, i) => `kcl-${c.name}_kafka-${i + 1}-data`).sort())

      const down = await run(['down', '--name', c.name], c.compose)
      assert.equal(down.exitCode, 0, down.stderr)
      assert.deepEqual(await clusterResources('container', c.name), [])
      assert.equal((await clusterResources('volume', c.name)).length, c.brokers, 'down keeps the volumes')
      const stopped = await run(['status', '--name', c.name, '--json'], c.compose)
      assert.equal(stopped.exitCode, 4)

      const refused = await run(['down', '--name', c.name, '--volumes'], c.compose)
      assert.equal(refused.exitCode, 2, 'without a terminal, --volumes needs --yes')
      assert.match(refused.stderr, /--yes/)
      assert.equal((await clusterResources('volume', c.name)).length, c.brokers, 'nothing deleted without --yes')

      const back = await run(['up', '--name', c.name, '--json'], c.compose)
      assert.equal(back.exitCode, 0, back.stderr)
      assert.deepEqual(await readValues(servers, 'e2e-persist', 1), [value])

      const gone = await run(['down', '--name', c.name, '--volumes', '--yes'], c.compose)
      assert.equal(gone.exitCode, 0, gone.stderr)
      for (const kind of ['container', 'volume', 'network'] as const) assert.deepEqual(await clusterResources(kind, c.name), [], `${kind}s left`)
    })
  }
})

describe('kcl up when a broker cannot start', () => {
  it('names the broker, shows its last log lines and what to try, and removes what it created', async () => {
    // A 1 MiB heap is too small for Kafka's JVM: the broker exits at once, as on a machine out of memory.
    const name = 'e2e-life-broken'
    const up = await run(['up', '--name', name, '--port', '19300', '--heap', '1m', '--timeout', '60'], 'v1')
    assert.equal(up.exitCode, 3, up.stderr)
    assert.match(up.stderr, /Broker 1 \(kafka-1\) stopped \(exit code \d+\) while starting/)
    assert.match(up.stderr, /Last log lines of kcl[-_]e2e-life-broken[-_]kafka-1[-_]1/)
    assert.match(up.stderr, /heap/i)
    assert.match(up.stderr, /kcl doctor/)
    assert.doesNotMatch(up.stderr, /ECONNREFUSED|\n\s+at /)
    assert.match(up.stderr.replace(/\s*\n\s*›\s*/g, ' '), /This kcl up was undone: removed the 1 container\(s\) it created, removed the 1 volume\(s\) it created/)
    for (const kind of ['container', 'volume', 'network'] as const) assert.deepEqual(await clusterResources(kind, name), [], `${kind}s left`)
    const down = await run(['down', '--name', name, '--volumes', '--yes'], 'v1')
    assert.equal(down.exitCode, 4, 'nothing is left to take down')
  })
})

describe('the rendered compose files', () => {
  for (const variant of v2 ? (['v2', 'v1'] as const) : (['v1'] as const)) {
    it(`are accepted by ${variant === 'v2' ? 'docker compose' : 'docker-compose'} config for 1, 2, 3 and 5 brokers`, async () => {
      for (const brokers of [1, 2, 3, 5]) {
        const file = join(home, `config-check-${variant}-${brokers}.yaml`)
        writeFileSync(file, renderCompose(newClusterSpec({name: 'e2e-config', brokers}), variant))
        const [program, ...lead] = variant === 'v2' ? ['docker', 'compose'] : ['docker-compose']
        const config = await execa(program as string, [...lead, '--project-name', 'kcl-e2e-config', '--file', file, 'config', '--quiet'], {reject: false})
        assert.equal(config.exitCode, 0, `${brokers} broker(s): ${config.stderr}`)
      }
    })
  }
})

describe('kcl up --dry-run and bad input', () => {
  it('prints the compose file and starts nothing', async () => {
    const dry = await run(['up', '--name', 'e2e-life-dry', '--brokers', '3', '--dry-run'], 'v1')
    assert.equal(dry.exitCode, 0, dry.stderr)
    assert.match(dry.stdout, /kafka-3:/)
    assert.match(dry.stdout, /127\.0\.0\.1:9094:9092/)
    assert.deepEqual(await clusterResources('container', 'e2e-life-dry'), [])
  })

  it('refuses bad flags with one line and exit 2', async () => {
    for (const args of [['--brokers', '0'], ['--name', 'Not Valid'], ['--port', '70000'], ['--image', 'bad image']]) {
      const result = await run(['up', ...args], 'v1')
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.doesNotMatch(result.stderr, /\n\s+at /)
    }
  })
})
