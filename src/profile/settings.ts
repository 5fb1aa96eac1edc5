import {readFile} from 'node:fs/promises'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {SASL_MECHANISMS, type ConnectionSecurity, type SaslMechanism} from '../kafka/security.ts'

/**
 * Where and how to connect to a Kafka cluster, as flags, environment variables, profiles and Java client
 * properties all describe it. Files are paths here; toSecurity() reads them. `saslPassword` is the one secret
 * (the token for OAUTHBEARER): profiles keep it apart, and nothing kcl prints ever shows it.
 */
export interface ConnectionSettings {
  bootstrapServers?: string[]
  tls?: boolean
  tlsCa?: string
  tlsCert?: string
  tlsKey?: string
  /** The PEM key's passphrase, for an encrypted key (ssl.key.password in Java properties). */
  tlsKeyPassword?: string
  tlsInsecure?: boolean
  saslMechanism?: SaslMechanism
  saslUsername?: string
  saslPassword?: string
}

/** The settings that are secrets: kept 0600 apart from the rest, never printed. */
export const SECRET_KEYS = ['saslPassword', 'tlsKeyPassword'] as const

/** Later layers win, field by field; a field a layer does not set leaves the earlier one's. */
export function mergeSettings(...layers: (ConnectionSettings | undefined)[]): ConnectionSettings {
  const merged: ConnectionSettings = {}
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) (merged as Record<string, unknown>)[key] = value
  }
  return merged
}

export const usesTlsSettings = (s: ConnectionSettings): boolean => s.tls === true || s.tlsCa !== undefined || s.tlsCert !== undefined || s.tlsInsecure === true

/** Kafka's security.protocol for these settings. */
export function securityProtocol(s: ConnectionSettings): 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' {
  const tls = usesTlsSettings(s)
  if (s.saslMechanism) return tls ? 'SASL_SSL' : 'SASL_PLAINTEXT'
  return tls ? 'SSL' : 'PLAINTEXT'
}

export function parseSaslMechanism(value: string, source: string): SaslMechanism {
  const mechanism = value.toLowerCase() as SaslMechanism
  if (!SASL_MECHANISMS.includes(mechanism)) throw usageError(`${source} must be one of ${SASL_MECHANISMS.join(', ')}, not "${value}".`)
  return mechanism
}

/** One line about how a connection is secured, without any secret: for list, show and status lines. */
export function describeSecurity(s: ConnectionSettings): string {
  const parts: string[] = [securityProtocol(s)]
  if (s.saslMechanism) parts.push(s.saslMechanism === 'oauthbearer' ? 'OAUTHBEARER (token)' : `${s.saslMechanism.toUpperCase()} as ${s.saslUsername ?? '?'}`)
  if (s.tlsCert) parts.push('client certificate')
  if (s.tlsInsecure) parts.push('certificates NOT verified')
  return parts.join(', ')
}

/** Refuses settings that cannot work, before anything connects. */
export function checkSettings(s: ConnectionSettings): void {
  if ((s.tlsCert === undefined) !== (s.tlsKey === undefined)) {
    throw usageError('Mutual TLS needs both --tls-cert and --tls-key.', 'Pass the client certificate and its private key (PEM files).')
  }
  if (s.saslMechanism && s.saslMechanism !== 'oauthbearer' && !s.saslUsername) {
    throw usageError(`SASL ${s.saslMechanism.toUpperCase()} needs a user name.`, 'Pass --sasl-username NAME (or KCL_SASL_USERNAME).')
  }
  if (!s.saslMechanism && (s.saslUsername || s.saslPassword)) {
    throw usageError('A SASL user name or password was given without a mechanism.', 'Pass --sasl-mechanism plain, scram-sha-256, scram-sha-512 or oauthbearer.')
  }
}

async function readPem(file: string, what: string, flag: string): Promise<string> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new KclError(`Cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: `Check the path given to ${flag} (or in the profile).`,
      exitCode: ExitCode.usage,
    })
  }
  if (!text.includes('-----BEGIN ')) throw usageError(`${file} is not a PEM file (no -----BEGIN line).`, `${flag} takes PEM; convert a JKS or PKCS#12 store with keytool or openssl first.`)
  return text
}

/** The PEM blocks of one kind (CERTIFICATE, or any PRIVATE KEY) in a text, as Kafka PEM key stores mix them. */
export function pemBlocks(text: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const pattern = kind === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g : /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g
  return (text.match(pattern) ?? []).join('\n')
}

/** The security a client connects with: files read, mechanisms checked. */
export async function toSecurity(s: ConnectionSettings): Promise<ConnectionSecurity> {
  checkSettings(s)
  const security: ConnectionSecurity = {}
  if (usesTlsSettings(s)) {
    security.tls = {insecure: s.tlsInsecure === true}
    if (s.tlsCa) security.tls.ca = pemBlocks(await readPem(s.tlsCa, 'CA certificate', '--tls-ca'), 'CERTIFICATE')
    if (s.tlsCert && s.tlsKey) {
      security.tls.cert = pemBlocks(await readPem(s.tlsCert, 'client certificate', '--tls-cert'), 'CERTIFICATE')
      security.tls.key = pemBlocks(await readPem(s.tlsKey, 'private key', '--tls-key'), 'PRIVATE KEY')
      if (s.tlsKeyPassword) security.tls.passphrase = s.tlsKeyPassword
    }
  }
  if (s.saslMechanism === 'oauthbearer') security.sasl = {mechanism: 'oauthbearer', token: s.saslPassword ?? ''}
  else if (s.saslMechanism) security.sasl = {mechanism: s.saslMechanism, username: s.saslUsername ?? '', password: s.saslPassword ?? ''}
  return security
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?):\d{1,5}$/

/** Splits and checks a comma-separated host:port list, as given to -b or KCL_BOOTSTRAP_SERVER. */
export function parseBootstrapServers(value: string, source: string): string[] {
  const servers = value.split(',').map((s) => s.trim()).filter(Boolean)
  const port = (server: string): number => Number(server.slice(server.lastIndexOf(':') + 1))
  const bad = servers.find((s) => !HOST_PORT.test(s) || port(s) < 1 || port(s) > 65535)
  if (servers.length === 0 || bad !== undefined) {
    throw usageError(`${source} must be host:port[,host:port…]${bad === undefined ? '' : `; "${bad}" is not`}.`, 'For example -b localhost:9092.')
  }
  return servers
}
