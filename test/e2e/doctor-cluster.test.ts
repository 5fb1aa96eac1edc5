import assert from 'node:assert/strict'
import {execa} from 'execa'
import {after, before, describe, it} from 'node:test'
import {check, doctor as runDoctor, type Report} from '../support/doctor.ts'
import {produceValues} from '../support/kafka.ts'
import {kafkaImage, kcl, tempKclHome} from '../support/kcl.ts'

// Issue 6's proof for a running cluster: all ✓ when healthy; a broker stopped, a broker killed mid-run and a
// stale cluster id in a volume each found, with --fix starting the brokers and only printing what deletes data.
const home = tempKclHome()
const name = 'e2e-doctor'
const servers = ['localhost:25092', 'localhost:25093', 'localhost:25094']
const docker = (args: string[]) => execa('docker', args, {reject: false})

function doctor(args: string[] = []) {
  return runDoctor(['--name', name, ...args], {KCL_HOME: home})
}

async function containerOf(nodeId: number): Promise<string> {
  const {stdout} = await docker(['ps', '--all', '--filter', `label=com.kcl.cluster=${name}`, '--filter', `label=com.kcl.node-id=${nodeId}`, '--format', '{{.Names}}'])
  return stdout.trim()
}

/** Asks the doctor until every check passes (brokers started by --fix need a moment to rejoin). */
async function allHealthy(timeoutMs = 120_000): Promise<Report> {
  const deadline = Date.now() + timeoutMs
  let last: Report | undefined
  while (Date.now() < deadline) {
    last = (await doctor()).report
    if (last.checks.every((c) => c.status === 'ok')) return last
    await new Promise((resolve) => setTimeout(resolve, 3000))
  }
  assert.fail(`not all ✓ within ${timeoutMs / 1000} s: ${JSON.stringify(last?.checks.filter((c) => c.status !== 'ok'))}`)
}

before(async () => {
  const up = await kcl(['up', '--name', name, '--brokers', '3', '--port', '25092', '--json'], {env: {KCL_HOME: home}, timeoutMs: 400_000})
  assert.equal(up.exitCode, 0, up.stderr)
  await produceValues(servers, 'doctor-replicated', ['one', 'two'])
})

after(async () => {
  await kcl(['down', '--name', name, '--volumes', '--yes'], {env: {KCL_HOME: home}})
})

describe('kcl doctor on a running 3-broker cluster', () => {
  it('reports all ✓ on a healthy machine and cluster', async () => {
    const report = await allHealthy()
    assert.equal(report.summary.fail, 0)
    assert.equal(report.summary.warn, 0)
    for (const id of ['docker.daemon', 'compose', 'network.ports', 'network.listeners', 'cluster.brokers', 'cluster.quorum', 'cluster.partitions', 'cluster.ids']) {
      assert.equal(check(report, id).status, 'ok', id)
    }
    assert.match(check(report, 'cluster.brokers').detail, /3 of 3 broker\(s\) running and healthy/)
    assert.match(check(report, 'network.listeners').detail, /localhost:25092, localhost:25093, localhost:25094, all reachable/)
    assert.match(check(report, 'network.ports').detail, /25092-25094 held by the cluster's brokers/)
    assert.match(check(report, 'cluster.ids').detail, /all 3 volume\(s\) carry cluster id/)
    const human = await kcl(['doctor', '--name', name], {env: {KCL_HOME: home}})
    assert.equal(human.exitCode, 0)
    assert.match(human.stdout, /^Docker\n {2}✓ docker command/m)
    assert.match(human.stdout, /✓ No issues found/)
  })

  it('finds a stopped broker and --fix starts it', async () => {
    const stopped = await containerOf(3)
    assert.equal((await docker(['stop', stopped])).exitCode, 0)
    const {exitCode, report} = await doctor()
    assert.equal(exitCode, 1)
    const brokers = check(report, 'cluster.brokers')
    assert.equal(brokers.status, 'fail')
    assert.match(brokers.detail, /kafka-3 is stopped \(exit 143\)/)
    assert.deepEqual(brokers.fixable?.commands, [['start', stopped]])
    const quorum = check(report, 'cluster.quorum')
    assert.notEqual(quorum.status, 'fail', `two of three controllers keep a leader: ${quorum.detail}`)

    const fixed = await doctor(['--fix', '--yes'])
    assert.deepEqual(fixed.report.repairs?.map((r) => r.ok), [true])
    assert.equal((await docker(['inspect', '--format', '{{.State.Status}}', stopped])).stdout, 'running')
    await allHealthy()
  })

  it('finds a broker killed mid-run and --fix starts it', async () => {
    const killed = await containerOf(2)
    const producing = produceValues(servers, 'doctor-replicated', ['while', 'killing']).catch(() => undefined)
    assert.equal((await docker(['kill', killed])).exitCode, 0)
    await producing
    const {exitCode, report} = await doctor()
    assert.equal(exitCode, 1)
    assert.match(check(report, 'cluster.brokers').detail, /kafka-2 is killed \(exit 137\)/)
    const fixed = await doctor(['--fix', '--yes'])
    assert.deepEqual(fixed.report.repairs?.map((r) => r.ok), [true])
    await allHealthy()
  })

  it('finds a stale cluster id in a volume and prints, never runs, the commands that delete it', async () => {
    const broker = await containerOf(3)
    const volume = (await docker(['inspect', '--format', '{{range .Mounts}}{{if eq .Destination "/var/lib/kafka/data"}}{{.Name}}{{end}}{{end}}', broker])).stdout.trim()
    assert.ok(volume)
    assert.equal((await docker(['stop', broker])).exitCode, 0)
    // A throwaway container of the same image rewrites the id, as a partial wipe and re-create would leave it.
    const rewrite = await docker(['run', '--rm', '--network', 'none', '--user', '0', '-v', `${volume}:/data`, '--entrypoint', 'sed', kafkaImage(), '-i', 's/^cluster.id=.*/cluster.id=StaleClusterIdFromOldVo/', '/data/meta.properties'])
    assert.equal(rewrite.exitCode, 0, rewrite.stderr)
    assert.equal((await docker(['start', broker])).exitCode, 0)

    const {exitCode, report} = await doctor()
    assert.equal(exitCode, 1)
    const ids = check(report, 'cluster.ids')
    assert.equal(ids.status, 'fail')
    assert.match(ids.detail, /kafka-3's volume carries cluster id StaleClusterIdFromOldVo/)
    assert.deepEqual(ids.fix?.slice(1).map((step) => step.text), [`docker rm -f ${broker}`, `docker volume rm ${volume}`, `kcl up --name ${name}`])
    assert.equal(ids.fixable, undefined)

    await doctor(['--fix', '--yes'])
    assert.equal((await docker(['volume', 'inspect', volume])).exitCode, 0, '--fix never deletes a volume')
  })
})
