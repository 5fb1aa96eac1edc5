import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {commandLine, FAST_PATH_AND_OCLIF_ARGVS, OCLIF_DEBUG, usageToFlags} from '../support/help.ts'
import {kcl} from '../support/kcl.ts'

// The npm install's bin/kcl.js answers --version and help without oclif; oclif shows help through kcl's help class
// (package.json oclif.helpClass). Both must print the very same text.
describe('--version and help, with and without oclif', () => {
  for (const [fastPath, throughOclif] of FAST_PATH_AND_OCLIF_ARGVS) {
    it(`${commandLine(fastPath)} prints what ${commandLine(throughOclif)} prints through oclif`, async () => {
      const fast = await kcl(fastPath, {env: OCLIF_DEBUG})
      const oclif = await kcl(throughOclif, {env: OCLIF_DEBUG})
      assert.equal(fast.exitCode, 0, fast.stderr)
      assert.equal(oclif.exitCode, 0, oclif.stderr)
      assert.equal(fast.stderr, '', 'the fast path loaded oclif')
      assert.match(oclif.stderr, /oclif:/, 'oclif did not run')
      assert.ok(fast.stdout.length > 0)
      assert.equal(fast.stdout, oclif.stdout)
    })
  }

  it('shows kcl\'s usage and flags below a parse error, as in --help', async () => {
    const help = await kcl(['group', 'reset', '--help'])
    const missing = await kcl(['group', 'reset'])
    assert.equal(missing.exitCode, 2)
    assert.match(missing.stderr, /^ › {3}Error: Missing 1 required arg:/)
    assert.ok(missing.stderr.endsWith(`\n\n${usageToFlags(help.stdout)}`), missing.stderr)
    const unknown = await kcl(['topic', 'list', '-x'])
    assert.equal(unknown.exitCode, 2)
    assert.ok(unknown.stderr.endsWith(`\n\n${usageToFlags((await kcl(['topic', 'list', '-h'])).stdout)}`), unknown.stderr)
  })

  it('answers a parse error under --json with one small JSON error and the usage exit code', async () => {
    const result = await kcl(['topic', 'list', '--json', '--bogus'])
    assert.equal(result.exitCode, 2)
    assert.deepEqual(JSON.parse(result.stdout), {error: {message: 'Nonexistent flag: --bogus\nSee more help with --help', exitCode: 2}})
  })

  it('still runs a command whose own flag is -v (doctor --verbose) instead of printing the version', async () => {
    const doctor = await kcl(['doctor', '-v', '--bogus'])
    assert.equal(doctor.exitCode, 2)
    assert.match(doctor.stderr, /Nonexistent flag: --bogus/)
  })
})
