import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

// bin/kcl.js checks Node against package.json's engines before it loads anything else, and must itself run on old
// Node to say so. test/env/setup.sh makes sure the machine has a Node older than engines (Debian's, or the one it came with).
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const packageJson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {engines: {node: string}}
const floor = packageJson.engines.node.replace(/^>=\s*/, '')

function versionOf(node: string): string | undefined {
  try {
    return execFileSync(node, ['-p', 'process.versions.node'], {encoding: 'utf8'}).trim()
  } catch {
    return undefined
  }
}

const older = (version: string) => {
  const [a, b] = [version, floor].map((v) => v.split('.').map(Number))
  return (a[0]! - b[0]! || a[1]! - b[1]! || (a[2] ?? 0) - (b[2] ?? 0)) < 0
}

/** The machine's own Node (e.g. /usr/bin/node), older than engines. */
function oldNode(): {path: string; version: string} {
  const candidates = ['/usr/bin/node', '/usr/local/bin/node', '/usr/bin/nodejs']
  for (const path of candidates.filter((p) => existsSync(p))) {
    const version = versionOf(path)
    if (version && older(version)) return {path, version}
  }
  throw new Error(`No Node older than ${floor} in ${candidates.join(', ')}: run \`npm run test:env\`, which installs Debian's nodejs.`)
}

function run(node: string, script: string, args: string[]) {
  return spawnSync(node, [script, ...args], {encoding: 'utf8', env: {...process.env, NODE_OPTIONS: ''}})
}

describe('the Node check', () => {
  it('answers an older Node than engines with one line and exit 1, for every command', () => {
    const {path, version} = oldNode()
    for (const args of [['status'], ['--version'], ['topic', 'list', '--help'], ['__complete', 'to']]) {
      const result = run(path, join(REPO, 'bin', 'kcl.js'), args)
      assert.equal(result.status, 1, args.join(' '))
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, `kcl needs Node ${floor} or newer; this is ${version} — or use the standalone binary\n`)
    }
  })

  it('is the floor the README names', () => {
    const named = [...readFileSync(join(REPO, 'README.md'), 'utf8').matchAll(/Node (\d+\.\d+(?:\.\d+)?) or newer/g)].map((m) => m[1])
    assert.ok(named.length > 0)
    assert.deepEqual([...new Set(named)], [floor])
  })

  it('reads the floor from package.json engines, its one source, and lets a newer Node past it', () => {
    // A copy of bin/kcl.js with package.json beside it and nothing else: past the check it fails to load dist/.
    const dir = mkdtempSync(join(tmpdir(), 'kcl-engines-'))
    mkdirSync(join(dir, 'bin'))
    copyFileSync(join(REPO, 'bin', 'kcl.js'), join(dir, 'bin', 'kcl.js'))
    const withFloor = (node: string) => writeFileSync(join(dir, 'package.json'), JSON.stringify({...packageJson, engines: {node}}))
    withFloor('>=99.1')
    const refused = run(process.execPath, join(dir, 'bin', 'kcl.js'), ['status'])
    assert.equal(refused.status, 1)
    assert.equal(refused.stderr, `kcl needs Node 99.1 or newer; this is ${process.versions.node} — or use the standalone binary\n`)
    withFloor(`>=${process.versions.node}`)
    const passed = run(process.execPath, join(dir, 'bin', 'kcl.js'), ['status'])
    assert.doesNotMatch(passed.stderr, /kcl needs Node/)
    assert.match(passed.stderr, /fast-path\.cjs/)
  })
})
