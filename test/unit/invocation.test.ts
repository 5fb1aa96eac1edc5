import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {commandPrefix, runnable, type Invocation} from '../../src/ui/invocation.ts'
import {findOnPath} from '../../src/which.ts'

const root = mkdtempSync(join(tmpdir(), 'kcl-invocation-'))
const checkout = join(root, 'checkout')
const script = join(checkout, 'bin', 'kcl.js')
const npxScript = join(root, '.npm', '_npx', 'abc123', 'node_modules', 'kcl-kafka', 'bin', 'kcl.js')
const globalBin = join(root, 'prefix', 'bin')
for (const file of [script, npxScript]) {
  mkdirSync(join(file, '..'), {recursive: true})
  writeFileSync(file, '')
}
mkdirSync(globalBin, {recursive: true})

function prefix(overrides: Partial<Invocation>): string {
  return commandPrefix({script, cwd: checkout, env: {}, packageName: 'kcl-kafka', onPath: () => undefined, ...overrides})
}

describe('the kcl command kcl suggests', () => {
  it('is `npx kcl` in the project when npm ran it (npm start, npx kcl), from any folder of it', () => {
    const env = {npm_lifecycle_event: 'start', npm_config_local_prefix: checkout}
    assert.equal(prefix({env}), 'npx kcl')
    assert.equal(prefix({env: {...env, npm_lifecycle_event: 'npx'}, cwd: join(checkout, 'bin')}), 'npx kcl')
  })

  it('is `npx kcl-kafka` when npx fetched the package', () => {
    assert.equal(prefix({script: npxScript, cwd: root, env: {npm_lifecycle_event: 'npx', npm_config_local_prefix: root}}), 'npx kcl-kafka')
  })

  it('is `kcl` when the kcl on PATH is this one (a global install links to it)', () => {
    symlinkSync(script, join(globalBin, 'kcl'))
    const onPath = (program: string) => findOnPath(program, globalBin)
    assert.equal(prefix({onPath}), 'kcl')
    assert.equal(prefix({onPath, env: {npm_lifecycle_event: 'test', npm_config_local_prefix: join(root, 'elsewhere')}}), 'kcl')
  })

  it('is the path that was run when PATH has no kcl or another one', () => {
    assert.equal(prefix({}), './bin/kcl.js')
    assert.equal(prefix({cwd: root, onPath: () => npxScript}), './checkout/bin/kcl.js')
    assert.equal(prefix({cwd: join(root, 'elsewhere')}), script)
  })

  it('rewrites the commands quoted in messages and hints', () => {
    assert.equal(runnable('Start one with `kcl up --name dev`, then `kcl status`.', 'npx kcl'), 'Start one with `npx kcl up --name dev`, then `npx kcl status`.')
    assert.equal(runnable('Run `kcl doctor`.', 'kcl'), 'Run `kcl doctor`.')
  })
})
