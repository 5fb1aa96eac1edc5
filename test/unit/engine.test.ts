import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {containerEngine} from '../../src/docker/engine.ts'
import {classifyDockerFailure} from '../../src/docker/errors.ts'
import {parsePodmanContainers} from '../../src/docker/inventory.ts'
import {podmanChecks, type PodmanProbe} from '../../src/doctor/podman-checks.ts'

const onPath = (...programs: string[]) => (program: string) => (programs.includes(program) ? `/usr/bin/${program}` : undefined)

describe('the container engine', () => {
  it('is Docker when its CLI is there, else Podman when that is, else Docker; KCL_ENGINE insists', () => {
    assert.equal(containerEngine({}, onPath('docker', 'podman')), 'docker')
    assert.equal(containerEngine({}, onPath('podman')), 'podman')
    assert.equal(containerEngine({}, onPath()), 'docker')
    assert.equal(containerEngine({KCL_ENGINE: 'podman'}, onPath('docker', 'podman')), 'podman')
    assert.equal(containerEngine({KCL_ENGINE: 'docker'}, onPath('podman')), 'docker')
    assert.throws(() => containerEngine({KCL_ENGINE: 'lxc'}, onPath()), {message: 'KCL_ENGINE must be docker or podman, not "lxc".', exitCode: 2})
  })

  it('explains Podman\'s own failures with the fix', () => {
    const classify = (stderr: string, command = 'podman', spawnErrorCode?: string) => classifyDockerFailure({command, stderr, spawnErrorCode})
    assert.match(classify('', 'podman', 'ENOENT')?.message ?? '', /Podman is not installed/)
    assert.match(classify('', 'podman-compose', 'ENOENT')?.message ?? '', /Podman has no compose provider/)
    assert.match(classify('Error: looking up compose provider failed\n7 errors occurred')?.hint ?? '', /apt-get install podman-compose/)
    const port = classify('Error: rootlessport cannot expose privileged port 80, you can add \'net.ipv4.ip_unprivileged_port_start=80\' to /etc/sysctl.conf')
    assert.equal(port?.message, 'Rootless Podman cannot publish port 80: it is below net.ipv4.ip_unprivileged_port_start.')
    assert.match(classify('Error: cannot find UID/GID for user kafka: no subuid ranges found for user "kafka" in /etc/subuid')?.hint ?? '', /usermod --add-subuids/)
    const limits = classify('Error: runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied')
    assert.match(limits?.hint ?? '', /default_ulimits = \["nofile=16384:16384", "nproc=8192:8192"\]/)
    assert.equal(limits?.exitCode, 3)
  })
})

const rootful: PodmanProbe = {
  clientVersion: '4.3.1',
  info: {host: {security: {rootless: false}, cgroupVersion: 'v1', ociRuntime: {name: 'runc'}}, version: {Version: '4.3.1'}},
  compose: 'podman-compose 1.0.3',
  unprivilegedPortStart: 1024,
  mayRaiseLimits: true,
  ulimitsConfigured: false,
}
const rootless: PodmanProbe = {...rootful, info: {...rootful.info!, host: {...rootful.info!.host, security: {rootless: true}}}, subordinateIds: true}

describe('doctor with Podman', () => {
  const statuses = (probe: PodmanProbe, port = 9092) => Object.fromEntries(podmanChecks(probe, port).map((c) => [c.id, c.status]))

  it('passes a working Podman with a compose provider', () => {
    assert.deepEqual(statuses(rootful), {'podman.binary': 'ok', 'podman.service': 'ok', 'podman.compose': 'ok', 'podman.limits': 'ok'})
    assert.deepEqual(statuses(rootless), {'podman.binary': 'ok', 'podman.service': 'ok', 'podman.compose': 'ok', 'podman.rootless-ports': 'ok', 'podman.rootless-ids': 'ok'})
  })

  it('explains a missing podman, a missing compose provider, and podman info failing', () => {
    const missing = podmanChecks({mayRaiseLimits: true, ulimitsConfigured: false}, 9092)
    assert.deepEqual(missing.map((c) => [c.id, c.status]), [['podman.binary', 'fail']])
    const noCompose = podmanChecks({...rootful, compose: undefined}, 9092).find((c) => c.id === 'podman.compose')
    assert.equal(noCompose?.status, 'fail')
    assert.match(noCompose?.fix?.map((f) => f.text).join(' ') ?? '', /podman-compose/)
    const broken = podmanChecks({...rootful, info: undefined, failure: 'cannot re-exec process'}, 9092).find((c) => c.id === 'podman.service')
    assert.equal(broken?.detail, 'podman info failed: cannot re-exec process')
  })

  it('explains rootless limits: privileged ports and missing subordinate ids', () => {
    const ports = podmanChecks({...rootless, unprivilegedPortStart: 10000}, 9092).find((c) => c.id === 'podman.rootless-ports')
    assert.equal(ports?.status, 'fail')
    assert.match(ports?.detail ?? '', /cannot publish port 9092: ports below 10000/)
    assert.match(ports?.fix?.map((f) => f.text).join(' ') ?? '', /kcl up --port 19092.*ip_unprivileged_port_start=9092/)
    assert.equal(statuses({...rootless, subordinateIds: false})['podman.rootless-ids'], 'fail')
  })

  it('warns a root without CAP_SYS_RESOURCE to set default_ulimits, unless they are set', () => {
    const confined = podmanChecks({...rootful, mayRaiseLimits: false}, 9092).find((c) => c.id === 'podman.limits')
    assert.equal(confined?.status, 'warn')
    assert.match(confined?.fix?.[0]?.text ?? '', /default_ulimits/)
    assert.equal(statuses({...rootful, mayRaiseLimits: false, ulimitsConfigured: true})['podman.limits'], 'ok')
  })
})

describe('Podman\'s container list', () => {
  it('reads `podman ps --format json` into the rows doctor and up\'s pre-flight use', () => {
    // As Podman 4.3.1 prints it for a kcl broker (podman-compose labels) and a container publishing a port range.
    const text = JSON.stringify([
      {
        Id: 'a1',
        Names: ['kcl-dev_kafka-1_1'],
        State: 'running',
        Status: 'Up 2 minutes',
        Labels: {'com.kcl.cluster': 'dev', 'com.docker.compose.project': 'kcl-dev', 'com.docker.compose.service': 'kafka-1'},
        Ports: [{host_ip: '127.0.0.1', container_port: 9092, host_port: 26630, range: 1, protocol: 'tcp'}],
      },
      {Id: 'b2', Names: ['web'], State: 'exited', Status: 'Exited (0) 1 hour ago', Labels: null, Ports: [{host_ip: '', container_port: 80, host_port: 8080, range: 2, protocol: 'tcp'}]},
    ])
    assert.deepEqual(parsePodmanContainers(text), [
      {id: 'a1', name: 'kcl-dev_kafka-1_1', state: 'running', status: 'Up 2 minutes', cluster: 'dev', composeProject: 'kcl-dev', service: 'kafka-1', brokerHostPort: 26630, hostPorts: [26630]},
      {id: 'b2', name: 'web', state: 'exited', status: 'Exited (0) 1 hour ago', cluster: undefined, composeProject: undefined, service: undefined, brokerHostPort: undefined, hostPorts: [8080, 8081]},
    ])
  })
})
