import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {clusterResources} from '../support/docker.ts'
import {kafkaImageOf, kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// Issue 16's proof of --kafka-version: a 3-broker cluster of the oldest Kafka kcl supports (package.json
// config.oldestKafkaVersion) goes through up, produce, consume with a group and a failover, and status shows the
// release each broker runs. test:env prepared its image (the official apache/kafka one when present, else a stand-in
// from Maven Central's jars); KCL_KAFKA_REPOSITORY points --kafka-version at that image's repository.
const {oldestKafkaVersion: OLDEST, kafkaVersion: DEFAULT} = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {config: {oldestKafkaVersion: string; kafkaVersion: string}}).config
const image = kafkaImageOf(OLDEST)
const repository = image.slice(0, image.lastIndexOf(':'))
const CLUSTER = 'inst-oldest'
const PORT = 26620
const home = tempKclHome()

function run(args: string[], input?: string) {
  return kcl(args, {input, env: {KCL_HOME: home, KCL_KAFKA_REPOSITORY: repository}})
}

after(async () => {
  await run(['down', '--name', CLUSTER, '--volumes', '--yes'])
})

describe(`kcl up --kafka-version`, () => {
  it('refuses what kcl cannot run with one line, and creates nothing', async () => {
    const [major = 0, minor = 0] = OLDEST.split('.').map(Number)
    const older = minor > 0 ? `${major}.${minor - 1}.0` : `${major - 1}.9.0`
    for (const [version, message] of [
      [older, new RegExp(`^ › +Error: Kafka ${older.replaceAll('.', '\\.')} is older than kcl can run: its KRaft templates need Kafka ${OLDEST.replaceAll('.', '\\.')} or newer`)],
      ['4.x', /--kafka-version must be a Kafka release like/],
    ] as const) {
      const result = await run(['up', '--name', 'inst-refused', '--kafka-version', version])
      assert.equal(result.exitCode, 2, result.stderr)
      // oclif wraps the line at 80 columns.
      assert.match(result.stderr.replaceAll(/\s*\n ›\s+/g, ' '), message)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
    }
    const both = await run(['up', '--name', 'inst-refused', '--kafka-version', DEFAULT, '--image', 'apache/kafka:4.0.0'])
    assert.equal(both.exitCode, 2)
    assert.match(both.stderr.replaceAll(/\s*\n ›\s+/g, ' '), /--(kafka-version|image)=\S+ cannot also be provided when using --(image|kafka-version)/)
    assert.deepEqual(await clusterResources('container', 'inst-refused'), [])
  })

  it(`runs Kafka ${OLDEST}, the oldest it supports: up, status, produce, consume --group, failover`, async () => {
    const up = await run(['up', '--name', CLUSTER, '--brokers', '3', '--port', String(PORT), '--kafka-version', OLDEST])
    assert.equal(up.exitCode, 0, up.stderr)
    assert.match(up.stdout, new RegExp(`from ${image.replaceAll('.', '\\.')}`))

    const status = await run(['status', '--name', CLUSTER, '--json'])
    assert.equal(status.exitCode, 0, status.stderr)
    const brokers = (JSON.parse(status.stdout) as {brokers: {nodeId: number; kafkaVersion: string}[]}).brokers
    assert.deepEqual(brokers.map((b) => [b.nodeId, b.kafkaVersion]), [1, 2, 3].map((id) => [id, OLDEST]))
    const table = await run(['status', '--name', CLUSTER])
    assert.match(table.stdout, /VERSION/)
    assert.equal(table.stdout.split('\n').filter((line) => line.trimEnd().endsWith(` ${OLDEST}`)).length, 3, table.stdout)

    const topic = 'oldest-kafka'
    const create = await run(['topic', 'create', topic, '--partitions', '3', '--name', CLUSTER])
    assert.equal(create.exitCode, 0, create.stderr)
    const produce = await run(['produce', topic, '--name', CLUSTER], 'before failover 1\nbefore failover 2\n')
    assert.equal(produce.exitCode, 0, produce.stderr)

    const failover = await run(['cluster', 'failover', '--name', CLUSTER, '--json'])
    assert.equal(failover.exitCode, 0, failover.stderr)
    const result = JSON.parse(failover.stdout) as {controllerBefore: number; controllerAfter: number; probe: {readBack: boolean}}
    assert.notEqual(result.controllerAfter, result.controllerBefore, 'another node took over as controller')
    assert.equal(result.probe.readBack, true)

    const more = await run(['produce', topic, '--name', CLUSTER], 'after failover\n')
    assert.equal(more.exitCode, 0, more.stderr)
    const consume = await run(['consume', topic, '--name', CLUSTER, '--group', 'oldest-group', '--from', 'beginning', '--exit-at-end'])
    assert.equal(consume.exitCode, 0, consume.stderr)
    assert.deepEqual(consume.stdout.split('\n').filter(Boolean).sort(), ['after failover', 'before failover 1', 'before failover 2'])
    const restore = await run(['cluster', 'restore', '--name', CLUSTER])
    assert.equal(restore.exitCode, 0, restore.stderr)
  })
})
