import type * as Crypto from 'node:crypto'
import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {createVolume, writeVolumeFiles} from '../docker/volumes.ts'
import {CLUSTER_LABEL, execInContainer} from '../docker/containers.ts'
import {ExitCode, KclError} from '../errors.ts'
import type {ConnectionSecurity, SaslMechanism} from '../kafka/security.ts'
import {toSecurity, type ConnectionSettings} from '../profile/settings.ts'
import {poll} from '../poll.ts'
import {createCertificateAuthority, issueCertificate, type IssuedCertificate} from './certificates.ts'
import {hostBootstrapServers, nodeIds, secretsVolumeName, securityOf, usesSasl, usesTls, type ClusterSpec} from './spec.ts'
import {clusterDir} from './store.ts'

/**
 * The secrets of a secured kcl cluster, kept in its directory (0700, every file 0600) and copied into its
 * secrets volume for the brokers: a CA, the brokers' certificate, a client certificate for mutual TLS (ssl),
 * and the password of the SASL user admin (sasl_*). kcl makes what the cluster's mode needs and is missing.
 */

export const ADMIN_USER = 'admin'
/** What kcl itself, and the cluster's profile, authenticate with on a SASL cluster. */
export const CLUSTER_SASL_MECHANISM: SaslMechanism = 'scram-sha-512'

const FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  broker: 'broker.pem',
  brokerKey: 'broker-key.pem',
  client: 'client.pem',
  clientKey: 'client-key.pem',
  /** The client's key and certificate in one PEM file, as Kafka's Java client (ssl.keystore.type=PEM) wants them. */
  clientKeystore: 'client-keystore.pem',
  password: 'admin-password',
} as const

/** Where the brokers find their secrets (compose-templates/security.yaml mounts the volume there). */
const BROKER_SECRETS_DIR = '/etc/kafka/secrets'

export function secretsDir(name: string, env?: NodeJS.ProcessEnv): string {
  return join(clusterDir(name, env), 'secrets')
}

/** Paths of the files a client of the cluster needs: the CA, and for mutual TLS its key and certificate (one file). */
export function clientFiles(spec: ClusterSpec, env?: NodeJS.ProcessEnv): {ca?: string; cert?: string; key?: string} {
  const mode = securityOf(spec)
  const dir = secretsDir(spec.name, env)
  if (!usesTls(mode)) return {}
  const keystore = join(dir, FILES.clientKeystore)
  return mode === 'ssl' ? {ca: join(dir, FILES.ca), cert: keystore, key: keystore} : {ca: join(dir, FILES.ca)}
}

async function readSecret(dir: string, file: string): Promise<string | undefined> {
  return readFile(join(dir, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
}

async function writeSecret(dir: string, file: string, content: string): Promise<void> {
  await writeFile(join(dir, file), content, {mode: 0o600})
  await chmod(join(dir, file), 0o600)
}

async function pair(dir: string, cert: string, key: string, make: () => Promise<IssuedCertificate>): Promise<IssuedCertificate> {
  const [existingCert, existingKey] = await Promise.all([readSecret(dir, cert), readSecret(dir, key)])
  if (existingCert && existingKey) return {cert: existingCert, key: existingKey}
  const made = await make()
  await writeSecret(dir, key, made.key)
  await writeSecret(dir, cert, made.cert)
  return made
}

/**
 * Makes the secrets the cluster's mode needs and does not have yet; returns the files of its secrets volume
 * (nothing for plaintext).
 */
export async function ensureClusterSecrets(spec: ClusterSpec): Promise<Record<string, string>> {
  const mode = securityOf(spec)
  if (mode === 'plaintext') return {}
  const dir = secretsDir(spec.name)
  await mkdir(dir, {recursive: true, mode: 0o700})
  await chmod(dir, 0o700)
  const volume: Record<string, string> = {}
  if (usesTls(mode)) {
    const ca = await pair(dir, FILES.ca, FILES.caKey, () => createCertificateAuthority(`kcl cluster ${spec.name} CA`))
    const hosts = ['localhost', '127.0.0.1', '::1', ...nodeIds(spec).map((id) => `kafka-${id}`)]
    const broker = await pair(dir, FILES.broker, FILES.brokerKey, () => issueCertificate(ca, {commonName: `kcl cluster ${spec.name} broker`, hosts}))
    if (mode === 'ssl') {
      const client = await pair(dir, FILES.client, FILES.clientKey, () => issueCertificate(ca, {commonName: ADMIN_USER, client: true}))
      await writeSecret(dir, FILES.clientKeystore, `${client.key.trim()}\n${client.cert.trim()}\n`)
    }
    // A PEM key store: the private key, then the certificate chain.
    volume['broker.pem'] = `${broker.key.trim()}\n${broker.cert.trim()}\n${ca.cert.trim()}\n`
    volume['ca.pem'] = ca.cert
  }
  if (usesSasl(mode)) {
    let password = await readSecret(dir, FILES.password)
    if (!password) {
      // node:crypto loads only here: most commands that import this module never make a password.
      password = (process.getBuiltinModule('node:crypto') as typeof Crypto).randomBytes(24).toString('base64url')
      await writeSecret(dir, FILES.password, password)
    }
    volume['admin-password'] = password
    // Both login modules: PLAIN checks user_<name> here; SCRAM checks the credentials in the cluster metadata.
    volume['kafka_server_jaas.conf'] = [
      'KafkaServer {',
      `  org.apache.kafka.common.security.plain.PlainLoginModule required user_${ADMIN_USER}="${password}";`,
      '  org.apache.kafka.common.security.scram.ScramLoginModule required;',
      '};',
      '',
    ].join('\n')
  }
  return volume
}

/** Creates the cluster's secrets volume if needed and writes the brokers' secrets into it. */
export async function prepareSecretsVolume(spec: ClusterSpec): Promise<void> {
  const files = await ensureClusterSecrets(spec)
  if (Object.keys(files).length === 0) return
  const volume = secretsVolumeName(spec)
  await createVolume(volume, {[CLUSTER_LABEL]: spec.name})
  await writeVolumeFiles(spec.image, volume, BROKER_SECRETS_DIR, files)
}

const SCRAM_ATTEMPT_MS = 90_000

/**
 * Gives the admin user SCRAM-SHA-512 credentials, through the broker's in-Docker listener
 * with Kafka's own kafka-configs tool (the password is read inside the container, never on a command line
 * here). Idempotent: on a cluster that has them, the same password is stored again. Tried until `deadline`
 * (performance.now() clock) while the broker is not ready for it.
 */
export async function createScramCredentials(spec: ClusterSpec, containerId: string, deadline: number): Promise<void> {
  const password = `"$(cat ${BROKER_SECRETS_DIR}/admin-password)"`
  const script =
    `p=${password}; exec /opt/kafka/bin/kafka-configs.sh --bootstrap-server localhost:19092 --alter --entity-type users --entity-name ${ADMIN_USER} ` +
    `--add-config "SCRAM-SHA-512=[iterations=8192,password=$p]"`
  let failure: Error | undefined
  await poll(
    async () => {
      try {
        await execInContainer(containerId, ['bash', '-c', script], {env: {KAFKA_HEAP_OPTS: '-Xmx128m'}, timeoutMs: SCRAM_ATTEMPT_MS})
        return true
      } catch (error) {
        failure = error as Error
        return undefined
      }
    },
    {
      deadline,
      intervalMs: 1000,
      onTimeout: () => {
        throw new KclError(`Could not create the SASL user ${ADMIN_USER} on cluster "${spec.name}": ${failure?.message}`, {
          hint: `Check the broker's log (docker logs ${containerId.slice(0, 12)}) and \`kcl doctor\`.`,
          exitCode: ExitCode.environment,
        })
      },
    },
  )
}

const loaded = new Map<string, Promise<ConnectionSecurity>>()

/** How kcl itself connects to the cluster's published listener (read once per process). */
export function clusterSecurity(spec: ClusterSpec): Promise<ConnectionSecurity> {
  let security = loaded.get(spec.name)
  if (!security) {
    security = clusterSettings(spec).then(toSecurity)
    loaded.set(spec.name, security)
  }
  return security
}

/** How a client connects to the cluster from this machine: its servers, its CA and client certificate, its user. */
export async function clusterSettings(spec: ClusterSpec): Promise<ConnectionSettings> {
  const mode = securityOf(spec)
  const settings: ConnectionSettings = {bootstrapServers: hostBootstrapServers(spec).split(',')}
  if (usesTls(mode)) {
    const files = clientFiles(spec)
    Object.assign(settings, {tls: true, tlsCa: files.ca, tlsCert: files.cert, tlsKey: files.key})
  }
  if (usesSasl(mode)) {
    const password = await readSecret(secretsDir(spec.name), FILES.password)
    if (password === undefined) {
      throw new KclError(`The SASL password of cluster "${spec.name}" is missing (${join(secretsDir(spec.name), FILES.password)}).`, {
        hint: `\`kcl up --name ${spec.name}\` sets a new one.`,
        exitCode: ExitCode.environment,
      })
    }
    Object.assign(settings, {saslMechanism: CLUSTER_SASL_MECHANISM, saslUsername: ADMIN_USER, saslPassword: password})
  }
  return settings
}
