import assert from 'node:assert/strict'
import {mkdtempSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import {resolveConnection} from '../../src/connection/resolve.ts'
import {saveProfile, useProfile} from '../../src/profile/store.ts'

const home = mkdtempSync(join(tmpdir(), 'kcl-profiles-'))
const warnings: string[] = []
const hooks = {warn: (line: string) => warnings.push(line)}
const resolve = (flags: Parameters<typeof resolveConnection>[0], env: NodeJS.ProcessEnv = {}) => resolveConnection(flags, hooks, {KCL_HOME: home, ...env})

describe('where a Kafka command connects', () => {
  before(async () => {
    process.env.KCL_HOME = home
    await saveProfile('prod', {bootstrapServers: ['prod:9092'], saslMechanism: 'scram-sha-512', saslUsername: 'alice', saslPassword: 'prod-secret'})
    await saveProfile('dev', {bootstrapServers: ['dev:9092']})
    await useProfile('dev')
  })

  it('keeps profiles and their secrets in files only their owner can read', () => {
    assert.equal(statSync(join(home, 'profiles')).mode & 0o777, 0o700)
    assert.equal(statSync(join(home, 'profiles', 'profiles.json')).mode & 0o777, 0o600)
    assert.equal(statSync(join(home, 'profiles', 'secrets.json')).mode & 0o777, 0o600)
  })

  it('uses the current profile when nothing else is given', async () => {
    assert.deepEqual((await resolve({})).servers, ['dev:9092'])
  })

  it('takes --profile, then KCL_PROFILE, over the current profile, with its saved password', async () => {
    const named = await resolve({profile: 'prod'})
    assert.deepEqual(named.servers, ['prod:9092'])
    assert.deepEqual(named.security.sasl, {mechanism: 'scram-sha-512', username: 'alice', password: 'prod-secret'})
    assert.deepEqual((await resolve({}, {KCL_PROFILE: 'prod'})).servers, ['prod:9092'])
  })

  it('lets the environment override a profile, and flags override both', async () => {
    const resolved = await resolve({profile: 'prod', saslUsername: 'bob'}, {KCL_SASL_PASSWORD: 'from-env', KCL_BOOTSTRAP_SERVER: 'other:9092'})
    assert.deepEqual(resolved.servers, ['other:9092'])
    assert.deepEqual(resolved.security.sasl, {mechanism: 'scram-sha-512', username: 'bob', password: 'from-env'})
  })

  it("never sends the current profile's credentials to servers named by -b or KCL_BOOTSTRAP_SERVER", async () => {
    await useProfile('prod')
    try {
      const byFlag = await resolve({bootstrapServer: 'elsewhere:9092'})
      assert.deepEqual([byFlag.servers, byFlag.security], [['elsewhere:9092'], {}])
      const byEnv = await resolve({}, {KCL_BOOTSTRAP_SERVER: 'elsewhere:9092'})
      assert.deepEqual(byEnv.security, {})
    } finally {
      await useProfile('dev')
    }
  })

  it('asks for a missing password only on a terminal, and warns about --sasl-password and --tls-insecure', async () => {
    await assert.rejects(resolve({bootstrapServer: 'x:9092', saslMechanism: 'plain', saslUsername: 'u'}), /SASL password of u is missing/)
    const asked = await resolveConnection({bootstrapServer: 'x:9092', saslMechanism: 'plain', saslUsername: 'u'}, {...hooks, askSecret: async () => 'typed'}, {KCL_HOME: home})
    assert.deepEqual(asked.security.sasl, {mechanism: 'plain', username: 'u', password: 'typed'})
    warnings.length = 0
    await resolve({bootstrapServer: 'x:9092', saslMechanism: 'plain', saslUsername: 'u', saslPassword: 'p', tlsInsecure: true})
    assert.equal(warnings.length, 2)
    assert.match(warnings.join('\n'), /shell history[\s\S]*not verified/)
  })

  it('refuses a profile that does not exist', async () => {
    await assert.rejects(resolve({profile: 'nope'}), /There is no profile named "nope"/)
  })
})
