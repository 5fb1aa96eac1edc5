import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {kcl, tempKclHome} from '../support/kcl.ts'

// A plain command line (a command, its flags and arguments) runs its command without oclif's routing
// (src/oclif-run.ts); with DEBUG set, here to a namespace nothing logs under, every line goes through oclif's own.
// None of these reach Docker or a broker.
const THROUGH_OCLIF = {DEBUG: 'kcl-test-nothing'}
const LINES = [
  ['topic', 'list', '-b', '127.0.0.1:1'],
  ['topic', 'list', '--json', '-b', '127.0.0.1:1'],
  ['topic', 'list', '--bogus'],
  ['topic', 'list', '--json', '--bogus'],
  ['topic', 'list', '-b', '127.0.0.1:1', '--', '--help'],
  ['topic', 'create'],
  ['topic', 'create', 'x', '--partitions', 'abc'],
  ['topic:describe'],
  ['group', 'describe', 'g', 'extra'],
  ['consume', 't', '--output', 'xml'],
  ['status', '--name', 'bad name!'],
  ['profile', 'show', 'nope'],
]

describe('a plain command line, run without oclif\'s routing', () => {
  const home = tempKclHome()

  for (const line of LINES) {
    it(`kcl ${line.join(' ')} answers as through oclif`, async () => {
      const direct = await kcl(line, {env: {KCL_HOME: home}})
      const oclif = await kcl(line, {env: {KCL_HOME: home, ...THROUGH_OCLIF}})
      assert.notEqual(direct.exitCode, 0)
      assert.deepEqual(
        {exitCode: direct.exitCode, stdout: direct.stdout, stderr: direct.stderr},
        {exitCode: oclif.exitCode, stdout: oclif.stdout, stderr: oclif.stderr},
      )
    })
  }

  /** The Node modules (node:…) that `kcl line` loaded. */
  async function builtinsLoaded(line: string[], env: Record<string, string> = {}): Promise<Set<string>> {
    const dir = mkdtempSync(join(tmpdir(), 'kcl-builtins-'))
    const preload = join(dir, 'builtins.cjs')
    const list = join(dir, 'loaded.txt')
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')))\n`)
    const result = await kcl(line, {env: {KCL_HOME: home, NODE_OPTIONS: `--require ${preload}`, ...env}})
    assert.notEqual(result.exitCode, 0, result.stderr)
    const loaded = readFileSync(list, 'utf8').split('\n')
    assert.ok(loaded.includes('NativeModule fs'), 'the preload did not see the command run')
    return new Set(loaded.filter((name) => name.startsWith('NativeModule ')).map((name) => name.slice('NativeModule '.length)))
  }

  it('loads none of the Node modules a Kafka command does not use', async () => {
    const loaded = await builtinsLoaded(['topic', 'list', '-b', '127.0.0.1:1'])
    assert.ok(loaded.has('net'))
    for (const module of ['crypto', 'perf_hooks', 'readline', 'zlib', 'tls', 'child_process']) assert.ok(!loaded.has(module), `node:${module} was loaded`)
  })

  it('does not load oclif\'s debug logging (node:tty) unless DEBUG is set', async () => {
    const line = ['topic', 'list', '--json', '--bogus']
    assert.ok(!(await builtinsLoaded(line)).has('tty'))
    assert.ok((await builtinsLoaded(line, THROUGH_OCLIF)).has('tty'))
  })
})
