import {usageError} from '../errors.ts'
import {securityProtocol, usesTlsSettings, type ConnectionSettings} from './settings.ts'

export const CLIENT_CONFIG_FORMATS = ['librdkafka', 'java'] as const
export type ClientConfigFormat = (typeof CLIENT_CONFIG_FORMATS)[number]

/** Java properties escaping for a value: backslashes, and line breaks as \n (PEM and JAAS stay one line). */
const javaValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
const jaasQuoted = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/**
 * A complete client configuration for other tools, secret included: librdkafka's (kcat -F, confluent-kafka
 * clients) or the Java client's (Kafka's tools with --command-config). Only ever printed on request.
 */
export function renderClientConfig(settings: ConnectionSettings, format: ClientConfigFormat): string {
  const lines: [string, string][] = [['bootstrap.servers', (settings.bootstrapServers ?? []).join(',')], ['security.protocol', securityProtocol(settings)]]
  const mechanism = settings.saslMechanism
  if (mechanism === 'oauthbearer') {
    throw usageError(`A ${format} configuration file cannot carry a static OAUTHBEARER token.`, 'Configure the tool with its own token provider.')
  }
  if (format === 'librdkafka') {
    if (mechanism) lines.push(['sasl.mechanisms', mechanism.toUpperCase()], ['sasl.username', settings.saslUsername ?? ''], ['sasl.password', settings.saslPassword ?? ''])
    if (usesTlsSettings(settings)) {
      if (settings.tlsCa) lines.push(['ssl.ca.location', settings.tlsCa])
      if (settings.tlsCert) lines.push(['ssl.certificate.location', settings.tlsCert], ['ssl.key.location', settings.tlsKey ?? settings.tlsCert])
      if (settings.tlsKeyPassword) lines.push(['ssl.key.password', settings.tlsKeyPassword])
      if (settings.tlsInsecure) lines.push(['enable.ssl.certificate.verification', 'false'], ['ssl.endpoint.identification.algorithm', 'none'])
    }
    return lines.map(([key, value]) => `${key}=${value}\n`).join('')
  }
  if (mechanism) {
    const module = mechanism === 'plain' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule'
    lines.push(
      ['sasl.mechanism', mechanism.toUpperCase()],
      ['sasl.jaas.config', `${module} required username=${jaasQuoted(settings.saslUsername ?? '')} password=${jaasQuoted(settings.saslPassword ?? '')};`],
    )
  }
  if (usesTlsSettings(settings)) {
    if (settings.tlsCa) lines.push(['ssl.truststore.type', 'PEM'], ['ssl.truststore.location', settings.tlsCa])
    if (settings.tlsCert) {
      if (settings.tlsCert !== settings.tlsKey) {
        throw usageError('The Java client reads a client certificate and its key from one PEM file (ssl.keystore.location).', 'Put the key and the certificate in one file and pass it as both --tls-cert and --tls-key.')
      }
      lines.push(['ssl.keystore.type', 'PEM'], ['ssl.keystore.location', settings.tlsCert])
      if (settings.tlsKeyPassword) lines.push(['ssl.key.password', settings.tlsKeyPassword])
    }
    if (settings.tlsInsecure) lines.push(['ssl.endpoint.identification.algorithm', ''])
  }
  return lines.map(([key, value]) => `${key}=${javaValue(value)}\n`).join('')
}
