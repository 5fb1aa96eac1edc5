// Smoke test of the real test environment prepared by test/env/setup.sh
// (`npm run test:env`): the Docker engine, Compose and the Kafka image work, and
// kafkajs 2.2.4 can create topics, produce and consume with a consumer group
// against them, also with one node of a 3-node cluster down.
//
// Uses only host ports 28092-28099 on 127.0.0.1, and container, network and
// compose project names starting with kcl-smoke.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {Kafka, logLevel} from 'kafkajs'
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
 * A kafkajs client. `redirect` maps advertised ports to published ones, for a
 * broker whose advertised address (the image's default localhost:9092) is not
 * the port published on this host.
 */
function client(brokers: string[], redirect: Record<number, number> = {}): Kafka {
  return new Kafka({
    clientId: 'kcl-smoke',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: {retries: 8, initialRetryTime: 300, maxRetryTime: 5000},
    socketFactory: ({host, port, onConnect}) => {
      const socket = net.connect({host: redirect[port] ? '127.0.0.1' : host, port: redirect[port] ?? port}, onConnect)
      socket.setKeepAlive(true, 30_000)
      return socket
    },
  })
}

/** Waits until the cluster's metadata lists `brokers` brokers. */
async function waitForBrokers(kafka: Kafka, brokers: number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    const admin = kafka.admin({retry: {retries: 1}})
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      if (cluster.brokers.length === brokers) return
      last = `${cluster.brokers.length} brokers: ${JSON.stringify(cluster.brokers)}`
    } catch (error) {
      last = (error as Error).message
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    await sleep(1000)
  }
  throw new Error(`the cluster did not show ${brokers} brokers within ${timeoutMs} ms (last: ${last})`)
}

/**
 * Creates a topic, then waits until its metadata shows a leader and `replicationFactor` replicas
 * for every partition. kafkajs' own `waitForLeaders` asks one broker and fails at once when that
 * broker has not heard of the topic yet, which happens on a busy machine.
 */
async function createTopic(kafka: Kafka, topic: string, replicationFactor: number, timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const created = await admin.createTopics({topics: [{topic, numPartitions: 3, replicationFactor}], waitForLeaders: false, timeout: 30_000})
    assert.equal(created, true, `topic ${topic} was not created`)
    const deadline = Date.now() + timeoutMs
    let last = 'no answer yet'
    while (Date.now() < deadline) {
      try {
        const metadata = await admin.fetchTopicMetadata({topics: [topic]})
        const partitions = metadata.topics[0].partitions
        const ready = partitions.length === 3 && partitions.every((p) => p.leader >= 0 && p.replicas.length === replicationFactor)
        if (ready) return
        last = JSON.stringify(partitions)
      } catch (error) {
        last = (error as Error).message
      }
      await sleep(500)
    }
    throw new Error(`topic ${topic} did not get leaders for its 3 partitions within ${timeoutMs} ms (last: ${last})`)
  } finally {
    await admin.disconnect()
  }
}

async function produce(kafka: Kafka, topic: string, values: string[]): Promise<void> {
  const producer = kafka.producer({allowAutoTopicCreation: false})
  await producer.connect()
  try {
    await producer.send({topic, acks: -1, messages: values.map((value) => ({key: value, value}))})
  } finally {
    await producer.disconnect()
  }
}

/** Consumes `count` messages as a member of `groupId`, commits and leaves the group. */
async function consume(kafka: Kafka, groupId: string, topic: string, count: number, timeoutMs = 90_000): Promise<string[]> {
  const consumer = kafka.consumer({groupId, sessionTimeout: 15_000, heartbeatInterval: 1000})
  const received: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`group ${groupId} got ${received.length}/${count} messages in ${timeoutMs} ms: ${received.join(',')}`)),
        timeoutMs,
      )
      consumer
        .run({
          eachMessage: async ({message}) => {
            received.push(message.value?.toString() ?? '')
            if (received.length >= count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer)
          reject(error)
        })
    })
  } finally {
    await consumer.disconnect()
  }
  return received.sort()
}

async function partitionLeader(kafka: Kafka, topic: string, partition: number): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const metadata = await admin.fetchTopicMetadata({topics: [topic]})
    const p = metadata.topics[0].partitions.find((x) => x.partitionId === partition)
    assert.ok(p, `partition ${partition} of ${topic}`)
    return p.leader
  } finally {
    await admin.disconnect()
  }
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
async function singleNodeRoundTrip(kafka: Kafka, name: string): Promise<void> {
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
      // With no environment the broker advertises localhost:9092, published here on 28099.
      const kafka = client(['127.0.0.1:28099'], {9092: 28099})
      await singleNodeRoundTrip(kafka, name)
      const admin = kafka.admin()
      await admin.connect()
      const cluster = await admin.describeCluster()
      await admin.disconnect()
      assert.deepEqual(
        cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`),
        ['1@localhost:9092'],
      )
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
      const kafka = client(['127.0.0.1:28098'])
      await singleNodeRoundTrip(kafka, name)
      const admin = kafka.admin()
      await admin.connect()
      const cluster = await admin.describeCluster()
      await admin.disconnect()
      assert.deepEqual(cluster.brokers.map((b) => b.nodeId), [7])
      assert.equal(cluster.clusterId, env.CLUSTER_ID)
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
    const brokers = ['127.0.0.1:28092', '127.0.0.1:28093', '127.0.0.1:28094']
    await compose(c, project, ['down', '-v', '-t', '5']).catch(() => undefined)
    try {
      await compose(c, project, ['up', '-d'])
      const kafka = client(brokers)
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
