import assert from 'node:assert/strict'
import {X509Certificate, createPrivateKey} from 'node:crypto'
import {describe, it} from 'node:test'
import {createCertificateAuthority, issueCertificate} from '../../src/cluster/certificates.ts'

// Checked with Node's X509Certificate (OpenSSL), which kcl did not write; Kafka, kcat and python3-kafka use them in the e2e tests.
describe('cluster certificates', async () => {
  const ca = await createCertificateAuthority('kcl test CA')

  it('makes a self-signed CA', () => {
    const cert = new X509Certificate(ca.cert)
    assert.equal(cert.ca, true)
    assert.equal(cert.subject, cert.issuer)
    assert.equal(cert.verify(cert.publicKey), true)
    assert.equal(createPrivateKey(ca.key).asymmetricKeyType, 'rsa')
    assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----/, 'PKCS#8, as Kafka PEM key stores want')
  })

  it('issues a server certificate for host names and IP addresses, signed by the CA', async () => {
    const issued = await issueCertificate(ca, {commonName: 'kafka', hosts: ['localhost', '127.0.0.1', 'kafka-1']})
    const cert = new X509Certificate(issued.cert)
    assert.equal(cert.ca, false)
    assert.equal(cert.verify(new X509Certificate(ca.cert).publicKey), true)
    assert.equal(cert.checkIssued(new X509Certificate(ca.cert)), true)
    assert.equal(cert.checkHost('localhost'), 'localhost')
    assert.equal(cert.checkHost('kafka-1'), 'kafka-1')
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1')
    assert.equal(cert.checkHost('example.com'), undefined)
    assert.equal(cert.checkPrivateKey(createPrivateKey(issued.key)), true)
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'])
  })

  it('issues client certificates and honours the validity asked for', async () => {
    const notAfter = new Date(Date.now() - 86_400_000)
    const issued = await issueCertificate(ca, {commonName: 'admin', client: true, notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter})
    const cert = new X509Certificate(issued.cert)
    assert.match(cert.subject, /CN=admin/)
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'])
    assert.ok(Math.abs(cert.validToDate.getTime() - notAfter.getTime()) < 1000)
  })
})
