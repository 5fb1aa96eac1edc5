import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {clusterResources} from '../support/docker.ts'
import {kcl, tempKclHome} from '../support/kcl.ts'

// Issue 13's engine, signal and doctor proof, on real Docker and Kafka: a stopped (SIGSTOP) private engine; Ctrl-C
// during `up` of a new and of an existing cluster; kill -9 during `cluster failover`; `doctor --fix` after a "reboot"
// of two clusters. Ports 26400-26449, names sig-*.
const home = tempKclHome()
const env = {KCL_HOME: home}
const ONE = {name: 'sig-one', port: 26401}
const HA = {name: 'sig-ha', port: 26402} // 26402-26404
const NEW = {name: 'sig-new', port: 26405}
const RECORDS = ['r1', 'r2', 'r3', 'r4', 'r5']

function run(args: string[], options: {env?: Record<string, string>; timeoutMs?: number} = {}) {
  return kcl(args, {env: {...env, ...options.env}, timeoutMs: options.timeoutMs})
}

/** oclif wraps error messages to the terminal width; the words are what matters. */
function unwrapped(stderr: string): string {
  return stderr.replace(/\s*\n\s*›\s*/g, ' ')
}

/** Resolves once the running kcl printed a line matching `pattern` (progress prints each step as it starts). */
function printed(child: ReturnType<typeof kcl>, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const look = (chunk: Buffer) => {
      seen += chunk.toString()
      if (pattern.test(seen)) resolve()
    }
    child.stdout?.on('data', look)
    child.stderr?.on('data', look)
    child.then(() => reject(new Error(`kcl ended without printing ${pattern}:\n${seen}`)), reject)
  })
}

/** Sends kcl a signal as a shell's kill does (execa's own kill would add a SIGKILL 5 s later, cutting short kcl's clean-up). */
function signal(child: ReturnType<typeof kcl>, name: NodeJS.Signals): void {
  process.kill(child.pid as number, name)
}

/** Resolves at the next Docker event of this kind (e.g. kill: Docker signalled a container) of the cluster's containers. */
function dockerEvent(cluster: string, event: string): Promise<void> {
  const events = execa('docker', ['events', '--filter', `label=com.kcl.cluster=${cluster}`, '--filter', `event=${event}`, '--format', '{{.ID}}'], {reject: false})
  return new Promise<void>((resolve) => {
    events.stdout?.once('data', () => {
      events.kill()
      resolve()
    })
  })
}

/** Resolves once the process runs a child whose command line matches `pattern`. */
async function childProcess(pid: number, pattern: RegExp): Promise<void> {
  for (let i = 0; ; i++) {
    const {stdout} = await execa('ps', ['-o', 'args=', '--ppid', String(pid)], {reject: false})
    if (stdout.split('\n').some((line) => pattern.test(line.trim()))) return
    assert.ok(i < 2000, `process ${pid} never ran ${pattern}`)
    await sleep(50)
  }
}

async function containerStates(cluster: string): Promise<Map<string, string>> {
  const names = await clusterResources('container', cluster)
  if (names.length === 0) return new Map()
  const {stdout} = await execa('docker', ['inspect', '--format', '{{.Name}} {{.State.Status}}', ...names])
  return new Map(stdout.split('\n').map((line) => line.replace(/^\//, '').split(' ') as [string, string]))
}

async function recordsIn(cluster: string, topic: string): Promise<string[]> {
  const read = await run(['consume', topic, '--from', 'beginning', '--exit-at-end', '--output', 'raw', '--name', cluster])
  assert.equal(read.exitCode, 0, read.stderr)
  return read.stdout.split('\n').filter(Boolean)
}

async function up(cluster: {name: string; port: number}, brokers: number): Promise<void> {
  const result = await run(['up', '--name', cluster.name, '--port', String(cluster.port), '--brokers', String(brokers)])
  assert.equal(result.exitCode, 0, result.stderr)
}

/** Removes a cluster and its data, by its label even without saved state (what an interrupted earlier run left). */
async function down(name: string): Promise<void> {
  const result = await run(['down', '--name', name, '--volumes', '--yes'])
  if (result.exitCode !== 0 && result.exitCode !== 4) console.error(`kcl down --name ${name}: ${result.stderr}`)
}

describe('a stopped (SIGSTOP) private Docker engine', () => {
  // A second dockerd of its own, so that stopping it disturbs nothing else on this machine. It runs in a network
  // namespace of its own: a dockerd started with --bridge=none deletes any docker0 it sees, the shared engine's too.
  const netns = 'kcl-sig-engine'
  const dir = mkdtempSync(join(tmpdir(), 'kcl-sig-engine-'))
  const socket = join(dir, 'docker.sock')
  const engineEnv = {DOCKER_HOST: `unix://${socket}`}
  let pid: number | undefined

  before(async () => {
    await execa('ip', ['netns', 'delete', netns], {reject: false})
    await execa('ip', ['netns', 'add', netns])
    // nsenter execs dockerd in place, so the child's pid is dockerd's own (the one SIGSTOP must reach).
    const daemon = spawn(
      'nsenter',
      [`--net=/run/netns/${netns}`, 'dockerd', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '--host', `unix://${socket}`, '--bridge=none', '--iptables=false', '--ip-masq=false'],
      {stdio: 'ignore', detached: true},
    )
    daemon.unref()
    pid = daemon.pid
    for (let i = 0; ; i++) {
      if ((await execa('docker', ['info', '--format', '{{.ServerVersion}}'], {env: engineEnv, reject: false})).exitCode === 0) break
      if (i > 120) throw new Error(`the private dockerd did not start (log: ${dir})`)
      await sleep(500)
    }
    process.kill(pid as number, 'SIGSTOP')
  })

  after(async () => {
    if (pid !== undefined) {
      process.kill(pid, 'SIGCONT')
      process.kill(pid, 'SIGTERM')
      for (let i = 0; i < 60; i++) {
        try {
          process.kill(pid, 0)
        } catch {
          break
        }
        await sleep(500)
      }
    }
    await execa('ip', ['netns', 'delete', netns], {reject: false})
    rmSync(dir, {recursive: true, force: true})
  })

  it('every command that needs Docker says so in one line with exit 3, and doctor explains it', async () => {
    const commands = [
      ['status'],
      // Two names: up and down of one cluster would wait for each other's lock.
      ['up', '--name', 'sig-stuck-up', '--port', '26440'],
      ['down', '--name', 'sig-stuck-down'],
      ['topic', 'list'],
      ['produce', 'sig-topic', 'a record'],
    ]
    // All at once: each waits for the engine until its bound, and must then return.
    const [doctor, ...results] = await Promise.all([
      run(['doctor', '--json'], {env: engineEnv, timeoutMs: 120_000}),
      ...commands.map((args) => run(args, {env: engineEnv, timeoutMs: 120_000})),
    ])
    for (const [i, result] of results.entries()) {
      const args = (commands[i] as string[]).join(' ')
      assert.equal(result.exitCode, 3, `kcl ${args}: ${result.stderr}`)
      assert.match(unwrapped(result.stderr), /Error: Docker does not answer: `docker \w+` got no reply within \d+ s\. Try this: The engine is stuck, paused or overloaded\. Restart it/, `kcl ${args}`)
      assert.doesNotMatch(result.stderr, /\n\s+at /, `kcl ${args}: no stack trace`)
    }
    const report = JSON.parse(doctor.stdout) as {checks: {id: string; status: string; detail: string; fix?: {text: string}[]}[]}
    const daemon = report.checks.find((check) => check.id === 'docker.daemon')
    assert.equal(daemon?.status, 'fail')
    assert.match(daemon?.detail ?? '', new RegExp(`^Docker does not answer within 10 s\\. The engine at unix://${socket} takes the connection but does not reply: it is stuck, paused`))
    assert.ok(daemon?.fix?.some((step) => /restart docker/.test(step.text)))
    assert.equal(doctor.exitCode, 1)
  })
})

describe('Ctrl-C, kill -9 and a reboot on real clusters', () => {
  before(async () => {
    await Promise.all([ONE.name, HA.name, NEW.name].map(down))
    await up(ONE, 1)
    await up(HA, 3)
    for (const [cluster, replication] of [[ONE.name, '1'], [HA.name, '3']] as const) {
      assert.equal((await run(['topic', 'create', 'kept', '--partitions', '2', '--replication-factor', replication, '--name', cluster])).exitCode, 0)
      const produced = await kcl(['produce', 'kept', '--name', cluster], {env, input: `${RECORDS.join('\n')}\n`})
      assert.equal(produced.exitCode, 0, produced.stderr)
    }
  })

  after(async () => {
    await Promise.all([ONE.name, HA.name, NEW.name].map(down))
    rmSync(home, {recursive: true, force: true})
  })

  it('Ctrl-C during `up` of a new cluster: exit 130, one line, nothing of it left', async () => {
    const starting = run(['up', '--name', NEW.name, '--port', String(NEW.port)])
    // Its container and volume exist by then, and its broker is starting: the most there is to undo.
    await printed(starting, /Wait for brokers/)
    signal(starting, 'SIGINT')
    const result = await starting
    assert.equal(result.exitCode, 130, result.stderr)
    assert.match(unwrapped(result.stderr), /Error: Interrupted \(Ctrl-C\): cluster "sig-new" was not created; nothing of it is left\. Try this: `.+? up --name sig-new` creates it\./)
    assert.deepEqual(await clusterResources('container', NEW.name), [])
    assert.deepEqual(await clusterResources('volume', NEW.name), [])
    assert.deepEqual(await clusterResources('network', NEW.name), [])
    assert.equal(existsSync(join(home, 'clusters', NEW.name)), false, 'kcl forgot the cluster')
  })

  it('kill -9 of kcl during `cluster failover`: `cluster restore` brings the broker back, every record kept', async () => {
    // The moment that matters: Docker has begun stopping the broker (its SIGTERM is sent), kcl has not seen it through.
    const stopping = dockerEvent(HA.name, 'kill')
    const failing = run(['cluster', 'failover', '--name', HA.name])
    await stopping
    signal(failing, 'SIGKILL')
    await failing.catch(() => undefined)
    // kcl is gone, but Docker finishes the stop it was told to do.
    for (let i = 0; ; i++) {
      if ([...(await containerStates(HA.name)).values()].some((state) => state !== 'running')) break
      assert.ok(i < 180, 'a broker was stopped')
      await sleep(500)
    }
    const restored = await run(['cluster', 'restore', '--name', HA.name, '--json'])
    assert.equal(restored.exitCode, 0, restored.stderr)
    assert.equal((JSON.parse(restored.stdout) as {started: number[]}).started.length, 1)
    const status = JSON.parse((await run(['status', '--name', HA.name, '--json'])).stdout) as {state: string; brokers: {state: string}[]}
    assert.equal(status.state, 'running')
    assert.deepEqual(status.brokers.map((b) => b.state), ['running', 'running', 'running'])
    assert.deepEqual((await recordsIn(HA.name, 'kept')).sort(), RECORDS)
  })

  it('SIGTERM during `cluster failover`: exit 143, which broker is stopped, and `cluster restore` brings it back', async () => {
    const failing = run(['cluster', 'failover', '--name', HA.name])
    await childProcess(failing.pid as number, /^docker stop /)
    signal(failing, 'SIGTERM')
    const result = await failing
    assert.equal(result.exitCode, 143, result.stderr)
    assert.match(
      unwrapped(result.stderr),
      /Error: Stopped by SIGTERM during the failover of broker (\d): 2 of 3 broker\(s\) of cluster "sig-ha" running \(broker \1 stopped\)\. Try this: `.+? cluster restore --name sig-ha` starts the stopped brokers/,
    )
    const restored = await run(['cluster', 'restore', '--name', HA.name, '--json'])
    assert.equal(restored.exitCode, 0, restored.stderr)
    assert.equal((JSON.parse(restored.stdout) as {started: number[]}).started.length, 1)
    assert.deepEqual((await recordsIn(HA.name, 'kept')).sort(), RECORDS)
  })

  it('Ctrl-C during `broker restart`: exit 130, how many brokers run, and the cluster serves again', async () => {
    const restarting = run(['broker', 'restart', '2', '--name', HA.name])
    await printed(restarting, /Start broker 2/)
    signal(restarting, 'SIGINT')
    const result = await restarting
    assert.equal(result.exitCode, 130, result.stderr)
    assert.match(unwrapped(result.stderr), /Error: Interrupted \(Ctrl-C\) during broker restart 2: [23] of 3 broker\(s\) of cluster "sig-ha" running.*\. Try this: `.+? (cluster restore|status) --name sig-ha`/)
    const restored = await run(['cluster', 'restore', '--name', HA.name])
    assert.equal(restored.exitCode, 0, restored.stderr)
    assert.deepEqual((await recordsIn(HA.name, 'kept')).sort(), RECORDS)
  })

  it('`doctor --fix` after a reboot (every container of two clusters stopped) checks and starts both', async () => {
    const containers = [...(await clusterResources('container', ONE.name)), ...(await clusterResources('container', HA.name))]
    assert.equal(containers.length, 4)
    assert.equal((await execa('docker', ['stop', ...containers])).exitCode, 0)

    // What --fix will do, first without doing it: both clusters checked, all four brokers to start, none removed.
    // (Other kcl clusters on this engine, e.g. of tests running beside these, would be repaired too: wait until none needs it.)
    type Report = {clusters: string[]; checks: {id: string; cluster?: string; fixable?: {commands: string[][]}}[]}
    let report: Report | undefined
    for (let i = 0; ; i++) {
      report = JSON.parse((await run(['doctor', '--json'])).stdout) as Report
      const touched = report.checks.flatMap((check) => check.fixable?.commands ?? []).flatMap((args) => args.slice(1))
      if (touched.every((name) => name.startsWith('kcl-sig-'))) break
      assert.ok(i < 20, `doctor --fix would also repair what is not this test's: ${touched.join(', ')}`)
      await sleep(3000)
    }
    assert.ok(report.clusters.includes(ONE.name) && report.clusters.includes(HA.name), `doctor checks both: ${report.clusters.join(', ')}`)
    const starts = report.checks.filter((check) => check.id === 'cluster.brokers').flatMap((check) => check.fixable?.commands ?? [])
    assert.deepEqual(starts.flatMap((args) => (args[0] === 'start' ? args.slice(1) : [])).sort(), containers.sort())
    const removals = report.checks.filter((check) => check.id === 'cluster.leftovers').flatMap((check) => check.fixable?.commands ?? []).flat()
    assert.ok(!removals.some((name) => containers.includes(name)), `no container of theirs is a leftover: ${removals.join(' ')}`)

    const fixed = await run(['doctor', '--fix', '--yes', '--json'])
    const repairs = (JSON.parse(fixed.stdout) as {repairs?: {ok: boolean; commands: string[][]}[]}).repairs ?? []
    assert.ok(repairs.length > 0 && repairs.every((repair) => repair.ok), fixed.stdout)
    for (const cluster of [ONE.name, HA.name]) {
      assert.deepEqual([...(await containerStates(cluster)).values()].filter((state) => state !== 'running'), [], `${cluster} runs again`)
      assert.deepEqual((await recordsIn(cluster, 'kept')).sort(), RECORDS)
    }
  })

  it('Ctrl-C during `up` of an existing, stopped cluster: exit 130, its volumes and records kept', async () => {
    assert.equal((await run(['down', '--name', ONE.name])).exitCode, 0)
    const volumes = await clusterResources('volume', ONE.name)
    assert.equal(volumes.length, 1)
    const spec = readFileSync(join(home, 'clusters', ONE.name, 'cluster.json'), 'utf8')

    const starting = run(['up', '--name', ONE.name])
    await printed(starting, /Wait for brokers/)
    signal(starting, 'SIGINT')
    const result = await starting
    assert.equal(result.exitCode, 130, result.stderr)
    assert.match(unwrapped(result.stderr), /Error: Interrupted \(Ctrl-C\): cluster "sig-one" is stopped; its data is kept in 1 volume\(s\)\. Try this: `.+? up --name sig-one` starts it\./)
    assert.deepEqual(await clusterResources('container', ONE.name), [])
    assert.deepEqual(await clusterResources('volume', ONE.name), volumes)
    assert.equal(readFileSync(join(home, 'clusters', ONE.name, 'cluster.json'), 'utf8'), spec, 'the saved spec is unchanged')

    const again = await run(['up', '--name', ONE.name])
    assert.equal(again.exitCode, 0, again.stderr)
    assert.deepEqual((await recordsIn(ONE.name, 'kept')).sort(), RECORDS)
  })
})
