import type * as Crypto from 'node:crypto'

/** A certificate and its private key, PEM (the key as PKCS#8, which Kafka's PEM key stores and every client read). */
export interface IssuedCertificate {
  cert: string
  key: string
}

export interface CertificateRequest {
  commonName: string
  /** Host names and IP addresses the certificate is valid for (server certificates). */
  hosts?: string[]
  /** Client certificate (mutual TLS) rather than server certificate. */
  client?: boolean
  notBefore?: Date
  notAfter?: Date
}

const DAY_MS = 86_400_000
/** A local cluster lives as long as its volumes; its certificates should not be what ends it. */
export const CA_VALIDITY_DAYS = 3650
export const LEAF_VALIDITY_DAYS = 3650

const IP_ADDRESS = /^(\d{1,3}\.){3}\d{1,3}$|:/

async function forge(): Promise<typeof import('node-forge')> {
  // node-forge builds and signs the X.509 structures; Node's own crypto makes the keys (native, fast).
  const module = await import('node-forge')
  return ((module as unknown as {default?: typeof import('node-forge')}).default ?? module) as typeof import('node-forge')
}

function newKeyPair(): {privatePem: string; publicPem: string} {
  const {privateKey, publicKey} = crypto().generateKeyPairSync('rsa', {modulusLength: 2048})
  return {privatePem: privateKey.export({type: 'pkcs8', format: 'pem'}) as string, publicPem: publicKey.export({type: 'spki', format: 'pem'}) as string}
}

function validity(request: CertificateRequest, days: number): {notBefore: Date; notAfter: Date} {
  // A minute of slack: a container's clock may be a little behind the host's.
  const notBefore = request.notBefore ?? new Date(Date.now() - 60_000)
  return {notBefore, notAfter: request.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS)}
}

/** A self-signed CA for one cluster: it signs the brokers' and the clients' certificates, and nothing else. */
export async function createCertificateAuthority(commonName: string): Promise<IssuedCertificate> {
  const pki = (await forge()).pki
  const keys = newKeyPair()
  const cert = pki.createCertificate()
  cert.publicKey = pki.publicKeyFromPem(keys.publicPem)
  cert.serialNumber = serialNumber()
  Object.assign(cert.validity, validity({commonName}, CA_VALIDITY_DAYS))
  const name = [{name: 'commonName', value: commonName}, {name: 'organizationName', value: 'kcl'}]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.setExtensions([
    {name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true},
    {name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true},
    {name: 'subjectKeyIdentifier'},
  ])
  cert.sign(pki.privateKeyFromPem(keys.privatePem), (await forge()).md.sha256.create())
  return {cert: pki.certificateToPem(cert), key: keys.privatePem}
}

/** A server certificate for the named hosts, or a client certificate, signed by the CA. */
export async function issueCertificate(ca: IssuedCertificate, request: CertificateRequest): Promise<IssuedCertificate> {
  const f = await forge()
  const pki = f.pki
  const caCert = pki.certificateFromPem(ca.cert)
  const keys = newKeyPair()
  const cert = pki.createCertificate()
  cert.publicKey = pki.publicKeyFromPem(keys.publicPem)
  cert.serialNumber = serialNumber()
  Object.assign(cert.validity, validity(request, LEAF_VALIDITY_DAYS))
  cert.setSubject([{name: 'commonName', value: request.commonName}, {name: 'organizationName', value: 'kcl'}])
  cert.setIssuer(caCert.subject.attributes)
  const altNames = (request.hosts ?? []).map((host) => (IP_ADDRESS.test(host) ? {type: 7, ip: host} : {type: 2, value: host}))
  cert.setExtensions([
    {name: 'basicConstraints', cA: false, critical: true},
    {name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true},
    {name: 'extKeyUsage', serverAuth: !request.client, clientAuth: request.client === true},
    ...(altNames.length > 0 ? [{name: 'subjectAltName', altNames}] : []),
    {name: 'subjectKeyIdentifier'},
    {name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes()},
  ])
  cert.sign(pki.privateKeyFromPem(ca.key), f.md.sha256.create())
  return {cert: pki.certificateToPem(cert), key: keys.privatePem}
}

/** 16 random bytes, positive (the top bit clear), as X.509 serial numbers must be. */
function serialNumber(): string {
  const bytes = crypto().randomBytes(16)
  bytes[0] = (bytes[0] as number) & 0x7f
  return bytes.toString('hex')
}

/** node:crypto, loaded when a certificate is made rather than by every command that imports this module. */
function crypto(): typeof Crypto {
  return process.getBuiltinModule('node:crypto') as typeof Crypto
}
