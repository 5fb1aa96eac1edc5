import {readCommandConfig} from './command-config.ts'
import {mergeSettings, parseBootstrapServers, parseSaslMechanism, type ConnectionSettings} from './settings.ts'

/** What the connection flags of a Kafka command say (flags.ts declares them). */
export interface ConnectionFlagValues {
  bootstrapServer?: string
  name?: string
  profile?: string
  commandConfig?: string
  tls?: boolean
  tlsCa?: string
  tlsCert?: string
  tlsKey?: string
  tlsInsecure?: boolean
  saslMechanism?: string
  saslUsername?: string
  saslPassword?: string
}

export interface ResolveHooks {
  /** Shown on stderr: insecure TLS, a password on the command line, ignored keys of a command config. */
  warn(line: string): void
  /** Asks for the SASL password on a terminal; undefined when there is none. */
  askSecret?(question: string): Promise<string | undefined>
}

/** The flags' settings: --command-config first, each explicit flag over it. */
export async function flagSettings(flags: ConnectionFlagValues, hooks: ResolveHooks): Promise<ConnectionSettings> {
  let fromFile: ConnectionSettings = {}
  if (flags.commandConfig !== undefined) {
    const config = await readCommandConfig(flags.commandConfig)
    if (config.ignored.length > 0) hooks.warn(`kcl ignores ${config.ignored.join(', ')} from ${flags.commandConfig}: they tune the Java client only.`)
    fromFile = config.settings
  }
  if (flags.saslPassword !== undefined) hooks.warn('--sasl-password puts the password in your shell history and process list; prefer KCL_SASL_PASSWORD or the prompt.')
  return mergeSettings(fromFile, {
    bootstrapServers: flags.bootstrapServer === undefined ? undefined : parseBootstrapServers(flags.bootstrapServer, '--bootstrap-server'),
    tls: flags.tls || undefined,
    tlsCa: flags.tlsCa,
    tlsCert: flags.tlsCert,
    tlsKey: flags.tlsKey,
    tlsInsecure: flags.tlsInsecure || undefined,
    saslMechanism: flags.saslMechanism === undefined ? undefined : parseSaslMechanism(flags.saslMechanism, '--sasl-mechanism'),
    saslUsername: flags.saslUsername,
    saslPassword: flags.saslPassword,
  })
}
