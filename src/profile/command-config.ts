import {readFile} from 'node:fs/promises'
import {usageError} from '../errors.ts'
import type {SaslMechanism} from '../kafka/security.ts'
import {parseSaslMechanism, type ConnectionSettings} from './settings.ts'

/**
 * Java client properties (the client.properties Confluent Cloud and MSK hand out, the file Kafka's tools take
 * with --command-config) as kcl's connection settings. Keys about the connection that kcl cannot honour stop
 * it with one line naming them; keys that only tune the Java client are named in a warning.
 */

/** Parses the java.util.Properties text format: comments, key=value / key: value / key value, continuation lines, escapes. */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).replace(/^\s+/, '')
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    // A line ending in an odd number of backslashes goes on, without its leading white space, on the next.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + (lines[++i] as string).replace(/^\s+/, '')
    const separator = /^((?:[^\\=:\s]|\\.)*)\s*[=:\s]\s*/.exec(line)
    const rawKey = separator ? (separator[1] as string) : line
    const rawValue = separator ? line.slice(separator[0].length) : ''
    result.set(unescape(rawKey), unescape(rawValue))
  }
  return result
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(parseInt(escaped.slice(1), 16))
    return {t: '\t', n: '\n', r: '\r', f: '\f'}[escaped] ?? escaped
  })
}

/** Options of a JAAS login module line: Module required key="value" key2=value2; */
export function parseJaasConfig(value: string): {module: string; options: Map<string, string>} {
  const match = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b([\s\S]*?);?\s*$/.exec(value)
  if (!match) throw usageError('sasl.jaas.config is not a JAAS login module line.', 'It reads like: org.apache.kafka.common.security.plain.PlainLoginModule required username="…" password="…";')
  const options = new Map<string, string>()
  // Kafka's JAAS parser takes values in double or single quotes (Confluent Cloud's files use single ones).
  for (const option of (match[3] as string).matchAll(/([\w.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s;]+))/g)) {
    const quoted = option[2] ?? option[3]
    options.set(option[1] as string, quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (option[4] as string))
  }
  return {module: match[1] as string, options}
}

const LOGIN_MODULES: Record<string, SaslMechanism[]> = {
  'org.apache.kafka.common.security.plain.PlainLoginModule': ['plain'],
  'org.apache.kafka.common.security.scram.ScramLoginModule': ['scram-sha-256', 'scram-sha-512'],
  // Amazon MSK's IAM and the Kafka's shaded names of the same modules are not honoured: named below.
}

/** Keys that only tune the Java client, or configure other tools (Schema Registry): kcl works without them. */
const TUNING = /^(acks|client\.dns\.lookup|client\.id|session\.timeout\.ms|request\.timeout\.ms|retries|retry\.backoff\.ms|linger\.ms|batch\.size|compression\.type|enable\.idempotence|max\.|fetch\.|auto\.|key\.|value\.|schema\.registry\.|basic\.auth\.|metadata\.|reconnect\.|socket\.|connections\.max\.idle\.ms|default\.api\.timeout\.ms|delivery\.timeout\.ms|group\.id|isolation\.level|partitioner\.|sasl\.login\.|ssl\.protocol|ssl\.enabled\.protocols|ssl\.cipher\.suites)/

export interface CommandConfig {
  settings: ConnectionSettings
  /** Keys kcl reads past because they only tune the Java client. */
  ignored: string[]
}

/** Reads a Java client properties file into connection settings. */
export async function readCommandConfig(file: string): Promise<CommandConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw usageError(`Cannot read the --command-config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`)
  }
  return commandConfigSettings(parseProperties(text), file)
}

export function commandConfigSettings(properties: Map<string, string>, file: string): CommandConfig {
  const settings: ConnectionSettings = {}
  const unsupported: string[] = []
  const ignored: string[] = []
  const take = (key: string): string | undefined => {
    const value = properties.get(key)
    properties.delete(key)
    return value
  }

  const servers = take('bootstrap.servers')
  if (servers !== undefined) settings.bootstrapServers = servers.split(',').map((s) => s.trim()).filter(Boolean)

  const protocol = (take('security.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) unsupported.push(`security.protocol=${protocol}`)
  const tls = protocol.endsWith('SSL')
  const sasl = protocol.startsWith('SASL_')
  if (tls) settings.tls = true

  const mechanismName = take('sasl.mechanism') ?? 'GSSAPI'
  const jaas = take('sasl.jaas.config')
  if (sasl) {
    const known = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanismName.toUpperCase())
    if (!known) unsupported.push(`sasl.mechanism=${mechanismName}`)
    else settings.saslMechanism = parseSaslMechanism(mechanismName, 'sasl.mechanism')
    if (jaas === undefined) {
      if (known) unsupported.push('SASL without sasl.jaas.config (a JAAS file through java.security.auth.login.config)')
    } else {
      const {module, options} = parseJaasConfig(jaas)
      if (!LOGIN_MODULES[module]?.includes(settings.saslMechanism as SaslMechanism)) {
        if (known) unsupported.push(`sasl.jaas.config with ${module} for ${mechanismName}`)
      } else {
        settings.saslUsername = options.get('username')
        settings.saslPassword = options.get('password')
      }
    }
  }

  const verify = take('ssl.endpoint.identification.algorithm')
  if (verify !== undefined && verify.trim() === '') settings.tlsInsecure = true

  const truststoreType = (take('ssl.truststore.type') ?? 'JKS').toUpperCase()
  const truststore = take('ssl.truststore.location')
  take('ssl.truststore.password')
  if (truststore !== undefined) {
    if (truststoreType === 'PEM') settings.tlsCa = truststore
    else unsupported.push(`ssl.truststore.type=${truststoreType} (convert it to PEM: keytool -exportcert -rfc)`)
  }
  if (take('ssl.truststore.certificates') !== undefined) unsupported.push('ssl.truststore.certificates (put the PEM in a file for ssl.truststore.location)')

  const keystoreType = (take('ssl.keystore.type') ?? 'JKS').toUpperCase()
  const keystore = take('ssl.keystore.location')
  take('ssl.keystore.password')
  const keyPassword = take('ssl.key.password')
  if (keystore !== undefined) {
    if (keystoreType === 'PEM') {
      // A Kafka PEM key store holds the private key and the certificate chain in one file.
      settings.tlsCert = keystore
      settings.tlsKey = keystore
      if (keyPassword) settings.tlsKeyPassword = keyPassword
    } else unsupported.push(`ssl.keystore.type=${keystoreType} (convert it to PEM: openssl pkcs12 -nodes)`)
  }
  for (const inline of ['ssl.keystore.certificate.chain', 'ssl.keystore.key']) if (take(inline) !== undefined) unsupported.push(`${inline} (put the PEM in a file for ssl.keystore.location)`)

  for (const key of properties.keys()) {
    if (TUNING.test(key)) ignored.push(key)
    else unsupported.push(key)
  }
  if (unsupported.length > 0) {
    throw usageError(`kcl cannot honour these settings of ${file}: ${unsupported.join('; ')}.`, 'kcl supports PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL with PLAIN or SCRAM, and PEM files for TLS.')
  }
  return {settings, ignored}
}
