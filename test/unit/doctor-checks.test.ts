import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import type {ClusterSpec} from '../../src/cluster/spec.ts'
import type {ContainerInfo} from '../../src/docker/containers.ts'
import {classifyDockerFailure, DockerFailureError} from '../../src/docker/errors.ts'
import {brokersCheck, clusterIdOf, clusterIdsCheck, composeContainerNames, leftoversCheck, nameConflictCheck} from '../../src/doctor/cluster-checks.ts'
import {composeCheck} from '../../src/doctor/compose-checks.ts'
import {daemonCheck, dockerBinaryCheck, unixSocketPath} from '../../src/doctor/docker-checks.ts'
import {focusNames, shapeFromContainers} from '../../src/doctor/doctor.ts'
import {fileFromTar, parseContainerRows, type ContainerRow, type NetworkInfo} from '../../src/docker/inventory.ts'
import {partitionsCheckOf} from '../../src/doctor/kafka-checks.ts'
import {metadataAnswer} from '../../src/kafka-client/cluster.ts'
import {Metadata, readMetadataResponse, writeMetadataResponse} from '../../src/kafka-client/protocol/messages/index.ts'
import {addressPoolCheck, hostNetworks, overlaps, parseCidr, portsCheck} from '../../src/doctor/network-checks.ts'
import {describeOwner, parseProcNetTcp} from '../../src/doctor/ports.ts'
import {appleSveApplies, diskCheck, heapBytes, imageArchCheck, memoryCheck, normalizeArch} from '../../src/doctor/resources-checks.ts'
import {fixHint} from '../../src/doctor/types.ts'
import {Reader, Writer} from '../../src/kafka-client/protocol/primitives.ts'

const GiB = 1024 ** 3

function spec(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {name: 'dev', brokers: 3, basePort: 19092, image: 'apache/kafka:4.4.0', expose: false, heap: '512m', clusterId: 'AAAAAAAAAAAAAAAAAAAAAA', ...overrides}
}

function row(overrides: Partial<ContainerRow>): ContainerRow {
  return {id: 'id', name: 'name', state: 'running', status: 'Up', cluster: undefined, composeProject: undefined, service: undefined, brokerHostPort: undefined, hostPorts: [], ...overrides}
}

function container(overrides: Partial<ContainerInfo>): ContainerInfo {
  return {
    id: 'c1', name: 'kcl-dev-kafka-1-1', service: 'kafka-1', cluster: 'dev', nodeId: 1, roles: ['broker', 'controller'], state: 'running',
    health: 'healthy', exitCode: 0, oomKilled: false, startedAt: '', image: 'apache/kafka:4.4.0', labels: {}, ...overrides,
  }
}

function network(overrides: Partial<NetworkInfo>): NetworkInfo {
  return {name: 'n', id: 'i', driver: 'bridge', labels: {}, subnets: [], gateways: [], containers: 0, ...overrides}
}

describe('Docker checks', () => {
  test('classified docker failures carry their kind and keep their messages', () => {
    const denied = classifyDockerFailure({command: 'docker', stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://x": dial unix /var/run/docker.sock: connect: permission denied'})
    assert.ok(denied instanceof DockerFailureError)
    assert.equal(denied.kind, 'socket-permission')
    assert.equal(denied.message, 'Permission denied on the Docker socket /var/run/docker.sock.')
    const down = classifyDockerFailure({command: 'docker', stderr: 'Cannot connect to the Docker daemon at unix:///tmp/x.sock. Is the docker daemon running?'})
    assert.equal((down as DockerFailureError).kind, 'daemon-down')
    assert.equal((classifyDockerFailure({command: 'docker', spawnErrorCode: 'ENOENT', stderr: ''}) as DockerFailureError).kind, 'docker-missing')
  })

  test('a stopped daemon fails with how to start it on each OS', () => {
    const result = daemonCheck({clientVersion: '28.2.2', endpoint: 'unix:///var/run/docker.sock', context: 'default', failure: {kind: 'daemon-down', message: ''}})
    assert.equal(result?.status, 'fail')
    assert.match(result?.detail ?? '', /not running: nothing answers at unix:\/\/\/var\/run\/docker.sock \(context default\)/)
    assert.match(fixHint(result?.fix, 'linux') ?? '', /systemctl start docker/)
    assert.match(fixHint(result?.fix, 'macos') ?? '', /Docker Desktop.*colima start/)
  })

  test('a custom DOCKER_HOST is named in the fix', () => {
    const result = daemonCheck({clientVersion: '1', endpoint: 'unix:///tmp/e/docker.sock', failure: {kind: 'daemon-down', message: ''}})
    assert.ok(result?.fix?.some((step) => step.text.includes('unix:///tmp/e/docker.sock')))
  })

  test('no docker binary fails the first check and skips the daemon check', () => {
    const probe = {failure: {kind: 'docker-missing' as const, message: ''}}
    assert.equal(dockerBinaryCheck(probe).status, 'fail')
    assert.equal(daemonCheck(probe), undefined)
  })

  test('unix socket paths come from unix:// endpoints only', () => {
    assert.equal(unixSocketPath('unix:///var/run/docker.sock'), '/var/run/docker.sock')
    assert.equal(unixSocketPath('tcp://1.2.3.4:2376'), undefined)
  })
})

describe('Compose check', () => {
  test('v2 preferred, v1 accepted, neither fails with install steps', () => {
    assert.equal(composeCheck({v2: '2.40.3', v1Probed: false}, {}).detail, 'docker compose 2.40.3 (v2)')
    assert.equal(composeCheck({v1: '1.29.2', v1Probed: true}, {}).detail, 'docker-compose 1.29.2 (v1)')
    const none = composeCheck({v1Probed: true}, {})
    assert.equal(none.status, 'fail')
    assert.match(fixHint(none.fix, 'linux') ?? '', /docker-compose-plugin/)
  })

  test('KCL_COMPOSE insists on one variant', () => {
    assert.equal(composeCheck({v2: '2.40.3', v1Probed: true}, {KCL_COMPOSE: 'v1'}).status, 'fail')
    assert.equal(composeCheck({v2: '2.40.3', v1: '1.29.2', v1Probed: true}, {KCL_COMPOSE: 'v1'}).detail, 'docker-compose 1.29.2 (v1)')
    assert.equal(composeCheck({v2: '2.40.3', v1Probed: true}, {KCL_COMPOSE: 'v3'}).status, 'fail')
  })
})

describe('Resources checks', () => {
  test('memory against what N brokers need', () => {
    assert.equal(heapBytes('1g'), GiB)
    assert.equal(memoryCheck({totalBytes: 16 * GiB, brokers: 3, heap: '512m', brokersToStart: 3}).status, 'ok')
    const tooLittle = memoryCheck({totalBytes: 2 * GiB, brokers: 3, heap: '512m', brokersToStart: 3})
    assert.equal(tooLittle.status, 'fail')
    assert.match(fixHint(tooLittle.fix, 'macos') ?? '', /Settings → Resources → Memory|colima/)
    assert.equal(memoryCheck({totalBytes: 16 * GiB, freeBytes: 1 * GiB, brokers: 3, heap: '512m', brokersToStart: 3}).status, 'warn')
    assert.equal(memoryCheck({totalBytes: 16 * GiB, freeBytes: 1 * GiB, brokers: 3, heap: '512m', brokersToStart: 0}).status, 'ok')
  })

  test('disk space', () => {
    assert.equal(diskCheck({freeBytes: 100 * GiB, totalBytes: 200 * GiB, root: '/var/lib/docker', brokers: 3, imagePresent: true}).status, 'ok')
    assert.equal(diskCheck({freeBytes: 2 * GiB, totalBytes: 200 * GiB, root: '/var/lib/docker', brokers: 3, imagePresent: false}).status, 'fail')
    assert.equal(diskCheck({freeBytes: 8 * GiB, totalBytes: 200 * GiB, root: '/var/lib/docker', brokers: 3, imagePresent: true}).status, 'warn')
    assert.equal(diskCheck({root: '/var/lib/docker', brokers: 3, imagePresent: true}).status, 'ok')
  })

  test('image architecture against the engine', () => {
    assert.equal(normalizeArch('x86_64'), 'amd64')
    assert.equal(normalizeArch('aarch64'), 'arm64')
    assert.equal(imageArchCheck({image: 'k', daemonArch: 'x86_64', info: {os: 'linux', architecture: 'amd64', variant: undefined}}).status, 'ok')
    const emulated = imageArchCheck({image: 'k', daemonArch: 'aarch64', info: {os: 'linux', architecture: 'amd64', variant: undefined}})
    assert.equal(emulated.status, 'warn')
    assert.match(emulated.fix?.[0]?.text ?? '', /docker pull --platform linux\/arm64 k/)
    assert.equal(imageArchCheck({image: 'k', daemonArch: 'aarch64', info: undefined}).status, 'ok')
  })

  test('the SVE note applies to Apple M4 and later on macOS only', () => {
    assert.equal(appleSveApplies('darwin', 'arm64', 'Apple M4 Pro'), true)
    assert.equal(appleSveApplies('darwin', 'arm64', 'Apple M3 Max'), false)
    assert.equal(appleSveApplies('linux', 'arm64', 'Apple M4'), false)
  })
})

describe('Network checks', () => {
  test('ports taken by someone else fail with a --port that is free', () => {
    const result = portsCheck(spec({brokers: 1}), [{port: 19092, nodeId: 1, takenBy: 'nc -l 19092 (pid 42)'}], 29092)
    assert.equal(result.status, 'fail')
    assert.match(result.detail, /19092 \(kafka-1\) is taken by nc -l 19092 \(pid 42\)/)
    assert.match(result.fix?.[0]?.text ?? '', /kcl up --name dev --port 29092 \(29092-29092 are free\)/)
    assert.equal(portsCheck(spec(), [{port: 19092, nodeId: 1, ours: true}], undefined).status, 'ok')
  })

  test('port owners are described by container or process', () => {
    assert.equal(describeOwner(9092, [], 'other-kafka'), 'container other-kafka')
    assert.equal(describeOwner(9092, [{pid: 7, command: 'python3 -m http.server 9092'}], undefined), 'python3 -m http.server 9092 (pid 7)')
    assert.match(describeOwner(9092, [], undefined), /another program/)
  })

  test('listening sockets from /proc/net/tcp', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:B3A4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:B3A5 0100007F:0001 01 00000000:00000000 00:00000000 00000000     0        0 654321 1 0000000000000000 100 0 0 10 0',
    ].join('\n')
    assert.deepEqual(parseProcNetTcp(text), [{port: 0xb3a4, inode: '123456'}])
  })

  test('CIDR overlap and address pools', () => {
    const docker = parseCidr('172.18.0.0/16')
    const vpn = parseCidr('172.18.5.3/24')
    assert.ok(docker && vpn && overlaps(docker, vpn))
    assert.ok(!overlaps(parseCidr('10.0.0.0/8') as never, parseCidr('172.16.0.0/12') as never))
    const networks = [network({name: 'kcl-dev_default', subnets: ['172.18.0.0/16'], gateways: ['172.18.0.1']})]
    const host = hostNetworks(
      {
        eth0: [{address: '10.0.2.15', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '10.0.2.15/24'}],
        'br-abc123': [{address: '172.18.0.1', netmask: '255.255.0.0', family: 'IPv4', mac: '', internal: false, cidr: '172.18.0.1/16'}],
      },
      new Set(['172.18.0.1']),
    )
    assert.deepEqual(host, [{interfaceName: 'eth0', cidr: '10.0.2.15/24'}])
    assert.equal(addressPoolCheck(networks, host).status, 'ok')
    const clash = addressPoolCheck(networks, [{interfaceName: 'tun0', cidr: '172.18.7.1/24'}])
    assert.equal(clash.status, 'warn')
    assert.match(clash.detail, /kcl-dev_default \(172.18.0.0\/16\) overlaps tun0/)
    const many = Array.from({length: 29}, (_, i) => network({name: `n${i}`, subnets: [`172.${17 + (i % 15)}.${i}.0/24`]}))
    assert.equal(addressPoolCheck(many, []).status, 'warn')
  })
})

describe('Cluster checks', () => {
  test('compose container names, v2 and v1', () => {
    assert.deepEqual(composeContainerNames('dev', 2), ['kcl-dev-kafka-2-1', 'kcl-dev_kafka-2_1'])
  })

  test('a foreign container holding a broker name fails, with the command to remove it printed, not run', () => {
    const rows = [row({name: 'kcl-dev-kafka-2-1', state: 'exited'}), row({name: 'kcl-dev-kafka-1-1', cluster: 'dev', composeProject: 'kcl-dev'})]
    const result = nameConflictCheck(spec(), rows, [])
    assert.equal(result.status, 'fail')
    assert.match(result.detail, /container "kcl-dev-kafka-2-1" \(exited\) is not part of kcl cluster "dev"/)
    assert.ok(result.fix?.some((step) => step.text === 'docker rm -f kcl-dev-kafka-2-1'))
    assert.equal(result.fixable, undefined)
    assert.equal(nameConflictCheck(spec(), rows.slice(1), []).status, 'ok')
  })

  test('leftovers: exited containers and unused networks of clusters that are not running', () => {
    const rows = [
      row({name: 'kcl-old-kafka-1-1', cluster: 'old', state: 'exited'}),
      row({name: 'kcl-dev-kafka-1-1', cluster: 'dev', state: 'running'}),
      row({name: 'kcl-dev-kafka-2-1', cluster: 'dev', state: 'exited'}),
      row({name: 'kcl-kept-kafka-1-1', cluster: 'kept', state: 'exited'}),
    ]
    const networks = [network({name: 'kcl-old_default', labels: {'com.kcl.cluster': 'old'}}), network({name: 'kcl-dev_default', labels: {'com.kcl.cluster': 'dev'}, containers: 1})]
    const result = leftoversCheck({containers: rows, networks, inScope: () => true, keep: new Set(['kept'])})
    assert.equal(result.status, 'warn')
    assert.deepEqual(result.fixable?.commands, [['rm', '-v', 'kcl-old-kafka-1-1'], ['network', 'rm', 'kcl-old_default']])
    const scoped = leftoversCheck({containers: rows, networks, inScope: (c) => c === 'dev', keep: new Set()})
    assert.equal(scoped.status, 'ok')
  })

  test('stopped, killed and OOM-killed brokers fail, and --fix may start them', () => {
    const containers = [
      container({}),
      container({id: 'c2', name: 'kcl-dev-kafka-2-1', service: 'kafka-2', nodeId: 2, state: 'exited', health: undefined, exitCode: 137}),
      container({id: 'c3', name: 'kcl-dev-kafka-3-1', service: 'kafka-3', nodeId: 3, state: 'exited', health: undefined, exitCode: 143}),
    ]
    const result = brokersCheck({name: 'dev', spec: spec(), containers, logs: {}})
    assert.equal(result.status, 'fail')
    assert.match(result.detail, /kafka-2 is killed \(exit 137\); kafka-3 is stopped \(exit 143\)/)
    assert.deepEqual(result.fixable?.commands, [['start', 'kcl-dev-kafka-2-1', 'kcl-dev-kafka-3-1']])
    const oom = brokersCheck({name: 'dev', spec: spec({brokers: 1}), containers: [container({state: 'exited', exitCode: 137, oomKilled: true})], logs: {}})
    assert.match(oom.detail, /killed for lack of memory/)
    assert.ok(oom.fix?.some((step) => /memory/i.test(step.text)))
  })

  test('a broker dead of SIGILL gets the -XX:UseSVE=0 note', () => {
    const result = brokersCheck({name: 'dev', spec: spec({brokers: 1}), containers: [container({state: 'exited', exitCode: 134})], logs: {'kcl-dev-kafka-1-1': '# A fatal error has been detected by the Java Runtime Environment:\n#  SIGILL (0x4) at pc=0x0000ffff'}})
    assert.match(result.detail, /SIGILL/)
    assert.ok(result.fix?.some((step) => step.text.includes('-XX:UseSVE=0')))
  })

  test('healthy, starting, missing', () => {
    assert.equal(brokersCheck({name: 'dev', spec: spec({brokers: 1}), containers: [container({})], logs: {}}).status, 'ok')
    assert.equal(brokersCheck({name: 'dev', spec: spec({brokers: 1}), containers: [container({health: 'starting'})], logs: {}}).status, 'warn')
    const missing = brokersCheck({name: 'dev', spec: spec({brokers: 2}), containers: [container({})], logs: {}})
    assert.match(missing.detail, /kafka-2 has no container/)
    assert.equal(brokersCheck({name: 'dev', spec: spec(), containers: [], logs: {}}).status, 'ok')
  })

  test('cluster ids in volumes: one stale volume fails with the commands to replace it', () => {
    assert.equal(clusterIdOf('#\nnode.id=1\nversion=1\ncluster.id=abc\n'), 'abc')
    const volumes = [
      {nodeId: 1, container: 'kcl-dev-kafka-1-1', volume: 'kcl-dev_kafka-1-data', clusterId: 'good'},
      {nodeId: 2, container: 'kcl-dev-kafka-2-1', volume: 'kcl-dev_kafka-2-data', clusterId: 'good'},
      {nodeId: 3, container: 'kcl-dev-kafka-3-1', volume: 'kcl-dev_kafka-3-data', clusterId: 'stale'},
    ]
    const result = clusterIdsCheck({name: 'dev', expected: 'good', volumes})
    assert.equal(result.status, 'fail')
    assert.match(result.detail, /kafka-3's volume carries cluster id stale, the others good/)
    assert.deepEqual(result.fix?.slice(1).map((step) => step.text), ['docker rm -f kcl-dev-kafka-3-1', 'docker volume rm kcl-dev_kafka-3-data', 'kcl up --name dev'])
    assert.equal(result.fixable, undefined)
    assert.equal(clusterIdsCheck({name: 'dev', expected: 'good', volumes: volumes.slice(0, 2)}).status, 'ok')
    assert.equal(clusterIdsCheck({name: 'dev', expected: 'other', volumes: volumes.slice(0, 2)}).status, 'warn')
  })

  test('offline and under-replicated partitions', () => {
    const healthy = {topic: 't', partition: 0, leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], offlineReplicas: []}
    assert.equal(partitionsCheckOf('dev', [healthy], new Set([1, 2, 3])).status, 'ok')
    assert.equal(partitionsCheckOf('dev', [{...healthy, isr: [1, 2]}], new Set([1, 2])).status, 'warn')
    assert.equal(partitionsCheckOf('dev', [{...healthy, leader: -1, isr: []}], new Set([1])).status, 'fail')
  })

  test('Metadata answers as partition states', () => {
    const writer = new Writer()
    writeMetadataResponse(writer, Metadata.maxVersion, {
      brokers: [{nodeId: 1, host: 'localhost', port: 9092}],
      clusterId: 'cid',
      topics: [{errorCode: 0, name: 'orders', partitions: [{errorCode: 0, partitionIndex: 0, leaderId: 2, replicaNodes: [1, 2, 3], isrNodes: [2, 3]}]}, {errorCode: 3, name: 'gone', partitions: []}],
    })
    const answer = metadataAnswer(readMetadataResponse(new Reader(writer.toBuffer()), Metadata.maxVersion))
    assert.deepEqual(answer.partitions, [{topic: 'orders', partition: 0, leader: 2, leaderEpoch: -1, replicas: [1, 2, 3], isr: [2, 3], offlineReplicas: []}])
    assert.deepEqual([...answer.topicErrors], [['gone', 3]])
    assert.deepEqual(answer.brokers, [{nodeId: 1, host: 'localhost', port: 9092}])
  })
})

describe('Engine listings', () => {
  test('docker ps rows with published ports', () => {
    const rows = parseContainerRows('abc\tkcl-dev-kafka-2-1\trunning\tUp 5 minutes (healthy)\tdev\tkcl-dev\tkafka-2\t127.0.0.1:19093->9092/tcp\n')
    assert.equal(rows[0]?.brokerHostPort, 19093)
    assert.deepEqual(rows[0]?.hostPorts, [19093])
    assert.deepEqual(shapeFromContainers('dev', rows), {brokers: 2, basePort: 19092})
  })

  test('the file out of a docker cp tar stream', () => {
    const content = 'cluster.id=abc\n'
    const header = Buffer.alloc(512)
    header.write('meta.properties')
    header.write(content.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii')
    assert.equal(fileFromTar(Buffer.concat([header, Buffer.from(content), Buffer.alloc(512)])), content)
    assert.equal(fileFromTar(Buffer.alloc(10)), undefined)
  })
})

describe('which clusters the doctor checks', () => {
  const row = (name: string, cluster: string | undefined, state: string): ContainerRow => ({
    id: name,
    name,
    state,
    status: state,
    cluster,
    composeProject: cluster && `kcl-${cluster}`,
    service: 'kafka-1',
    brokerHostPort: undefined,
    hostPorts: [],
  })

  test('after a reboot: every cluster kcl knows that has containers, all of them exited, and the running ones', () => {
    const rows = [row('a1', 'a', 'exited'), row('b1', 'b', 'exited'), row('c1', 'c', 'running'), row('d1', 'd', 'exited'), row('x', undefined, 'running')]
    assert.deepEqual(focusNames({}, rows, ['a', 'b', 'e']), ['a', 'b', 'c'])
  })

  test('--name alone; with no containers the only known cluster, else local', () => {
    assert.deepEqual(focusNames({name: 'b'}, [row('a1', 'a', 'running')], ['a']), ['b'])
    assert.deepEqual(focusNames({}, [], ['only']), ['only'])
    assert.deepEqual(focusNames({}, undefined, ['a', 'b']), ['local'])
  })

  test('a cluster kcl knows is never a leftover to remove, whatever its containers', () => {
    const rows = [row('kcl-a-kafka-1-1', 'a', 'exited'), row('kcl-z-kafka-1-1', 'z', 'exited')]
    const check = leftoversCheck({containers: rows, networks: [], inScope: () => true, keep: new Set(['a'])})
    assert.deepEqual(check.fixable?.commands, [['rm', '-v', 'kcl-z-kafka-1-1']])
  })

  test('an engine that does not answer in time is said so, with the restart', () => {
    const check = daemonCheck({clientVersion: '28.2.2', endpoint: 'unix:///tmp/e/docker.sock', failure: {kind: 'timeout', message: 'Docker does not answer within 10 s.'}})
    assert.equal(check?.status, 'fail')
    assert.match(check?.detail ?? '', /^Docker does not answer within 10 s\. The engine at unix:\/\/\/tmp\/e\/docker\.sock takes the connection but does not reply/)
    assert.ok(check?.fix?.some((step) => /systemctl restart docker/.test(step.text)))
  })
})
