import assert from 'node:assert/strict'
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {kcl, tempKclHome} from '../support/kcl.ts'

// Issue 16's proof of Podman as kcl's engine, on Debian's podman with podman-compose (test/env/setup.sh installs both
// and copies the test image into Podman's storage): the lifecycle a user goes through, data kept across down and up,
// doctor's Podman checks, and nothing left behind. KCL_ENGINE=podman is set because Docker is installed here too.
const CLUSTER = 'inst-podman'
const PORT = 26630
const TOPIC = 'podman-topic'
const home = tempKclHome()

function run(args: string[], options: {input?: string; env?: Record<string, string>} = {}) {
  return kcl(args, {input: options.input, env: {KCL_HOME: home, KCL_ENGINE: 'podman', ...options.env}})
}

async function podmanResources(kind: 'container' | 'volume' | 'network'): Promise<string[]> {
  const args = kind === 'container' ? ['ps', '--all', '--format', '{{.Names}}'] : [kind, 'ls', '--format', '{{.Name}}']
  const {stdout} = await execa('podman', [...args, '--filter', `label=com.kcl.cluster=${CLUSTER}`])
  return stdout.split('\n').filter(Boolean).sort()
}

after(async () => {
  await run(['down', '--name', CLUSTER, '--volumes', '--yes'])
})

describe('kcl with Podman (KCL_ENGINE=podman, podman-compose)', () => {
  it('says in one line when podman is missing', async () => {
    // A PATH with node's directory only: no podman, no docker.
    const bin = mkdtempSync(join(tmpdir(), 'kcl-no-podman-'))
    mkdirSync(join(bin, 'bin'))
    symlinkSync(process.execPath, join(bin, 'bin', 'node'))
    const result = await run(['up', '--name', CLUSTER, '--port', String(PORT)], {env: {PATH: join(bin, 'bin')}})
    assert.equal(result.exitCode, 3, result.stderr)
    assert.match(result.stderr, /there is no `podman` command on your PATH/i)
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
  })

  it('runs a cluster: up, status, produce, consume with a group, down keeping the data, up again', async () => {
    const up = await run(['up', '--name', CLUSTER, '--port', String(PORT)])
    assert.equal(up.exitCode, 0, up.stderr)
    assert.match(up.stdout, /Write compose file \((podman compose|podman-compose) /)
    assert.deepEqual((await podmanResources('container')).map((name) => /kafka-1/.test(name)), [true])

    const status = await run(['status', '--name', CLUSTER, '--json'])
    assert.equal(status.exitCode, 0, status.stderr)
    const s = JSON.parse(status.stdout) as {state: string; brokers: {state: string; registered: boolean; kafkaVersion: string}[]}
    assert.equal(s.state, 'running')
    assert.equal(s.brokers[0]?.registered, true)
    assert.match(s.brokers[0]?.kafkaVersion ?? '', /^\d+\.\d+\.\d+$/)

    assert.equal((await run(['topic', 'create', TOPIC, '--name', CLUSTER])).exitCode, 0)
    const produce = await run(['produce', TOPIC, '--name', CLUSTER], {input: 'kept by podman\n'})
    assert.equal(produce.exitCode, 0, produce.stderr)

    const down = await run(['down', '--name', CLUSTER])
    assert.equal(down.exitCode, 0, down.stderr)
    assert.deepEqual(await podmanResources('container'), [])
    assert.equal((await podmanResources('volume')).length, 1, 'down keeps the volume')

    const again = await run(['up', '--name', CLUSTER])
    assert.equal(again.exitCode, 0, again.stderr)
    const consume = await run(['consume', TOPIC, '--name', CLUSTER, '--group', 'podman-group', '--from', 'beginning', '--exit-at-end'])
    assert.equal(consume.exitCode, 0, consume.stderr)
    assert.deepEqual(consume.stdout.split('\n').filter(Boolean), ['kept by podman'])
  })

  it('doctor checks Podman, its compose provider and the running cluster', async () => {
    const doctor = await run(['doctor', '--name', CLUSTER, '--json'])
    const report = JSON.parse(doctor.stdout) as {ok: boolean; checks: {id: string; status: string; detail: string}[]}
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]))
    assert.equal(byId['podman.binary']?.status, 'ok')
    assert.match(byId['podman.service']?.detail ?? '', /^Podman \d/)
    assert.match(byId['podman.compose']?.detail ?? '', /podman(-| )compose/)
    assert.equal(byId['docker.daemon'], undefined, 'no Docker checks with Podman')
    assert.ok(report.checks.some((c) => c.id.startsWith('cluster.')), 'the cluster is checked through Podman')
    assert.deepEqual(report.checks.filter((c) => c.status === 'fail'), [])
  })

  it('down --volumes leaves nothing in Podman', async () => {
    const down = await run(['down', '--name', CLUSTER, '--volumes', '--yes'])
    assert.equal(down.exitCode, 0, down.stderr)
    for (const kind of ['container', 'volume', 'network'] as const) assert.deepEqual(await podmanResources(kind), [], kind)
  })
})
