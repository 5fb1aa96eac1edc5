import assert from 'node:assert/strict'
import {execa} from 'execa'
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {clusterResources} from '../support/docker.ts'
import {commandLine, FAST_PATH_AND_OCLIF_ARGVS, OCLIF_DEBUG, usageToFlags} from '../support/help.ts'
import {kafkaImage, kcl, REPO_ROOT, tempKclHome} from '../support/kcl.ts'
import {eventually, lineMatching} from '../support/wait.ts'

// Issue 7's proof: the standalone binary, copied alone into an empty directory and run where there is no node and no
// node_modules, drives a whole session on a real 3-broker cluster. One step per command, in the order a user runs them.
const CLUSTER = 'e2e-binary'
const BASE_PORT = 27092
const TOPIC = 'binary-smoke'
const HOST_TARGET = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
const BUILT = join(REPO_ROOT, 'dist', `kcl-${HOST_TARGET}`)

/** Newest modification time under the paths the binary is built from. */
function newestSource(paths: string[]): number {
  let newest = 0
  for (const path of paths) {
    const stat = statSync(path)
    if (stat.isDirectory()) {
      newest = Math.max(newest, newestSource(readdirSync(path).map((entry) => join(path, entry))))
    } else {
      newest = Math.max(newest, stat.mtimeMs)
    }
  }
  return newest
}

function binaryIsFresh(): boolean {
  const inputs = ['src', 'web', 'compose-templates', 'package.json', 'package-lock.json', 'bin/build-binary.mjs', 'bin/build-fast-path.mjs', 'bin/build-web.mjs'].map((p) =>
    join(REPO_ROOT, p),
  )
  try {
    return statSync(BUILT).mtimeMs > newestSource(inputs)
  } catch {
    return false
  }
}

// A directory holding only the binary, and a PATH with docker and docker-compose but no node.
const workDir = mkdtempSync(join(tmpdir(), 'kcl-binary-'))
const toolsDir = join(workDir, 'tools')
const kclBinary = join(workDir, 'kcl')
const home = tempKclHome()
const PATH = [toolsDir, '/usr/local/sbin', '/usr/sbin', '/sbin'].join(':')

async function whereIs(program: string): Promise<string> {
  const {stdout} = await execa('sh', ['-c', 'command -v "$1"', 'sh', program])
  return stdout.trim()
}

function kclBin(args: string[], timeoutMs = 300_000, env: Record<string, string> = {}) {
  return execa(kclBinary, args, {
    reject: false,
    cwd: workDir,
    timeout: timeoutMs,
    extendEnv: false,
    env: {
      PATH,
      HOME: process.env.HOME,
      KCL_HOME: home,
      KCL_KAFKA_IMAGE: kafkaImage(),
      NO_COLOR: '1',
      // The engine the tests use may not be the default socket.
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('DOCKER_'))),
      ...env,
    },
  })
}

const name = ['--name', CLUSTER]

before(async () => {
  if (!binaryIsFresh()) {
    await execa(process.execPath, [join(REPO_ROOT, 'bin', 'build-binary.mjs'), '--target', HOST_TARGET], {cwd: REPO_ROOT, stdio: 'inherit'})
  }
  copyFileSync(BUILT, kclBinary)
  mkdirSync(toolsDir)
  for (const tool of ['docker', 'docker-compose']) {
    const found = await whereIs(tool).catch(() => '')
    if (found) symlinkSync(found, join(toolsDir, tool))
  }
})

after(async () => {
  await kclBin(['down', ...name, '--volumes', '--yes'])
})

describe('the standalone kcl binary, with no node and no node_modules', () => {
  it('runs from an empty directory where no node is on PATH', async () => {
    assert.deepEqual(readdirSync(workDir).sort(), ['kcl', 'tools'])
    const node = await execa('sh', ['-c', 'command -v node'], {reject: false, extendEnv: false, env: {PATH}})
    assert.notEqual(node.exitCode, 0, `node is on the test PATH: ${node.stdout}`)
    const version = await kclBin(['--version'])
    assert.equal(version.exitCode, 0, version.stderr)
    assert.match(version.stdout, /^kcl-kafka\/\d+\.\d+\.\d+ /)
  })

  it('prints its completion scripts and completes without oclif', async () => {
    const script = await kclBin(['completion', 'bash'])
    assert.equal(script.exitCode, 0, script.stderr)
    assert.match(script.stdout, /complete -o nosort -F _kcl_completion kcl/)
    const completed = await kclBin(['__complete', 'topic', 'de'], undefined, OCLIF_DEBUG)
    assert.equal(completed.stderr, '', 'oclif was loaded')
    assert.deepEqual(completed.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0]), ['delete', 'describe'])
  })

  it('answers --version and help without the bundle, with the text oclif shows and the npm install prints', async () => {
    for (const [fastPath, throughOclif] of FAST_PATH_AND_OCLIF_ARGVS) {
      const fast = await kclBin(fastPath, undefined, OCLIF_DEBUG)
      const oclif = await kclBin(throughOclif, undefined, OCLIF_DEBUG)
      assert.equal(fast.exitCode, 0, `${commandLine(fastPath)}: ${fast.stderr}`)
      assert.equal(oclif.exitCode, 0, `${commandLine(throughOclif)}: ${oclif.stderr}`)
      assert.equal(fast.stderr, '', `${commandLine(fastPath)} loaded oclif`)
      assert.match(oclif.stderr, /oclif:/, `${commandLine(throughOclif)} did not run oclif`)
      assert.ok(fast.stdout.length > 0)
      assert.equal(fast.stdout, oclif.stdout, `${commandLine(fastPath)} and ${commandLine(throughOclif)}`)
      assert.equal(fast.stdout, (await kcl(fastPath)).stdout, `${commandLine(fastPath)}: binary and npm install`)
    }
    const missing = await kclBin(['group', 'reset'])
    assert.equal(missing.exitCode, 2)
    assert.ok(missing.stderr.endsWith(`\n\n${usageToFlags((await kclBin(['group', 'reset', '--help'])).stdout)}`), missing.stderr)
  })

  it('up --brokers 3', async () => {
    const up = await kclBin(['up', ...name, '--brokers', '3', '--port', String(BASE_PORT), '--json'])
    assert.equal(up.exitCode, 0, up.stderr)
    const ready = JSON.parse(up.stdout) as {bootstrapServers: string; brokers: number}
    assert.equal(ready.bootstrapServers, `localhost:${BASE_PORT},localhost:${BASE_PORT + 1},localhost:${BASE_PORT + 2}`)
  })

  it('topic create', async () => {
    const created = await kclBin(['topic', 'create', TOPIC, '--partitions', '3', '--replication-factor', '3', ...name])
    assert.equal(created.exitCode, 0, created.stderr)
  })

  it('produce', async () => {
    const produced = await kclBin(['produce', TOPIC, 'hello from the binary', ...name])
    assert.equal(produced.exitCode, 0, produced.stderr)
  })

  it('consume --group', async () => {
    const consumed = await kclBin(
      ['consume', TOPIC, '--group', 'binary-smoke', '--from', 'beginning', '--max-messages', '1', '--output', 'json', ...name],
      120_000,
    )
    assert.equal(consumed.exitCode, 0, consumed.stderr)
    const record = JSON.parse(consumed.stdout.trim().split('\n')[0]!) as {topic: string; value: string}
    assert.deepEqual([record.topic, record.value], [TOPIC, 'hello from the binary'])
  })

  it('produce and consume lz4 and snappy: the WebAssembly codecs are in the bundle', async () => {
    const topic = `${TOPIC}-codecs`
    const created = await kclBin(['topic', 'create', topic, '--partitions', '1', ...name])
    assert.equal(created.exitCode, 0, created.stderr)
    for (const codec of ['lz4', 'snappy']) {
      const produced = await kclBin(['produce', topic, `${codec} from the binary`, '--compression', codec, ...name])
      assert.equal(produced.exitCode, 0, produced.stderr)
    }
    const consumed = await kclBin(['consume', topic, '--exit-at-end', '--output', 'raw', ...name])
    assert.equal(consumed.exitCode, 0, consumed.stderr)
    assert.equal(consumed.stdout, 'lz4 from the binary\nsnappy from the binary')
  })

  it('ui serves the same page and assets from inside the binary', async () => {
    const ui = kclBin(['ui', '--no-open', ...name])
    const [, url] = await lineMatching(ui.stdout!, /kcl ui: (http:\/\/\S+)\n/)
    const html = await (await fetch(url!)).text()
    assert.equal(html, readFileSync(join(REPO_ROOT, 'dist', 'web', 'index.html'), 'utf8'))
    for (const asset of ['app.js', 'app.css']) {
      const served = Buffer.from(await (await fetch(new URL(`/assets/${asset}`, url))).arrayBuffer())
      assert.ok(served.equals(readFileSync(join(REPO_ROOT, 'dist', 'web', asset))), `${asset} as built`)
    }
    const snapshot = await eventually('three brokers in the snapshot', async () => {
      const body = (await (await fetch(new URL('/api/snapshot', url))).json()) as {snapshot: {brokers: {registered: boolean}[]; quorum?: {leaderId: number}}}
      return body.snapshot.brokers.filter((b) => b.registered).length === 3 && body.snapshot
    })
    assert.ok((snapshot.quorum?.leaderId ?? -1) > 0, 'an active controller')
    ui.kill('SIGINT')
    const stopped = await ui
    assert.equal(stopped.exitCode, 0, stopped.stderr)
  })

  it('cluster failover', async () => {
    const failover = await kclBin(['cluster', 'failover', ...name])
    assert.equal(failover.exitCode, 0, failover.stderr)
  })

  it('doctor (after cluster restore)', async () => {
    // doctor fails while a broker is stopped, rightly: bring back the one failover stopped first.
    const restore = await kclBin(['cluster', 'restore', ...name])
    assert.equal(restore.exitCode, 0, restore.stderr)
    const doctor = await kclBin(['doctor', ...name])
    assert.equal(doctor.exitCode, 0, `${doctor.stdout}\n${doctor.stderr}`)
  })

  it('down --volumes --yes', async () => {
    const down = await kclBin(['down', ...name, '--volumes', '--yes'])
    assert.equal(down.exitCode, 0, down.stderr)
    for (const kind of ['container', 'volume', 'network'] as const) assert.deepEqual(await clusterResources(kind, CLUSTER), [], `${kind}s left`)
  })
})
