import {Flags} from '@oclif/core'
import {SASL_MECHANISMS} from './kafka/security.ts'
import type {ConnectionFlagValues} from './profile/flag-settings.ts'

/** Flags shared by many commands, declared once so they read the same everywhere. */
export const clusterNameFlag = Flags.string({
  char: 'n',
  description: 'kcl cluster to use (default: the only one running, else "local")',
  helpValue: 'NAME',
})

export const bootstrapServerFlag = Flags.string({
  char: 'b',
  description: 'Kafka to connect to, host:port[,host:port…]; any Kafka, not only kcl\'s (env: KCL_BOOTSTRAP_SERVER)',
  helpValue: 'HOST:PORT',
})

export const yesFlag = Flags.boolean({char: 'y', description: 'do not ask for confirmation', default: false})

const CONNECTION = 'CONNECTION'

/**
 * How every Kafka command connects: where (-b, --name, --profile) and how (TLS, SASL, a Java client
 * properties file). Resolution order: these flags, then KCL_* variables, then the profile, then the kcl cluster.
 */
export const connectionFlags = {
  'bootstrap-server': bootstrapServerFlag,
  name: clusterNameFlag,
  profile: Flags.string({description: 'connection profile to use (env: KCL_PROFILE; `kcl profile list` shows them)', helpValue: 'NAME', helpGroup: CONNECTION}),
  'command-config': Flags.string({
    description: 'Java client properties file (client.properties from Confluent Cloud or MSK, as Kafka tools take it)',
    helpValue: 'FILE',
    helpGroup: CONNECTION,
  }),
  tls: Flags.boolean({description: 'connect with TLS, trusting the system CAs', helpGroup: CONNECTION}),
  'tls-ca': Flags.string({description: 'trust this CA certificate (PEM) instead of the system CAs; implies --tls (env: KCL_TLS_CA)', helpValue: 'FILE', helpGroup: CONNECTION}),
  'tls-cert': Flags.string({description: 'client certificate (PEM) for mutual TLS; implies --tls (env: KCL_TLS_CERT)', helpValue: 'FILE', helpGroup: CONNECTION}),
  'tls-key': Flags.string({description: "the client certificate's private key (PEM) (env: KCL_TLS_KEY)", helpValue: 'FILE', helpGroup: CONNECTION}),
  'tls-insecure': Flags.boolean({description: 'do not verify the brokers\' certificates or host names (warns every time)', helpGroup: CONNECTION}),
  'sasl-mechanism': Flags.option({
    options: SASL_MECHANISMS,
    description: 'SASL mechanism: plain, scram-sha-256, scram-sha-512, or oauthbearer with a token as the password (env: KCL_SASL_MECHANISM)',
    helpValue: 'MECHANISM',
    helpGroup: CONNECTION,
  })(),
  'sasl-username': Flags.string({description: 'SASL user (env: KCL_SASL_USERNAME)', helpValue: 'USER', helpGroup: CONNECTION}),
  'sasl-password': Flags.string({
    description: 'SASL password; prefer KCL_SASL_PASSWORD or the prompt, this lands in shell history (warns)',
    helpValue: 'PASSWORD',
    helpGroup: CONNECTION,
  }),
}

type ConnectionFlagNames = keyof typeof connectionFlags

/** The connection flags as the domain's resolveConnection takes them. */
export function connectionFlagValues(flags: {[K in ConnectionFlagNames]?: unknown}): ConnectionFlagValues {
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
  return {
    bootstrapServer: text(flags['bootstrap-server']),
    name: text(flags.name),
    profile: text(flags.profile),
    commandConfig: text(flags['command-config']),
    tls: flags.tls === true,
    tlsCa: text(flags['tls-ca']),
    tlsCert: text(flags['tls-cert']),
    tlsKey: text(flags['tls-key']),
    tlsInsecure: flags['tls-insecure'] === true,
    saslMechanism: text(flags['sasl-mechanism']),
    saslUsername: text(flags['sasl-username']),
    saslPassword: text(flags['sasl-password']),
  }
}
