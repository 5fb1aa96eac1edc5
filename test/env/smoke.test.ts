// Smoke test of the real test environment prepared by test/env/setup.sh
// (`npm run test:env`): the Docker engine, Compose and the Kafka image work, and
// clients kcl did not write (kcat, and Kafka's own tools inside the image) can
// create topics, produce and consume with a consumer group against them, also
// with one node of a 3-node cluster down.
//
// Uses only host ports 28092-28099 on 127.0.0.1, and container, network and
// compose project names starting with kcl-smoke.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {after, before, describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {execa} from 'execa'
import {kafkaImage} from '../support/kcl.ts'

const execFileP = promisify(execFile)
const COMPOSE_FILE = fileURLToPath(new URL('./smoke-compose.yml', import.meta.url))
const NETWORK = 'kcl-smoke-net'
const IMAGE = kafkaImage()

interface Compose {
  label: string
  command: string
  prefix: string[]
}

async function sh(command: string, args: string[], options: {env?: Record<string, string>; timeoutMs?: number} = {}) {
  try {
    return await execFileP(command, args, {
      env: {...process.env, ...options.env},
      timeout: options.timeoutMs ?? 180_000,
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (error) {
    const e = error as Error & {stderr?: string; stdout?: string}
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`)
  }
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileP(command, args, {timeout: 30_000})
    return true
  } catch {
    return false
  }
}

async function availableComposes(): Promise<Compose[]> {
  const found: Compose[] = []
  if (await succeeds('docker', ['compose', 'version'])) found.push({label: 'docker compose (v2)', command: 'docker', prefix: ['compose']})
  if (await succeeds('docker-compose', ['version'])) found.push({label: 'docker-compose (v1)', command: 'docker-compose', prefix: []})
  return found
}

function compose(c: Compose, project: string, args: string[], timeoutMs = 240_000) {
  return sh(c.command, [...c.prefix, '-p', project, '-f', COMPOSE_FILE, ...args], {env: {KAFKA_IMAGE: IMAGE}, timeoutMs})
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Kafka as its own tools see it: each call runs one of the image's scripts (/opt/kafka/bin) with `docker`
 * arguments that put it where the bootstrap address works (inside a broker's container, or on the host's network).
 */
interface Client {
  /** docker arguments up to the command, e.g. ['exec', '-i', name]. */
  docker: string[]
  bootstrap: string
}

async function tool(kafka: Client, script: string, args: string[], input?: string): Promise<string> {
  const result = await execa('docker', [...kafka.docker, `/opt/kafka/bin/${script}`, '--bootstrap-server', kafka.bootstrap, ...args], {input, timeout: 120_000, reject: false})
  if (result.exitCode !== 0) throw new Error(`${script} ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}${result.stdout}`)
  return result.stdout
}

/** The brokers' ids, from Kafka's broker-api-versions tool (one line per broker: "host:port (id: N rack: …)"). */
async function brokerIds(kafka: Client): Promise<number[]> {
  const out = await tool(kafka, 'kafka-broker-api-versions.sh', [])
  return [...out.matchAll(/\(id: (\d+) rack/g)].map((m) => Number(m[1])).sort()
}

/** Waits until the cluster lists `brokers` brokers. */
async function waitForBrokers(kafka: Client, brokers: number, timeoutMs = 180_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    try {
      const ids = await brokerIds(kafka)
      if (ids.length === brokers) return ids
      last = `brokers ${ids.join(', ')}`
    } catch (error) {
      last = (error as Error).message
    }
    await sleep(1000)
  }
  throw new Error(`the cluster did not show ${brokers} brokers within ${timeoutMs} ms (last: ${last})`)
}

/** Each partition's leader and replicas, from kafka-topics.sh --describe. */
async function partitions(kafka: Client, topic: string): Promise<{partition: number; leader: number; replicas: number}[]> {
  const out = await tool(kafka, 'kafka-topics.sh', ['--describe', '--topic', topic])
  return [...out.matchAll(/Partition: (\d+)\s+Leader: (-?\d+)\s+Replicas: ([\d,]+)/g)].map((m) => ({partition: Number(m[1]), leader: Number(m[2]), replicas: m[3]!.split(',').length}))
}

/** Creates a topic of 3 partitions, then waits until every partition has a leader and `replicationFactor` replicas. */
async function createTopic(kafka: Client, topic: string, replicationFactor: number, timeoutMs = 60_000): Promise<void> {
  await tool(kafka, 'kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '3', '--replication-factor', String(replicationFactor)])
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    try {
      const found = await partitions(kafka, topic)
      if (found.length === 3 && found.every((p) => p.leader >= 0 && p.replicas === replicationFactor)) return
      last = JSON.stringify(found)
    } catch (error) {
      last = (error as Error).message
    }
    await sleep(500)
  }
  throw new Error(`topic ${topic} did not get leaders for its 3 partitions within ${timeoutMs} ms (last: ${last})`)
}

async function produce(kafka: Client, topic: string, values: string[]): Promise<void> {
  const args = ['--topic', topic, '--producer-property', 'acks=all', '--property', 'parse.key=true', '--property', 'key.separator=:']
  await tool(kafka, 'kafka-console-producer.sh', args, values.map((value) => `${value}:${value}\n`).join(''))
}

/** Consumes `count` messages as a member of `groupId`, commits and leaves the group. */
async function consume(kafka: Client, groupId: string, topic: string, count: number, timeoutMs = 90_000): Promise<string[]> {
  const out = await tool(kafka, 'kafka-console-consumer.sh', ['--topic', topic, '--group', groupId, '--from-beginning', '--max-messages', String(count), '--timeout-ms', String(timeoutMs)])
  return out.split('\n').filter(Boolean).sort()
}

async function partitionLeader(kafka: Client, topic: string, partition: number): Promise<number> {
  const p = (await partitions(kafka, topic)).find((x) => x.partition === partition)
  assert.ok(p, `partition ${partition} of ${topic}`)
  return p.leader
}

async function removeContainer(name: string): Promise<void> {
  await sh('docker', ['rm', '-f', '-v', name]).catch(() => undefined)
}

async function containerLogs(name: string): Promise<string> {
  try {
    const {stdout, stderr} = await sh('docker', ['logs', '--tail', '40', name])
    return stdout + stderr
  } catch {
    return ''
  }
}

/** A full round trip on a single broker: topic, produce, consume with a group. */
async function singleNodeRoundTrip(kafka: Client, name: string): Promise<void> {
  await waitForBrokers(kafka, 1, 120_000)
  const topic = `${name}-topic`
  await createTopic(kafka, topic, 1)
  await produce(kafka, topic, ['a', 'b', 'c'])
  assert.deepEqual(await consume(kafka, `${name}-group`, topic, 3), ['a', 'b', 'c'])
}

describe('kcl test environment', {timeout: 900_000}, () => {
  before(async () => {
    await sh('docker', ['info'], {timeoutMs: 30_000})
    await sh('docker', ['image', 'inspect', IMAGE], {timeoutMs: 30_000})
    // A network of our own: independent of the default bridge network.
    await sh('docker', ['network', 'rm', NETWORK]).catch(() => undefined)
    await sh('docker', ['network', 'create', NETWORK])
  })

  after(async () => {
    await sh('docker', ['network', 'rm', NETWORK]).catch(() => undefined)
  })

  test('the image with no environment at all runs a working single-node cluster', {timeout: 240_000}, async () => {
    const name = 'kcl-smoke-noenv'
    await removeContainer(name)
    try {
      await sh('docker', ['run', '-d', '--name', name, '--network', NETWORK, '-p', '127.0.0.1:28099:9092', IMAGE])
      // With no environment the broker advertises localhost:9092: true inside its container.
      const kafka = {docker: ['exec', '-i', name], bootstrap: 'localhost:9092'}
      await singleNodeRoundTrip(kafka, name)
      assert.match(await tool(kafka, 'kafka-broker-api-versions.sh', []), /^localhost:9092 \(id: 1 rack: null/m)
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${name} logs ---\n${await containerLogs(name)}\n--- failed: ${(error as Error).message}`)
    } finally {
      await removeContainer(name)
    }
  })

  test('a single node configured through KAFKA_* environment variables works', {timeout: 240_000}, async () => {
    const name = 'kcl-smoke-env'
    await removeContainer(name)
    const env: Record<string, string> = {
      CLUSTER_ID: 'a2NsLXNtb2tlLXNpbmdsZQ',
      KAFKA_NODE_ID: '7',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '7@localhost:9093',
      KAFKA_LISTENERS: 'HOST://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'HOST://localhost:28098',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'HOST:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'HOST',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LOG_DIRS: '/var/lib/kafka/data',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '2',
      KAFKA_HEAP_OPTS: '-Xmx384m -Xms384m',
    }
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
    try {
      await sh('docker', ['run', '-d', '--name', name, '--network', NETWORK, '-p', '127.0.0.1:28098:9092', ...envArgs, IMAGE])
      // It advertises localhost:28098, the port published on this host: the tools run on the host's network.
      const kafka = {docker: ['run', '--rm', '-i', '--network', 'host', IMAGE], bootstrap: 'localhost:28098'}
      await singleNodeRoundTrip(kafka, name)
      assert.deepEqual(await brokerIds(kafka), [7])
      const clusterId = await execa('docker', [...kafka.docker, '/opt/kafka/bin/kafka-cluster.sh', 'cluster-id', '--bootstrap-server', kafka.bootstrap], {timeout: 120_000})
      assert.match(clusterId.stdout, new RegExp(`Cluster ID: ${env.CLUSTER_ID}`))
      // The environment became server.properties (KAFKA_NUM_PARTITIONS -> num.partitions) and the
      // image's Kafka tools work against the controller listener.
      const props = await sh('docker', ['exec', name, 'cat', '/opt/kafka/config/server.properties'])
      assert.match(props.stdout, /^num\.partitions=2$/m)
      assert.match(props.stdout, /^node\.id=7$/m)
      const quorum = await sh('docker', ['exec', name, '/opt/kafka/bin/kafka-metadata-quorum.sh', '--bootstrap-controller', 'localhost:9093', 'describe', '--status'])
      assert.match(quorum.stdout, /LeaderId:\s+7/)
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${name} logs ---\n${await containerLogs(name)}\n--- failed: ${(error as Error).message}`)
    } finally {
      await removeContainer(name)
    }
  })

  async function clusterScenario(c: Compose, project: string): Promise<void> {
    await compose(c, project, ['down', '-v', '-t', '5']).catch(() => undefined)
    try {
      await compose(c, project, ['up', '-d'])
      // The tools run on the host's network against the published ports, as clients on this machine connect.
      const kafka = {docker: ['run', '--rm', '-i', '--network', 'host', IMAGE], bootstrap: 'localhost:28092,localhost:28093,localhost:28094'}
      await waitForBrokers(kafka, 3)

      const topic = 'smoke-rf3'
      const group = 'smoke-group'
      await createTopic(kafka, topic, 3)
      await produce(kafka, topic, ['m1', 'm2', 'm3'])
      assert.deepEqual(await consume(kafka, group, topic, 3), ['m1', 'm2', 'm3'])

      // The healthcheck kcl's compose files use (bash + /dev/tcp) reports the node healthy.
      const {stdout: id1} = await compose(c, project, ['ps', '-q', 'kafka-1'])
      let health = ''
      for (let i = 0; i < 60 && health !== 'healthy'; i++) {
        health = (await sh('docker', ['inspect', '-f', '{{.State.Health.Status}}', id1.trim()])).stdout.trim()
        if (health !== 'healthy') await sleep(1000)
      }
      assert.equal(health, 'healthy', 'healthcheck status of kafka-1')

      // Stop the leader of partition 0; the other two nodes keep the quorum, the topic and the group.
      const leader = await partitionLeader(kafka, topic, 0)
      await compose(c, project, ['stop', '-t', '10', `kafka-${leader}`])
      const survivor = [1, 2, 3].find((n) => n !== leader)
      await produce(kafka, topic, ['m4', 'm5', 'm6'])
      // Same group: the committed offsets survived, so only the new messages arrive.
      assert.deepEqual(await consume(kafka, group, topic, 3), ['m4', 'm5', 'm6'])
      assert.notEqual(await partitionLeader(kafka, topic, 0), leader, 'partition 0 got a new leader')

      const quorum = await compose(c, project, [
        'exec', '-T', `kafka-${survivor}`,
        '/opt/kafka/bin/kafka-metadata-quorum.sh', '--bootstrap-server', `kafka-${survivor}:19092`, 'describe', '--status',
      ])
      assert.match(quorum.stdout, /CurrentVoters:\s+\[/)
    } catch (error) {
      const logs = await compose(c, project, ['logs', '--tail', '30']).then((r) => r.stdout, () => '')
      throw new Error(`${(error as Error).message}\n--- ${project} logs ---\n${logs}\n--- failed: ${(error as Error).message}`)
    } finally {
      await compose(c, project, ['down', '-v', '-t', '5'])
    }
  }

  test('a 3-node KRaft cluster keeps working with one node down', {timeout: 420_000}, async () => {
    const composes = await availableComposes()
    assert.ok(composes.length > 0, 'neither `docker compose` nor `docker-compose` works')
    await clusterScenario(composes[0], 'kcl-smoke')
  })

  test('the other compose variant runs the same cluster', {timeout: 420_000}, async (t) => {
    const composes = await availableComposes()
    if (composes.length < 2) {
      t.skip(`only ${composes.map((c) => c.label).join(', ')} is installed`)
      return
    }
    await clusterScenario(composes[1], 'kcl-smoke-v1')
  })
})
