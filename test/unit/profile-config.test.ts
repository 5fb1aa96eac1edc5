import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {commandConfigSettings, parseJaasConfig, parseProperties} from '../../src/profile/command-config.ts'
import {renderClientConfig} from '../../src/profile/client-config.ts'
import {checkSettings, describeSecurity, mergeSettings, pemBlocks, securityProtocol} from '../../src/profile/settings.ts'

// A client.properties as Confluent Cloud hands it out (values made up).
const CONFLUENT_CLOUD = `# Required connection configs for Kafka producer, consumer, and admin
bootstrap.servers=pkc-12345.europe-west1.gcp.confluent.cloud:9092
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='ABCDEFG' password='s3cr3t+/=';
# Best practice for higher availability in Apache Kafka clients prior to 3.0
session.timeout.ms=45000
client.dns.lookup=use_all_dns_ips
acks=all
`

describe('Java client properties (--command-config)', () => {
  it('parses comments, separators, continuation lines and escapes as java.util.Properties does', () => {
    const p = parseProperties('# c\n! c\na=1\nb : 2\nc 3\nd=x\\\n    y\\\\\ne=\\u0041\\n\\=\n  f=  spaced  \n')
    assert.deepEqual(Object.fromEntries(p), {a: '1', b: '2', c: '3', d: 'xy\\', e: 'A\n=', f: 'spaced  '})
  })

  it('reads JAAS login module options, quoted or not', () => {
    const {module, options} = parseJaasConfig('org.apache.kafka.common.security.scram.ScramLoginModule required username="al\\"ice" password=pw;')
    assert.equal(module, 'org.apache.kafka.common.security.scram.ScramLoginModule')
    assert.deepEqual(Object.fromEntries(options), {username: 'al"ice', password: 'pw'})
  })

  it("takes MSK's SCRAM properties with a PEM trust store", () => {
    const {settings, ignored} = commandConfigSettings(
      parseProperties(
        'bootstrap.servers=b-1.msk:9096,b-2.msk:9096\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n' +
          'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="pw";\n' +
          'ssl.truststore.type=PEM\nssl.truststore.location=/etc/ca.pem\n',
      ),
      'msk.properties',
    )
    assert.deepEqual(settings, {bootstrapServers: ['b-1.msk:9096', 'b-2.msk:9096'], tls: true, saslMechanism: 'scram-sha-512', saslUsername: 'alice', saslPassword: 'pw', tlsCa: '/etc/ca.pem'})
    assert.deepEqual(ignored, [])
  })

  it("names the keys it cannot honour in one line, and the Java client's tuning keys apart", () => {
    const {settings, ignored} = commandConfigSettings(parseProperties(CONFLUENT_CLOUD), 'client.properties')
    assert.deepEqual(settings, {bootstrapServers: ['pkc-12345.europe-west1.gcp.confluent.cloud:9092'], tls: true, saslMechanism: 'plain', saslUsername: 'ABCDEFG', saslPassword: 's3cr3t+/='})
    assert.deepEqual(ignored.sort(), ['acks', 'client.dns.lookup', 'session.timeout.ms'])
    assert.throws(
      () => commandConfigSettings(parseProperties(`${CONFLUENT_CLOUD}sasl.mechanisms=PLAIN\nsasl.kerberos.service.name=kafka\n`), 'client.properties'),
      /cannot honour these settings of client.properties: sasl.mechanisms; sasl.kerberos.service.name\./,
    )
    assert.throws(() => commandConfigSettings(parseProperties('security.protocol=SSL\nssl.truststore.location=/x.jks\n'), 'f'), /ssl.truststore.type=JKS/)
    assert.throws(() => commandConfigSettings(parseProperties('security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\n'), 'f'), /sasl.mechanism=GSSAPI/)
  })

  it('reads a PEM key store as both the client certificate and key, and an empty endpoint algorithm as no host check', () => {
    const {settings} = commandConfigSettings(parseProperties('security.protocol=SSL\nssl.keystore.type=PEM\nssl.keystore.location=/me.pem\nssl.key.password=k\nssl.endpoint.identification.algorithm=\n'), 'f')
    assert.deepEqual(settings, {tls: true, tlsInsecure: true, tlsCert: '/me.pem', tlsKey: '/me.pem', tlsKeyPassword: 'k'})
  })
})

describe('connection settings', () => {
  it('merge field by field, later layers winning', () => {
    const merged = mergeSettings({bootstrapServers: ['a:1'], saslMechanism: 'plain', saslUsername: 'u'}, {saslUsername: 'v', tlsCa: undefined}, {bootstrapServers: ['b:2']})
    assert.deepEqual(merged, {bootstrapServers: ['b:2'], saslMechanism: 'plain', saslUsername: 'v'})
  })

  it('name the protocol and describe themselves without secrets', () => {
    const s = {saslMechanism: 'scram-sha-512' as const, saslUsername: 'admin', saslPassword: 'secret', tlsCa: '/ca.pem'}
    assert.equal(securityProtocol(s), 'SASL_SSL')
    assert.equal(securityProtocol({tlsCert: '/c', tlsKey: '/k'}), 'SSL')
    assert.equal(securityProtocol({saslMechanism: 'plain', saslUsername: 'u'}), 'SASL_PLAINTEXT')
    assert.equal(describeSecurity(s), 'SASL_SSL, SCRAM-SHA-512 as admin')
    assert.equal(describeSecurity(s).includes('secret'), false)
  })

  it('refuse a certificate without its key, a mechanism without a user, a user without a mechanism', () => {
    assert.throws(() => checkSettings({tlsCert: '/c'}), /both --tls-cert and --tls-key/)
    assert.throws(() => checkSettings({saslMechanism: 'plain'}), /needs a user name/)
    assert.throws(() => checkSettings({saslUsername: 'u'}), /without a mechanism/)
    assert.doesNotThrow(() => checkSettings({saslMechanism: 'oauthbearer', saslPassword: 'token'}))
  })

  it('split PEM files mixing keys and certificates', () => {
    const text = '-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n'
    assert.equal(pemBlocks(text, 'PRIVATE KEY'), '-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----')
    assert.equal(pemBlocks(text, 'CERTIFICATE'), '-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----')
  })
})

describe('client config files (profile show --client-config)', () => {
  const settings = {bootstrapServers: ['localhost:9092'], saslMechanism: 'scram-sha-512' as const, saslUsername: 'admin', saslPassword: 'p"w', tlsCa: '/ca.pem'}

  it("writes librdkafka's properties for kcat -F", () => {
    assert.equal(
      renderClientConfig(settings, 'librdkafka'),
      'bootstrap.servers=localhost:9092\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=p"w\nssl.ca.location=/ca.pem\n',
    )
  })

  it("writes the Java client's properties, which kcl's own --command-config reads back the same", () => {
    const java = renderClientConfig({...settings, tlsCert: '/me.pem', tlsKey: '/me.pem'}, 'java')
    assert.match(java, /sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="p\\\\"w";/)
    const {settings: back} = commandConfigSettings(parseProperties(java), 'java')
    assert.deepEqual(back, {...settings, tls: true, tlsCert: '/me.pem', tlsKey: '/me.pem'})
  })

  it('refuses what the format cannot carry', () => {
    assert.throws(() => renderClientConfig({saslMechanism: 'oauthbearer', saslPassword: 't'}, 'librdkafka'), /static OAUTHBEARER token/)
    assert.throws(() => renderClientConfig({tlsCert: '/c.pem', tlsKey: '/k.pem'}, 'java'), /one PEM file/)
  })
})
