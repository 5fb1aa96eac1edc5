import assert from 'node:assert/strict'
import {execa, type ResultPromise} from 'execa'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {check, doctor as runDoctor, type Check, type Report} from '../support/doctor.ts'
import {kafkaImage, kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// Issue 6's proof for the machine-level faults, each injected for real without disturbing the shared engine:
// a private dockerd stopped and started again, kcl run as an unprivileged user, a PATH without compose,
// a container holding a broker's name, a foreign listener on the broker's port, and kcl's own leftovers.
const home = tempKclHome()
const image = kafkaImage()
const docker = (args: string[], env?: Record<string, string>) => execa('docker', args, {reject: false, env})

function doctor(args: string[], env: Record<string, string | undefined> = {}) {
  return runDoctor(args, {KCL_HOME: home, ...env})
}

function fixText(c: Check): string {
  return (c.fix ?? []).map((step) => (step.os ? `${step.os}: ${step.text}` : step.text)).join('\n')
}

/** Runs src/doctor/preflight.ts in a child process with the given environment; returns its error as JSON, or null. */
async function preflightIn(spec: object, env: Record<string, string> = {}): Promise<{message: string; hint?: string; exitCode: number} | null> {
  const script = `
    const {preflight} = await import(${JSON.stringify(join(REPO_ROOT, 'src/doctor/preflight.ts'))})
    try { await preflight(${JSON.stringify(spec)}); console.log('null') }
    catch (e) { console.log(JSON.stringify({message: e.message, hint: e.hint, exitCode: e.exitCode})) }`
  const result = await execa(process.execPath, ['--input-type=module', '-e', script], {env: {KCL_HOME: home, ...env}, reject: false})
  assert.equal(result.exitCode, 0, result.stderr)
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string)
}

function spec(name: string, basePort: number) {
  return {name, brokers: 1, basePort, image, expose: false, heap: '512m', clusterId: 'MkU3OEVBNTcwNTJENDM2Qg'}
}

describe('kcl doctor finds machine-level faults', () => {
  describe('the engine stopped (a private dockerd, never the shared one)', () => {
    const dir = '/tmp/kcl-doctor-engine'
    const socket = `unix://${dir}/docker.sock`
    let engine: ResultPromise | undefined

    // A dockerd started with --bridge none deletes any docker0 it can see, which would take the shared engine's
    // default bridge with it: the private engine lives in a network namespace of its own. (nsenter rather than
    // `ip netns exec`, which remounts /sys and leaves dockerd without its cgroups.)
    const netns = 'kcl-doctor-engine'

    async function startEngine() {
      engine = execa('nsenter', [
        `--net=/run/netns/${netns}`, 'dockerd',
        '--host', socket, '--data-root', `${dir}/root`, '--exec-root', `${dir}/exec`, '--pidfile', `${dir}/docker.pid`,
        '--bridge', 'none', '--iptables=false', '--ip6tables=false',
      ], {reject: false, stdio: 'ignore'})
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline) {
        if ((await docker(['info', '--format', '{{.ServerVersion}}'], {DOCKER_HOST: socket})).exitCode === 0) return
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
      throw new Error('the private dockerd did not start within 60 s')
    }

    async function stopEngine() {
      if (!engine) return
      engine.kill('SIGTERM')
      await engine
      engine = undefined
    }

    before(async () => {
      rmSync(dir, {recursive: true, force: true})
      mkdirSync(dir, {recursive: true})
      await execa('ip', ['netns', 'delete', netns], {reject: false})
      await execa('ip', ['netns', 'add', netns])
      await startEngine()
    })
    after(async () => {
      await stopEngine()
      await execa('ip', ['netns', 'delete', netns], {reject: false})
      rmSync(dir, {recursive: true, force: true})
    })

    it("leaves the shared engine's default bridge in place", async () => {
      // The shared engine's docker0 exists before this file runs (dockerd makes it at start) and must survive it.
      const bridge = await execa('docker', ['network', 'inspect', 'bridge', '--format', '{{index .Options "com.docker.network.bridge.name"}}'])
      assert.equal((await execa('ip', ['link', 'show', bridge.stdout.trim() || 'docker0'], {reject: false})).exitCode, 0)
    })

    it('reports the daemon ✓, then not running with how to start it, then ✓ again', async () => {
      const env = {DOCKER_HOST: socket}
      const healthy = await doctor(['--name', 'e2e-doctor-engine', '--port', '25098'], env)
      assert.equal(check(healthy.report, 'docker.daemon').status, 'ok')
      assert.match(check(healthy.report, 'docker.daemon').detail, /kcl-doctor-engine\/docker.sock/)

      await stopEngine()
      const down = await doctor(['--name', 'e2e-doctor-engine', '--port', '25098'], env)
      assert.equal(down.exitCode, 1)
      const daemon = check(down.report, 'docker.daemon')
      assert.equal(daemon.status, 'fail')
      assert.match(daemon.detail, /not running: nothing answers at unix:\/\/\/tmp\/kcl-doctor-engine\/docker.sock/)
      assert.match(fixText(daemon), /linux: Start it: sudo systemctl start docker/)
      assert.match(fixText(daemon), /macos: .*colima start/)
      assert.ok(down.report.skipped.some((s) => s.id === 'cluster.brokers'), 'cluster checks are skipped without a daemon')
      const human = await kcl(['doctor', '--name', 'e2e-doctor-engine', '--port', '25098'], {env: {KCL_HOME: home, ...env}})
      assert.match(human.stdout, /✗ Docker daemon: The Docker daemon is not running/)
      assert.match(human.stdout, /→ Linux: Start it: sudo systemctl start docker/)

      await startEngine()
      const again = await doctor(['--name', 'e2e-doctor-engine', '--port', '25098'], env)
      assert.equal(check(again.report, 'docker.daemon').status, 'ok')
    })
  })

  it('the socket not permitted: kcl run as an unprivileged user', async () => {
    const userHome = mkdtempSync(join(tmpdir(), 'kcl-doctor-nobody-'))
    chmodSync(userHome, 0o777)
    const node = join(REPO_ROOT, 'node_modules/node/bin/node')
    const result = await execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', node, join(REPO_ROOT, 'bin/kcl.js'), 'doctor', '--json', '--name', 'e2e-doctor-perm', '--port', '25098'], {
      reject: false,
      env: {HOME: userHome, KCL_HOME: join(userHome, 'kcl'), NO_COLOR: '1', KCL_KAFKA_IMAGE: image},
    })
    rmSync(userHome, {recursive: true, force: true})
    assert.equal(result.exitCode, 1, result.stderr)
    const report = JSON.parse(result.stdout) as Report
    const socket = check(report, 'docker.socket')
    assert.equal(socket.status, 'fail')
    assert.match(socket.detail, /Permission denied on \/var\/run\/docker.sock/)
    assert.match(fixText(socket), /sudo usermod -aG docker \$USER/)
    assert.equal(check(report, 'docker.daemon').status, 'fail')
  })

  it('no compose on PATH: fails the compose check, and kcl up\'s pre-flight stops on it', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'kcl-doctor-path-'))
    const config = mkdtempSync(join(tmpdir(), 'kcl-doctor-dockerconfig-'))
    symlinkSync((await execa('sh', ['-c', 'command -v docker'])).stdout.trim(), join(bin, 'docker'))
    const env = {PATH: bin, DOCKER_CONFIG: config}
    try {
      const {exitCode, report} = await doctor(['--name', 'e2e-doctor-nocompose', '--port', '25098'], env)
      assert.equal(exitCode, 1)
      const compose = check(report, 'compose')
      assert.equal(compose.status, 'fail')
      assert.match(compose.detail, /Neither `docker compose` \(v2\) nor `docker-compose` \(v1\) works/)
      assert.match(fixText(compose), /docker-compose-plugin/)
      assert.equal(check(report, 'docker.daemon').status, 'ok', 'docker itself stays reachable')
      const stopped = await preflightIn(spec('e2e-doctor-nocompose', 25098), env)
      assert.match(stopped?.message ?? '', /Neither `docker compose`/)
      assert.equal(stopped?.exitCode, 3)
    } finally {
      rmSync(bin, {recursive: true, force: true})
      rmSync(config, {recursive: true, force: true})
    }
  })

  describe('a container holding a name kcl would use', () => {
    const names = ['kcl-e2e-doctor-nc-kafka-1-1', 'kcl-e2e-doctor-nc_kafka-1_1']
    before(async () => {
      for (const name of names) {
        const created = await docker(['create', '--name', name, '--entrypoint', '/bin/sh', image, '-c', 'sleep 1'])
        assert.equal(created.exitCode, 0, created.stderr)
      }
    })
    after(async () => {
      await docker(['rm', '-f', '-v', ...names])
    })

    it('fails with the exact command, removes nothing, and stops kcl up\'s pre-flight', async () => {
      const {exitCode, report} = await doctor(['--name', 'e2e-doctor-nc', '--port', '25098'])
      assert.equal(exitCode, 1)
      const conflict = check(report, 'cluster.name-conflicts')
      assert.equal(conflict.status, 'fail')
      for (const name of names) {
        assert.match(conflict.detail, new RegExp(`container "${name}" \\(created\\) is not part of kcl cluster "e2e-doctor-nc"`))
        assert.ok(conflict.fix?.some((step) => step.text === `docker rm -f ${name}`))
      }
      assert.equal(conflict.fixable, undefined)
      const fixed = await kcl(['doctor', '--name', 'e2e-doctor-nc', '--port', '25098', '--fix', '--yes'], {env: {KCL_HOME: home}})
      assert.equal(fixed.exitCode, 1)
      assert.match(fixed.stdout, /Nothing kcl doctor may fix on its own/)
      assert.equal((await docker(['inspect', names[0] as string])).exitCode, 0, 'kcl did not remove a container it did not create')
      const stopped = await preflightIn(spec('e2e-doctor-nc', 25098))
      assert.match(stopped?.message ?? '', /container "kcl-e2e-doctor-nc-kafka-1-1" \(created\) is not part of kcl cluster "e2e-doctor-nc"/)
      assert.match(stopped?.hint ?? '', /docker rm -f kcl-e2e-doctor-nc-kafka-1-1/)
    })
  })

  describe('a foreign process listening on the cluster\'s port', () => {
    let server: Server
    before(async () => {
      server = createServer()
      await new Promise<void>((resolve) => server.listen(25097, '127.0.0.1', resolve))
    })
    after(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('names the process and suggests a free --port; kcl up\'s pre-flight stops on it', async () => {
      const {exitCode, report} = await doctor(['--name', 'e2e-doctor-port', '--port', '25097'])
      assert.equal(exitCode, 1)
      const ports = check(report, 'network.ports')
      assert.equal(ports.status, 'fail')
      assert.match(ports.detail, new RegExp(`25097 \\(kafka-1\\) is taken by .*node.* \\(pid ${process.pid}\\)`))
      assert.match(fixText(ports), /Use other ports: kcl up --name e2e-doctor-port --port \d+ \(\d+-\d+ are free\)/)
      const stopped = await preflightIn(spec('e2e-doctor-port', 25097))
      assert.match(stopped?.message ?? '', /25097 \(kafka-1\) is taken by/)
      assert.match(stopped?.hint ?? '', /--port \d+/)
      assert.equal(await preflightIn(spec('e2e-doctor-port', 25098)), null, 'free ports pass the pre-flight')
    })
  })

  describe('leftovers of a kcl cluster', () => {
    const container = 'kcl-e2e-doctor-left-kafka-1-1'
    const network = 'kcl-e2e-doctor-left_default'
    before(async () => {
      const labels = ['com.kcl.cluster=e2e-doctor-left', 'com.kcl.node-id=1', 'com.docker.compose.project=kcl-e2e-doctor-left', 'com.docker.compose.service=kafka-1']
      const ran = await docker(['run', '--name', container, '--network', 'none', ...labels.flatMap((l) => ['--label', l]), '--entrypoint', '/bin/sh', image, '-c', 'exit 0'])
      assert.equal(ran.exitCode, 0, ran.stderr)
      const created = await docker(['network', 'create', '--label', 'com.kcl.cluster=e2e-doctor-left', network])
      assert.equal(created.exitCode, 0, created.stderr)
    })
    after(async () => {
      await docker(['rm', '-f', '-v', container])
      await docker(['network', 'rm', network])
    })

    it('warns, refuses --fix without a terminal or --yes, and removes them with --yes', async () => {
      const {exitCode, report} = await doctor(['--name', 'e2e-doctor-left', '--port', '25098'])
      assert.equal(exitCode, 0, 'warnings alone do not fail')
      const leftovers = check(report, 'cluster.leftovers')
      assert.equal(leftovers.status, 'warn')
      assert.deepEqual(leftovers.fixable?.commands, [['rm', '-v', container], ['network', 'rm', network]])

      const refused = await kcl(['doctor', '--name', 'e2e-doctor-left', '--port', '25098', '--fix'], {env: {KCL_HOME: home}})
      assert.equal(refused.exitCode, 2)
      assert.match(refused.stderr, /without confirmation/)
      assert.equal((await docker(['inspect', container])).exitCode, 0, 'nothing changed')

      const volumes = (await docker(['inspect', '--format', '{{range .Mounts}}{{.Name}} {{end}}', container])).stdout.trim().split(' ').filter(Boolean)
      assert.ok(volumes.length > 0, 'the image declares volumes: the container has anonymous ones')
      const fixed = await doctor(['--name', 'e2e-doctor-left', '--port', '25098', '--fix', '--yes'])
      assert.equal(fixed.exitCode, 0)
      assert.deepEqual(fixed.report.repairs?.map((r) => r.ok), [true])
      assert.equal(check(fixed.report, 'cluster.leftovers').status, 'ok')
      assert.notEqual((await docker(['inspect', container])).exitCode, 0)
      assert.notEqual((await docker(['network', 'inspect', network])).exitCode, 0)
      for (const volume of volumes) assert.notEqual((await docker(['volume', 'inspect', volume])).exitCode, 0, `anonymous volume ${volume} removed too`)
    })
  })
})
