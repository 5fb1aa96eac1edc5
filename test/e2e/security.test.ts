import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {execa} from 'execa'
import {issueCertificate} from '../../src/cluster/certificates.ts'
import {kafkaImage, kcl, tempKclHome} from '../support/kcl.ts'

// Secured kcl clusters, proven with kcl itself and with clients kcl did not write (kcat, python3-kafka,
// Kafka's Java tools): sasl_ssl and ssl (mutual TLS) with one broker each, shared by their tests, and a
// 3-broker sasl_ssl cluster for failover. Ports 26100-26199, names sec-*.
const HOME = tempKclHome()
const SASL = {name: 'sec-sasl', port: 26110}
const MTLS = {name: 'sec-mtls', port: 26120}
const HA = {name: 'sec-ha', port: 26130}
const secrets = (name: string, file: string) => join(HOME, 'clusters', name, 'secrets', file)

/** Everything kcl printed in this file: the password must be in none of it. */
const printed: string[] = []

async function run(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000) {
  const result = await kcl(args, {env: {KCL_HOME: HOME, ...env}, timeoutMs})
  printed.push(String(result.stdout), String(result.stderr))
  return result
}

async function ok(args: string[], env: Record<string, string> = {}, timeoutMs?: number): Promise<string> {
  const result = await run(args, env, timeoutMs)
  assert.equal(result.exitCode, 0, `kcl ${args.join(' ')}\n${String(result.stderr)}`)
  return String(result.stdout)
}

/** oclif wraps long messages: joined again, so a phrase split across lines still matches. */
const oneLine = (text: unknown): string => String(text).replace(/\s*\n\s*›\s*/g, ' ')

/** The one-line error contract for the errors users meet: exit 3, the message, no stack trace. */
async function refused(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<void> {
  const result = await run(args, env, 60_000)
  const stderr = String(result.stderr)
  assert.equal(result.exitCode, 3, `kcl ${args.join(' ')}: ${stderr}`)
  assert.match(oneLine(stderr), pattern)
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
}

async function kcat(config: string, args: string[], input?: string): Promise<string> {
  const result = await execa('kcat', ['-F', config, ...args], {input, timeout: 60_000, reject: false})
  assert.equal(result.exitCode, 0, result.stderr)
  return result.stdout
}

/** Debian's python3-kafka (not a pyenv Python) reads a topic with the given connection settings. */
async function pythonRead(topic: string, settings: Record<string, string>, password = ''): Promise<string[]> {
  const script = `
import json, os, sys
from kafka import KafkaConsumer
settings = json.loads(sys.argv[2])
if os.environ.get('SASL_PASSWORD'): settings['sasl_plain_password'] = os.environ['SASL_PASSWORD']
consumer = KafkaConsumer(sys.argv[1], auto_offset_reset='earliest', consumer_timeout_ms=10000, **settings)
print(json.dumps([m.value.decode() for m in consumer]))
consumer.close()
`
  const result = await execa('/usr/bin/python3', ['-c', script, topic, JSON.stringify(settings)], {env: {SASL_PASSWORD: password}, timeout: 60_000, reject: false})
  assert.equal(result.exitCode, 0, result.stderr)
  return JSON.parse(result.stdout) as string[]
}

const values = (text: string) => text.split('\n').filter(Boolean)

/** The broker container of a one-broker kcl cluster, and its address on the cluster's Docker network. */
async function brokerContainer(name: string): Promise<{id: string; ip: string}> {
  const id = (await execa('docker', ['ps', '--quiet', '--filter', `label=com.kcl.cluster=${name}`])).stdout.trim().split('\n')[0] as string
  const ip = (await execa('docker', ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', id])).stdout.trim()
  return {id, ip}
}

before(async () => {
  const up = await Promise.all([
    run(['up', '--name', SASL.name, '--port', String(SASL.port), '--security', 'sasl_ssl', '--json'], {}, 400_000),
    run(['up', '--name', MTLS.name, '--port', String(MTLS.port), '--security', 'ssl'], {}, 400_000),
  ])
  for (const result of up) assert.equal(result.exitCode, 0, String(result.stderr))
  assert.equal(JSON.parse(String(up[0].stdout)).security, 'sasl_ssl')
}, {timeout: 420_000})

after(async () => {
  await Promise.all([SASL, MTLS, HA].map((c) => run(['down', '--name', c.name, '--volumes', '--yes'])))
})

describe('a sasl_ssl cluster', () => {
  const password = () => readFileSync(secrets(SASL.name, 'admin-password'), 'utf8')
  const P = ['--profile', SASL.name]

  it('keeps its secrets readable by their owner only, and shows its security mode', async () => {
    for (const file of ['ca.pem', 'ca-key.pem', 'broker-key.pem', 'admin-password']) {
      assert.equal((await execa('stat', ['-c', '%a', secrets(SASL.name, file)])).stdout, '600', file)
    }
    assert.equal((await execa('stat', ['-c', '%a', join(HOME, 'clusters', SASL.name, 'secrets')])).stdout, '700')
    assert.equal((await execa('stat', ['-c', '%a', join(HOME, 'profiles', 'secrets.json')])).stdout, '600')
    assert.match(await ok(['status', '--name', SASL.name]), /security sasl_ssl/)
    assert.equal(JSON.parse(await ok(['status', '--name', SASL.name, '--json'])).security, 'sasl_ssl')
  })

  it('works through its profile: topic create, produce, consume with and without a group, group describe', async () => {
    const shown = JSON.parse(await ok(['profile', 'show', SASL.name, '--json']))
    assert.deepEqual([shown.securityProtocol, shown.sasl.mechanism, shown.sasl.username, shown.sasl.password], ['SASL_SSL', 'scram-sha-512', 'admin', 'saved'])
    await ok(['topic', 'create', 'sasl-orders', '--partitions', '2', ...P])
    await ok(['produce', 'sasl-orders', 'one', 'two', 'three', ...P])
    assert.deepEqual(values(await ok(['consume', 'sasl-orders', '--exit-at-end', ...P])).sort(), ['one', 'three', 'two'])
    assert.deepEqual(values(await ok(['consume', 'sasl-orders', '--group', 'sasl-readers', '--exit-at-end', ...P])).sort(), ['one', 'three', 'two'])
    const group = JSON.parse(await ok(['group', 'describe', 'sasl-readers', '--json', ...P]))
    assert.equal(group.offsets.reduce((sum: number, o: {committed: number}) => sum + o.committed, 0), 3)
  })

  it('Java client properties (--command-config) connect; kcat reads what kcl wrote and kcl reads what kcat wrote', async () => {
    // Debian's kcat (librdkafka 2.0) cannot do SCRAM against Kafka 4 (its nonce bug, fixed in librdkafka 2.6.1): PLAIN over TLS.
    const properties = join(HOME, 'client.properties')
    writeFileSync(
      properties,
      [
        `bootstrap.servers=localhost:${SASL.port}`,
        'security.protocol=SASL_SSL',
        'sasl.mechanism=PLAIN',
        `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\`,
        `    username="admin" password="${password()}";`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${secrets(SASL.name, 'ca.pem')}`,
        'session.timeout.ms=45000',
        '',
      ].join('\n'),
      {mode: 0o600},
    )
    const direct = await run(['topic', 'list', '--command-config', properties])
    assert.equal(direct.exitCode, 0, String(direct.stderr))
    assert.match(String(direct.stdout), /sasl-orders/)
    assert.match(oneLine(direct.stderr), /ignores session\.timeout\.ms/)

    await ok(['profile', 'create', 'sec-plain', '--command-config', properties])
    const config = join(HOME, 'kcat.conf')
    writeFileSync(config, await ok(['profile', 'show', 'sec-plain', '--client-config', 'librdkafka']), {mode: 0o600})
    assert.deepEqual(values(await kcat(config, ['-C', '-t', 'sasl-orders', '-e', '-q'])).sort(), ['one', 'three', 'two'])
    await ok(['topic', 'create', 'sasl-from-kcat', '--profile', 'sec-plain'])
    await kcat(config, ['-P', '-t', 'sasl-from-kcat'], 'written by kcat\n')
    assert.deepEqual(values(await ok(['consume', 'sasl-from-kcat', '--exit-at-end', ...P])), ['written by kcat'])
  })

  it("Kafka's own tools connect with the file from profile show --client-config java", async () => {
    const properties = join(HOME, 'java-client.properties')
    writeFileSync(properties, await ok(['profile', 'show', SASL.name, '--client-config', 'java']), {mode: 0o600})
    const dir = join(HOME, 'clusters', SASL.name, 'secrets')
    const listed = await execa(
      'docker',
      ['run', '--rm', '--network', 'host', '--user', 'root', '--entrypoint', '/opt/kafka/bin/kafka-topics.sh', '--volume', `${dir}:${dir}:ro`, '--volume', `${properties}:/client.properties:ro`, kafkaImage(),
        '--bootstrap-server', `localhost:${SASL.port}`, '--command-config', '/client.properties', '--list'],
      {timeout: 120_000, reject: false},
    )
    assert.equal(listed.exitCode, 0, listed.stderr)
    assert.match(listed.stdout, /sasl-orders/)
  })

  it('python3-kafka connects with the same credentials (SCRAM-SHA-512)', async () => {
    const read = await pythonRead('sasl-orders', {bootstrap_servers: `localhost:${SASL.port}`, security_protocol: 'SASL_SSL', sasl_mechanism: 'SCRAM-SHA-512', sasl_plain_username: 'admin', ssl_cafile: secrets(SASL.name, 'ca.pem')}, password())
    assert.deepEqual(read.sort(), ['one', 'three', 'two'])
  })

  it('refuses, in one line with exit 3 and nothing written: wrong password, unknown user, a mechanism it does not enable', async () => {
    await refused(['produce', 'sasl-orders', 'never', ...P], /Authentication failed for user admin \(SCRAM-SHA-512\)/, {KCL_SASL_PASSWORD: 'not-the-password'})
    await refused(['topic', 'list', ...P, '--sasl-username', 'nobody'], /Authentication failed for user nobody \(SCRAM-SHA-512\)/)
    await refused(['topic', 'list', ...P, '--sasl-mechanism', 'scram-sha-256'], /does not enable SASL SCRAM-SHA-256; it enables PLAIN, SCRAM-SHA-512/)
    await refused(['topic', 'list', ...P, '--sasl-mechanism', 'oauthbearer'], /does not enable SASL OAUTHBEARER; it enables PLAIN, SCRAM-SHA-512/, {KCL_SASL_PASSWORD: 'a-token'})
    assert.deepEqual(values(await ok(['consume', 'sasl-orders', '--exit-at-end', ...P])).sort(), ['one', 'three', 'two'], 'nothing was written')
  })

  it('refuses untrusted certificates, host names the certificate does not list, and plaintext or TLS on the wrong port', async () => {
    const env = {KCL_SASL_PASSWORD: password()}
    const sasl = ['--sasl-mechanism', 'scram-sha-512', '--sasl-username', 'admin']
    await refused(['topic', 'list', '-b', `localhost:${SASL.port}`, '--tls', ...sasl], /not signed by a CA kcl trusts.*--tls-ca/, env)
    const {ip} = await brokerContainer(SASL.name)
    await refused(['topic', 'list', '-b', `${ip}:9092`, '--tls-ca', secrets(SASL.name, 'ca.pem'), ...sasl], /not valid for "[\d.]+"/, env)
    await refused(['topic', 'list', '-b', `localhost:${SASL.port}`], /speaks TLS, and kcl connected without it/)
    await refused(['topic', 'list', '-b', `${ip}:19092`, '--tls-ca', secrets(SASL.name, 'ca.pem')], /does not speak TLS/)
  })

  it('--tls-insecure works and warns every time', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await run(['topic', 'list', '-b', `localhost:${SASL.port}`, '--tls-insecure', '--sasl-mechanism', 'plain', '--sasl-username', 'admin'], {KCL_SASL_PASSWORD: password()})
      assert.equal(result.exitCode, 0, String(result.stderr))
      assert.match(oneLine(result.stderr), /not verified/)
    }
  })

  it('never prints the password: not in output, --json, errors or KCL_DEBUG logs', async () => {
    await ok(['group', 'describe', 'sasl-readers', ...P], {KCL_DEBUG: '1'})
    await ok(['topic', 'list', '--profile', 'sec-plain', '--json'], {KCL_DEBUG: '1'})
    await run(['consume', 'no-such-topic', '--exit-at-end', ...P], {KCL_DEBUG: '1'})
    await ok(['profile', 'list', '--json'])
    await ok(['profile', 'show', SASL.name])
    const secret = password()
    assert.ok(printed.length > 20)
    for (const output of printed.filter((text) => !text.includes('sasl.password=') && !text.includes('sasl.jaas.config='))) {
      assert.equal(output.includes(secret), false, `the password was printed:\n${output.replaceAll(secret, '<PASSWORD>')}`)
    }
  })

  it('doctor checks the secured cluster as a plaintext one', async () => {
    const report = JSON.parse(String((await run(['doctor', '--name', SASL.name, '--json'])).stdout))
    for (const id of ['network.listeners', 'cluster.quorum', 'cluster.partitions']) {
      const check = report.checks.find((c: {id: string}) => c.id === id)
      assert.equal(check?.status, 'ok', `${id}: ${JSON.stringify(check)}`)
    }
  })
})

describe('an ssl cluster with mutual TLS', () => {
  const P = ['--profile', MTLS.name]

  it('works through its profile: topic create, produce, consume with and without a group, group describe', async () => {
    const shown = JSON.parse(await ok(['profile', 'show', MTLS.name, '--json']))
    assert.equal(shown.securityProtocol, 'SSL')
    assert.ok(shown.tls.cert, 'a client certificate')
    await ok(['topic', 'create', 'mtls-orders', ...P])
    await ok(['produce', 'mtls-orders', 'alpha', 'beta', ...P])
    assert.deepEqual(values(await ok(['consume', 'mtls-orders', '--exit-at-end', ...P])), ['alpha', 'beta'])
    assert.deepEqual(values(await ok(['consume', 'mtls-orders', '--group', 'mtls-readers', '--exit-at-end', ...P])), ['alpha', 'beta'])
    const group = JSON.parse(await ok(['group', 'describe', 'mtls-readers', '--json', ...P]))
    assert.equal(group.offsets[0].committed, 2)
  })

  it('kcat reads what kcl wrote and kcl reads what kcat wrote; python3-kafka connects with the client certificate', async () => {
    const config = join(HOME, 'kcat-mtls.conf')
    writeFileSync(config, await ok(['profile', 'show', MTLS.name, '--client-config', 'librdkafka']), {mode: 0o600})
    assert.deepEqual(values(await kcat(config, ['-C', '-t', 'mtls-orders', '-e', '-q'])), ['alpha', 'beta'])
    await ok(['topic', 'create', 'mtls-from-kcat', ...P])
    await kcat(config, ['-P', '-t', 'mtls-from-kcat'], 'written by kcat\n')
    assert.deepEqual(values(await ok(['consume', 'mtls-from-kcat', '--exit-at-end', ...P])), ['written by kcat'])
    const keystore = secrets(MTLS.name, 'client-keystore.pem')
    const read = await pythonRead('mtls-orders', {bootstrap_servers: `localhost:${MTLS.port}`, security_protocol: 'SSL', ssl_cafile: secrets(MTLS.name, 'ca.pem'), ssl_certfile: keystore, ssl_keyfile: keystore})
    assert.deepEqual(read, ['alpha', 'beta'])
  })

  it('refuses a client without a certificate and one whose certificate has expired', async () => {
    const ca = secrets(MTLS.name, 'ca.pem')
    await refused(['topic', 'list', '-b', `localhost:${MTLS.port}`, '--tls-ca', ca], /requires a client certificate|refused kcl's client certificate/)
    const expired = await issueCertificate(
      {cert: readFileSync(ca, 'utf8'), key: readFileSync(secrets(MTLS.name, 'ca-key.pem'), 'utf8')},
      {commonName: 'admin', client: true, notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000)},
    )
    const file = join(HOME, 'expired-client.pem')
    writeFileSync(file, `${expired.key}${expired.cert}`, {mode: 0o600})
    await refused(['topic', 'list', '-b', `localhost:${MTLS.port}`, '--tls-ca', ca, '--tls-cert', file, '--tls-key', file], /refused kcl's client certificate/)
  })

  it("refuses a broker whose certificate has expired (the broker restarted with one), and works again with a current one", async () => {
    const {id} = await brokerContainer(MTLS.name)
    const ca = {cert: readFileSync(secrets(MTLS.name, 'ca.pem'), 'utf8'), key: readFileSync(secrets(MTLS.name, 'ca-key.pem'), 'utf8')}
    const expired = await issueCertificate(ca, {commonName: 'expired broker', hosts: ['localhost', '127.0.0.1'], notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000)})
    const current = readFileSync(secrets(MTLS.name, 'broker-key.pem'), 'utf8') + readFileSync(secrets(MTLS.name, 'broker.pem'), 'utf8') + ca.cert
    // The brokers mount the secrets volume read-only; a throwaway container writes it, a restart makes the broker read it.
    const writeKeystore = (pem: string) =>
      execa('docker', ['run', '--rm', '--interactive', '--network', 'none', '--entrypoint', 'sh', '--volume', `kcl-${MTLS.name}_secrets:/etc/kafka/secrets`, kafkaImage(), '-c', 'cat > /etc/kafka/secrets/broker.pem'], {input: pem})
    await writeKeystore(`${expired.key}${expired.cert}${ca.cert}`)
    await execa('docker', ['restart', id])
    try {
      let result
      for (let attempt = 0; attempt < 60; attempt++) {
        result = await run(['topic', 'list', ...P], {}, 30_000)
        if (/has expired/.test(oneLine(result.stderr))) break
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
      assert.equal(result?.exitCode, 3, String(result?.stderr))
      assert.match(oneLine(result?.stderr), /The TLS certificate of localhost:\d+ has expired/)
    } finally {
      await writeKeystore(current)
      await execa('docker', ['restart', id])
    }
    for (let attempt = 0; ; attempt++) {
      const result = await run(['topic', 'list', ...P], {}, 30_000)
      if (result.exitCode === 0) break
      assert.ok(attempt < 60, String(result.stderr))
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  })

  it('down --volumes removes the cluster and its profile', async () => {
    await ok(['down', '--name', MTLS.name, '--volumes', '--yes'])
    const names = JSON.parse(await ok(['profile', 'list', '--json'])).map((p: {name: string}) => p.name)
    assert.equal(names.includes(MTLS.name), false)
    assert.equal(names.includes(SASL.name), true)
  })
})

describe('a 3-broker sasl_ssl cluster', () => {
  before(async () => {
    await ok(['up', '--name', HA.name, '--brokers', '3', '--port', String(HA.port), '--security', 'sasl_ssl'], {}, 400_000)
  }, {timeout: 420_000})

  it('survives kcl cluster failover, with the probe written and read back through SASL and TLS', async () => {
    const result = JSON.parse(await ok(['cluster', 'failover', '--name', HA.name, '--json'], {}, 300_000))
    assert.notEqual(result.controllerAfter, result.controllerBefore)
    assert.equal(result.probe.readBack, true)
    await ok(['cluster', 'restore', '--name', HA.name], {}, 300_000)
  })
})
