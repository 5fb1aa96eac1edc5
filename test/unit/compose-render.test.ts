import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {parse} from 'yaml'
import {Ajv2020} from 'ajv/dist/2020.js'
import {renderCompose, renderComposeObject} from '../../src/cluster/compose-file.ts'
import type {ComposeVariant} from '../../src/docker/compose.ts'
import {newClusterSpec, webUi, type ClusterSpec} from '../../src/cluster/spec.ts'

// The Compose Specification's JSON schema (Apache-2.0), as shipped in compose-go v2.16.2, which docker compose v2 validates with.
const schema = JSON.parse(readFileSync(new URL('../fixtures/compose-spec.json', import.meta.url), 'utf8'))
const validate = new Ajv2020({strict: false, allErrors: true}).compile(schema)

type Service = {environment: Record<string, string>; ports: string[]; labels: Record<string, string>; volumes: string[]; hostname: string}

function spec(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {...newClusterSpec({name: 'test'}), ...overrides}
}

function services(s: ClusterSpec, variant: ComposeVariant = 'v2'): Record<string, Service> {
  return renderComposeObject(s, variant).services as unknown as Record<string, Service>
}

describe('compose rendering', () => {
  for (const brokers of [1, 2, 3, 4, 9]) {
    for (const variant of ['v2', 'v1'] as const) {
      it(`renders ${brokers} broker(s) for compose ${variant} into a file the Compose schema accepts`, () => {
        const document = parse(renderCompose(spec({brokers}), variant))
        assert.equal(validate(document), true, JSON.stringify(validate.errors))
        assert.deepEqual(Object.keys(document.services), Array.from({length: brokers}, (_, i) => `kafka-${i + 1}`))
        assert.equal(Object.keys(document).some((key) => key.startsWith('x-')), false, 'template-only blocks are dropped')
        assert.equal(JSON.stringify(document).includes('{{'), false, 'every placeholder is filled')
        if (variant === 'v2') assert.equal(document.name, 'kcl-test')
        else assert.equal(document.version, '2.4')
      })
    }
  }

  it('gives every node its own id, advertised host port, volume and labels', () => {
    const rendered = services(spec({brokers: 3, basePort: 19092}))
    for (const id of [1, 2, 3]) {
      const node = rendered[`kafka-${id}`] as Service
      assert.equal(node.environment.KAFKA_NODE_ID, String(id))
      assert.equal(node.environment.KAFKA_ADVERTISED_LISTENERS, `DOCKER://kafka-${id}:19092,HOST://localhost:${19091 + id}`)
      assert.deepEqual(node.ports, [`127.0.0.1:${19091 + id}:9092`])
      assert.deepEqual(node.volumes, [`kafka-${id}-data:/var/lib/kafka/data`])
      assert.equal(node.labels['com.kcl.cluster'], 'test')
      assert.equal(node.labels['com.kcl.node-id'], String(id))
      assert.equal(node.hostname, `kafka-${id}`)
      assert.equal('container_name' in node, false, 'fixed container names collide between clusters')
    }
  })

  it('renders every node from the one node template: nodes differ only in what is their own', () => {
    const rendered = services(spec({brokers: 5}))
    const own = ['KAFKA_NODE_ID', 'KAFKA_ADVERTISED_LISTENERS', 'KAFKA_PROCESS_ROLES', 'KAFKA_LISTENERS']
    const shared = (node: Service) => Object.fromEntries(Object.entries(node.environment).filter(([key]) => !own.includes(key)))
    for (const node of Object.values(rendered)) assert.deepEqual(shared(node), shared(rendered['kafka-1']!))
    assert.equal(rendered['kafka-4']?.environment.KAFKA_LISTENERS, 'DOCKER://:19092,HOST://:9092', 'a broker-only node has no controller listener')
    assert.equal(rendered['kafka-4']?.labels['com.kcl.roles'], 'broker')
    assert.equal(rendered['kafka-3']?.labels['com.kcl.roles'], 'broker,controller')
  })

  it("mounts tmpfs over the image's other declared volumes, so removed containers leave no anonymous volumes", () => {
    for (const brokers of [1, 3, 4]) {
      for (const [name, node] of Object.entries(services(spec({brokers})))) {
        assert.deepEqual((node as Service & {tmpfs?: string[]}).tmpfs, ['/etc/kafka/secrets', '/mnt/shared/config'], `${brokers} broker(s): ${name}`)
      }
    }
  })

  it('uses a quorum of one controller below three brokers and of three from three on', () => {
    const two = services(spec({brokers: 2}))
    assert.equal(two['kafka-1']?.environment.KAFKA_PROCESS_ROLES, 'broker,controller')
    assert.equal(two['kafka-2']?.environment.KAFKA_PROCESS_ROLES, 'broker')
    assert.equal(two['kafka-2']?.environment.KAFKA_CONTROLLER_QUORUM_VOTERS, '1@kafka-1:9093')
    const five = services(spec({brokers: 5}))
    assert.deepEqual(
      Object.values(five).map((node) => node.environment.KAFKA_PROCESS_ROLES),
      ['broker,controller', 'broker,controller', 'broker,controller', 'broker', 'broker'],
    )
    for (const node of Object.values(five)) {
      assert.equal(node.environment.KAFKA_CONTROLLER_QUORUM_VOTERS, '1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093')
    }
  })

  it('sizes replication to the cluster', () => {
    const expectations = [
      {brokers: 1, internal: '1', internalIsr: '1', defaultRf: '1', minIsr: '1'},
      {brokers: 2, internal: '2', internalIsr: '1', defaultRf: '2', minIsr: '1'},
      {brokers: 3, internal: '3', internalIsr: '2', defaultRf: '3', minIsr: '2'},
      {brokers: 6, internal: '3', internalIsr: '2', defaultRf: '3', minIsr: '2'},
    ]
    for (const {brokers, internal, internalIsr, defaultRf, minIsr} of expectations) {
      for (const node of Object.values(services(spec({brokers})))) {
        assert.equal(node.environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, internal)
        assert.equal(node.environment.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR, internal)
        assert.equal(node.environment.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR, internalIsr)
        // Share groups keep their state in __share_group_state, created with these on the first share group.
        assert.equal(node.environment.KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR, internal)
        assert.equal(node.environment.KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR, internalIsr)
        assert.equal(node.environment.KAFKA_DEFAULT_REPLICATION_FACTOR, defaultRf)
        assert.equal(node.environment.KAFKA_MIN_INSYNC_REPLICAS, minIsr)
      }
    }
  })

  it('publishes on all interfaces only with expose, and sets image, cluster id and heap', () => {
    const s = spec({brokers: 1, expose: true, image: 'registry.example.com/kafka:4.4.0', heap: '1g'})
    const node = services(s)['kafka-1'] as Service & {image: string}
    assert.deepEqual(node.ports, ['0.0.0.0:9092:9092'])
    assert.equal(node.image, 'registry.example.com/kafka:4.4.0')
    assert.equal(node.environment.CLUSTER_ID, s.clusterId)
    assert.equal(node.environment.KAFKA_HEAP_OPTS, '-Xmx1g -Xms1g')
  })

  it('gives a JVM image the quick compiler only, and a native image no JVM options', () => {
    const jvm = services(spec({brokers: 1, image: 'apache/kafka:4.4.0'}))['kafka-1']!
    assert.equal(jvm.environment.KAFKA_OPTS, '-XX:TieredStopAtLevel=1')
    const native = services(spec({brokers: 1, image: 'apache/kafka-native:4.4.0'}))['kafka-1']!
    assert.equal(native.environment.KAFKA_OPTS, '')
  })

  it('labels the network and every volume with the cluster', () => {
    const document = renderComposeObject(spec({brokers: 4}), 'v2') as unknown as {
      networks: {default: {labels: Record<string, string>}}
      volumes: Record<string, {labels: Record<string, string>}>
    }
    assert.equal(document.networks.default.labels['com.kcl.cluster'], 'test')
    assert.deepEqual(Object.keys(document.volumes), ['kafka-1-data', 'kafka-2-data', 'kafka-3-data', 'kafka-4-data'])
    for (const volume of Object.values(document.volumes)) assert.equal(volume.labels['com.kcl.cluster'], 'test')
  })

  it('adds Kafdrop or kafka-ui (kcl up --ui) on 127.0.0.1 with the in-Docker broker list, in a file the schema accepts', () => {
    for (const variant of ['v2', 'v1'] as const) {
      const kafdrop = newClusterSpec({name: 'test', brokers: 3, ui: 'kafdrop'})
      const document = parse(renderCompose(kafdrop, variant))
      assert.equal(validate(document), true, JSON.stringify(validate.errors))
      assert.deepEqual(Object.keys(document.services), ['kafka-1', 'kafka-2', 'kafka-3', 'kafdrop'])
      const service = document.services.kafdrop as Service & {image: string}
      assert.match(service.image, /^obsidiandynamics\/kafdrop:\d/)
      assert.deepEqual(service.ports, ['127.0.0.1:9000:9000'])
      assert.equal(service.environment.KAFKA_BROKERCONNECT, 'kafka-1:19092,kafka-2:19092,kafka-3:19092')
      assert.equal(service.labels['com.kcl.cluster'], 'test')
      assert.equal(service.labels['com.kcl.node-id'], undefined, 'not a broker')
    }
    const kafkaUi = services(newClusterSpec({name: 'test', brokers: 1, ui: 'kafka-ui', uiPort: 18080, expose: true}))['kafka-ui'] as Service & {image: string}
    assert.match(kafkaUi.image, /kafbat\/kafka-ui:v\d/)
    assert.deepEqual(kafkaUi.ports, ['0.0.0.0:18080:8080'], 'published like the brokers: everywhere only with --expose')
    assert.equal(kafkaUi.environment.KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS, 'kafka-1:19092')
    assert.equal(Object.keys(services(newClusterSpec({name: 'test', ui: 'none'}))).join(), 'kafka-1')
  })

  it('keeps a saved web UI and its port unless told otherwise; refuses a port without a UI', () => {
    const saved = {ui: 'kafdrop', uiPort: 19000} as const
    assert.deepEqual(webUi({}, saved), saved)
    assert.deepEqual(webUi({ui: 'none'}, saved), {})
    assert.deepEqual(webUi({ui: 'kafka-ui'}, saved), {ui: 'kafka-ui', uiPort: 8080})
    assert.throws(() => webUi({uiPort: 9000}), /--ui-port needs a web UI/)
    assert.throws(() => newClusterSpec({ui: 'akhq' as 'kafdrop'}), /--ui must be kafdrop, kafka-ui or none/)
  })
  for (const security of ['ssl', 'sasl_plaintext', 'sasl_ssl'] as const) {
    it(`secures only the published listener for --security ${security}, with the secrets volume in place of the tmpfs`, () => {
      for (const variant of ['v2', 'v1'] as const) {
        const document = parse(renderCompose(spec({brokers: 4, security}), variant))
        assert.equal(validate(document), true, JSON.stringify(validate.errors))
        assert.deepEqual(document.volumes.secrets, {name: 'kcl-test_secrets', external: true})
        for (const node of Object.values(document.services) as (Service & {tmpfs: string[]})[]) {
          const protocol = {ssl: 'SSL', sasl_plaintext: 'SASL_PLAINTEXT', sasl_ssl: 'SASL_SSL'}[security]
          assert.equal(node.environment.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, `CONTROLLER:PLAINTEXT,DOCKER:PLAINTEXT,HOST:${protocol}`)
          assert.equal(node.environment.KAFKA_LISTENER_NAME_HOST_SSL_KEYSTORE_TYPE, security === 'sasl_plaintext' ? undefined : 'PEM')
          assert.equal(node.environment.KAFKA_LISTENER_NAME_HOST_SSL_CLIENT_AUTH, security === 'ssl' ? 'required' : undefined)
          assert.equal(node.environment.KAFKA_LISTENER_NAME_HOST_SASL_ENABLED_MECHANISMS, security === 'ssl' ? undefined : 'PLAIN,SCRAM-SHA-512')
          assert.ok(node.volumes.includes('secrets:/etc/kafka/secrets:ro'))
          assert.deepEqual(node.tmpfs, ['/mnt/shared/config'])
          assert.equal(JSON.stringify(node).includes('password'), false, 'no secret in the compose file')
        }
      }
    })
  }
})
