import assert from 'node:assert/strict'
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {clusterResources} from '../support/docker.ts'
import {kafkaImage, REPO_ROOT, tempKclHome} from '../support/kcl.ts'

// Issue 16's proof of the npm package: `npm pack`, a global install of the tarball into a fresh prefix, and a session
// run from that install with only the Node the package declares on PATH (the project's own Node 26); the commands kcl
// suggests run as printed, from the install and through npx in the checkout; bash completion driven for real.
const CLUSTER = 'inst-pack'
const PORT = 26610
const TOPIC = 'inst-pack-topic'
const GROUP = 'inst-pack-group'
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {name: string; version: string}
const work = mkdtempSync(join(tmpdir(), 'kcl-install-'))
const prefix = join(work, 'prefix')
const home = tempKclHome()

/**
 * PATH for the installed kcl: its bin directory, a directory with the tools kcl and this test run (docker, compose,
 * the shells, sed) and the directory of the project's Node. No other node is on it.
 */
async function installPath(): Promise<string> {
  const tools = join(work, 'tools')
  mkdirSync(tools)
  for (const program of ['docker', 'docker-compose', 'bash', 'sed', 'zsh', 'fish']) {
    const {stdout} = await execa('bash', ['-c', 'command -v "$1"', 'bash', program])
    symlinkSync(stdout.trim(), join(tools, program))
  }
  return [join(prefix, 'bin'), tools, dirname(process.execPath)].join(':')
}
let PATH = ''
const HOME = process.env.HOME ?? tmpdir()

function installed(args: string[], options: {input?: string; cwd?: string; env?: Record<string, string>} = {}) {
  return execa('kcl', args, {
    reject: false,
    cwd: options.cwd ?? work,
    input: options.input,
    timeout: 300_000,
    env: {PATH, HOME, KCL_HOME: home, KCL_KAFKA_IMAGE: kafkaImage(), NO_COLOR: '1', ...options.env},
    extendEnv: false,
  })
}

/** The commands under "Next:" in kcl up's output. */
function nextCommands(output: string): string[] {
  return output.split('\nNext:\n')[1]?.split('\n').map((line) => line.trim()).filter(Boolean) ?? []
}

before(async () => {
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], {cwd: REPO_ROOT})
  const [{filename}] = JSON.parse(pack.stdout) as [{filename: string}]
  assert.equal(filename, `${packageJson.name}-${packageJson.version}.tgz`)
  const install = await execa('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)], {reject: false})
  assert.equal(install.exitCode, 0, install.stderr)
  PATH = await installPath()
})

after(async () => {
  await installed(['down', '--name', CLUSTER, '--volumes', '--yes'])
  rmSync(work, {recursive: true, force: true})
})

describe('the npm package, installed globally from its tarball', () => {
  it('runs `kcl` from the install with the Node it declares, and only that Node', async () => {
    const {stdout} = await execa('bash', ['-c', 'command -v kcl; type -ap node; node --version'], {env: {PATH}, extendEnv: false})
    assert.deepEqual(stdout.split('\n'), [join(prefix, 'bin', 'kcl'), process.execPath, process.version])
    const version = await installed(['--version'])
    assert.equal(version.exitCode, 0, version.stderr)
    assert.match(version.stdout, new RegExp(`^${packageJson.name}/${packageJson.version.replaceAll('.', '\\.')} \\S+ node-${process.version}$`))
  })

  it('refuses the machine\'s older Node with one line', async () => {
    const old = await execa('/usr/bin/node', ['-p', 'process.versions.node'], {reject: false})
    assert.equal(old.exitCode, 0, 'the machine has its own Node in /usr/bin (test/env/setup.sh installs one)')
    // The same install, with the machine's Node first on PATH: the shebang's `env node` finds it.
    const result = await execa('kcl', ['status'], {reject: false, env: {PATH: `/usr/bin:${PATH}`, HOME}, extendEnv: false})
    assert.equal(result.exitCode, 1)
    assert.match(result.stderr, new RegExp(`^kcl needs Node \\S+ or newer; this is ${old.stdout.trim().replaceAll('.', '\\.')} — or use the standalone binary\\n?$`))
  })

  it('starts a cluster, and every command it suggests runs as printed', async () => {
    const up = await installed(['up', '--name', CLUSTER, '--port', String(PORT)])
    assert.equal(up.exitCode, 0, up.stderr)
    const next = nextCommands(up.stdout)
    assert.deepEqual(next.map((line) => line.split(' ').slice(0, 2).join(' ')), ['kcl topic', 'kcl produce', 'kcl consume', 'kcl status', 'kcl down'])
    const [create, produce, consume, status] = next as [string, string, string, string, string]
    const shell = (line: string) => execa('bash', ['-c', line], {reject: false, cwd: work, env: {PATH, HOME, KCL_HOME: home, NO_COLOR: '1'}, extendEnv: false})
    for (const line of [create, produce, status]) {
      const result = await shell(line)
      assert.equal(result.exitCode, 0, `${line}: ${result.stderr}`)
    }
    // The suggested consume keeps running: it must print what the suggested produce wrote.
    const reader = shell(consume)
    const seen = new Promise<void>((resolve) => reader.stdout?.on('data', (chunk: Buffer) => String(chunk).includes('hello, Kafka') && resolve()))
    await Promise.race([seen, reader.then((r) => assert.fail(`${consume} ended: ${r.stderr}`))])
    reader.kill('SIGINT')
    await reader
  })

  it('creates a topic, produces and consumes with a group', async () => {
    const create = await installed(['topic', 'create', TOPIC, '--partitions', '2', '--name', CLUSTER])
    assert.equal(create.exitCode, 0, create.stderr)
    const produce = await installed(['produce', TOPIC, '--name', CLUSTER], {input: 'one\ntwo\nthree\n'})
    assert.equal(produce.exitCode, 0, produce.stderr)
    const consume = await installed(['consume', TOPIC, '--name', CLUSTER, '--group', GROUP, '--from', 'beginning', '--exit-at-end'])
    assert.equal(consume.exitCode, 0, consume.stderr)
    assert.deepEqual(consume.stdout.split('\n').filter(Boolean).sort(), ['one', 'three', 'two'])
  })

  it('suggests `npx kcl …` when run through npx in the checkout, and those commands run there', async () => {
    const env = {PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, KCL_HOME: home, KCL_KAFKA_IMAGE: kafkaImage(), NO_COLOR: '1'}
    const up = await execa('npx', ['kcl', 'up', '--name', CLUSTER], {reject: false, cwd: REPO_ROOT, env})
    assert.equal(up.exitCode, 0, up.stderr)
    assert.match(up.stdout, /already running; nothing changed/)
    const next = nextCommands(up.stdout)
    assert.equal(next.length, 5)
    for (const line of next) assert.match(line, /^npx kcl /)
    const status = next.find((line) => line.startsWith('npx kcl status')) as string
    const result = await execa('bash', ['-c', status], {reject: false, cwd: join(REPO_ROOT, 'test'), env})
    assert.equal(result.exitCode, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`Cluster "${CLUSTER}": running`))
  })

  it('completes in bash: commands, flags, values, and clusters, topics and groups from the running cluster', async () => {
    /** What bash offers for the line typed after `kcl` (the cursor at its end), through the installed completion script. */
    const offered = async (line: string, env: Record<string, string> = {}) => {
      const script = [
        'source <(kcl completion bash)',
        'complete -p kcl',
        `COMP_LINE="kcl ${line}"; COMP_POINT=\${#COMP_LINE}`,
        // bash splits COMP_WORDS at COMP_WORDBREAKS (= and : among them), as it does for a real TAB.
        'COMP_WORDS=($(printf "%s" "$COMP_LINE" | sed -e "s/\\([=:]\\)/ \\1 /g")); [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")',
        'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
        '_kcl_completion',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n')
      const result = await execa('bash', ['-c', script], {reject: false, cwd: work, env: {PATH, HOME, KCL_HOME: home, ...env}, extendEnv: false})
      assert.equal(result.exitCode, 0, result.stderr)
      const [registration, ...replies] = result.stdout.split('\n')
      assert.equal(registration, 'complete -o nosort -F _kcl_completion kcl')
      return replies.filter(Boolean)
    }
    assert.deepEqual(await offered('topic de'), ['delete', 'describe'])
    assert.ok((await offered('up --')).includes('--kafka-version'))
    assert.deepEqual(await offered('consume t --output '), ['json', 'raw', 'text'])
    // After --output=, bash replaces only the part behind "=".
    assert.deepEqual(await offered('consume t --output=r'), ['raw'])
    assert.deepEqual(await offered(`status --name ${CLUSTER.slice(0, 6)}`), [CLUSTER])
    assert.ok((await offered(`topic describe --name ${CLUSTER} inst-pack-t`)).includes(TOPIC))
    assert.deepEqual(await offered(`consume ${TOPIC} --name ${CLUSTER} --group inst-pack-g`), [GROUP])
    assert.deepEqual(await offered(`broker stop --name ${CLUSTER} `), ['1'])
    // A Kafka that does not answer: nothing offered, within the deadline.
    assert.deepEqual(await offered('topic describe -b 127.0.0.1:1 ', {KCL_COMPLETE_TIMEOUT_MS: '1000'}), [])
  })

  it('completes in zsh and fish through their scripts, from the running cluster too', async () => {
    const shell = async (program: string, script: string) => {
      const result = await execa(program, ['-c', script], {reject: false, cwd: work, env: {PATH, HOME, KCL_HOME: home}, extendEnv: false})
      assert.equal(result.exitCode, 0, result.stderr)
      return result.stdout.split('\n').filter(Boolean)
    }
    // zsh: _kcl as compinit would call it, with _describe (zsh's display of candidates) printing what it is given.
    const zsh = (words: string[]) =>
      shell('zsh', `compdef() { :; }; source <(kcl completion zsh); _describe() { print -rl -- "\${(@P)\${@[-1]}}"; }; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _kcl`)
    assert.deepEqual(await zsh(['kcl', 'topic', 'de']), ['delete:Delete a topic and all its messages.', "describe:Show a topic's partitions (leader, replicas, in-sync replicas, offsets) and its own configs."])
    assert.deepEqual(await zsh(['kcl', 'consume', TOPIC, '--name', CLUSTER, '--group', 'inst-pack-g']), [GROUP])
    // fish: its own completion engine, asked what a TAB would offer.
    const fish = (line: string) => shell('fish', `kcl completion fish | source; complete --do-complete '${line}'`)
    assert.deepEqual(await fish('kcl consume t --output '), ['json', 'raw', 'text'])
    assert.deepEqual(await fish(`kcl topic describe --name ${CLUSTER} inst-pack-t`), [TOPIC])
  })

  it('stops the cluster as suggested, keeping its data, and keeps nothing with --volumes', async () => {
    const up = await installed(['up', '--name', CLUSTER])
    const down = nextCommands(up.stdout).find((line) => line.startsWith('kcl down')) as string
    const stop = await execa('bash', ['-c', down], {reject: false, cwd: work, env: {PATH, HOME, KCL_HOME: home, NO_COLOR: '1'}, extendEnv: false})
    assert.equal(stop.exitCode, 0, stop.stderr)
    assert.deepEqual(await clusterResources('container', CLUSTER), [])
    assert.equal((await clusterResources('volume', CLUSTER)).length, 1)
    const remove = await installed(['down', '--name', CLUSTER, '--volumes', '--yes'])
    assert.equal(remove.exitCode, 0, remove.stderr)
    assert.deepEqual(await clusterResources('volume', CLUSTER), [])
  })
})
