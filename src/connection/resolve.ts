import {runningClusterNames} from '../cluster/resolve.ts'
import {clusterSettings} from '../cluster/secrets.ts'
import {readSpec} from '../cluster/store.ts'
import type {ClusterSpec} from '../cluster/spec.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {flagSettings, type ConnectionFlagValues, type ResolveHooks} from '../profile/flag-settings.ts'
import {checkSettings, mergeSettings, parseBootstrapServers, parseSaslMechanism, toSecurity, type ConnectionSettings} from '../profile/settings.ts'
import {currentProfileName, profileSettings, requireProfile, readProfile} from '../profile/store.ts'

export interface ResolvedConnection {
  servers: string[]
  security: ConnectionSecurity
  /** The kcl cluster, when the connection is one. */
  cluster?: ClusterSpec
  /** The profile the settings came from, if any. */
  profile?: string
}

function environmentSettings(env: NodeJS.ProcessEnv): ConnectionSettings {
  return {
    bootstrapServers: env.KCL_BOOTSTRAP_SERVER ? parseBootstrapServers(env.KCL_BOOTSTRAP_SERVER, 'KCL_BOOTSTRAP_SERVER') : undefined,
    tlsCa: env.KCL_TLS_CA || undefined,
    tlsCert: env.KCL_TLS_CERT || undefined,
    tlsKey: env.KCL_TLS_KEY || undefined,
    saslMechanism: env.KCL_SASL_MECHANISM ? parseSaslMechanism(env.KCL_SASL_MECHANISM, 'KCL_SASL_MECHANISM') : undefined,
    saslUsername: env.KCL_SASL_USERNAME || undefined,
    saslPassword: env.KCL_SASL_PASSWORD || undefined,
  }
}

async function clusterBase(name: string | undefined): Promise<{settings: ConnectionSettings; cluster: ClusterSpec}> {
  if (name === undefined) {
    const running = await runningClusterNames()
    if (running.length > 1) {
      throw usageError(`Several kcl clusters are running (${running.join(', ')}).`, `Say which one with --name or --profile, e.g. --name ${running[0]}.`)
    }
    name = running[0]
  }
  const spec = name === undefined ? undefined : await readSpec(name)
  if (!spec) {
    throw new KclError(name === undefined ? 'No kcl cluster is running.' : `There is no kcl cluster named "${name}".`, {
      hint: 'Start one with `kcl up`, point at any Kafka with -b host:port, or pick a profile with --profile (`kcl profile list`).',
      exitCode: ExitCode.notRunning,
    })
  }
  return {settings: await clusterSettings(spec), cluster: spec}
}

/**
 * Where and how a Kafka command connects. Settings are taken field by field, first from the flags (each
 * flag over --command-config), then the environment (KCL_BOOTSTRAP_SERVER, KCL_SASL_*, KCL_TLS_*), then the
 * base: the profile named by --profile or KCL_PROFILE, else the kcl cluster named by --name, else (when no
 * flag or variable names the servers) the current profile, else the only kcl cluster running. A profile's
 * credentials are never sent to servers it was not made for unless a profile is named explicitly.
 */
export async function resolveConnection(flags: ConnectionFlagValues, hooks: ResolveHooks, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedConnection> {
  const fromFlags = await flagSettings(flags, hooks)
  const fromEnv = environmentSettings(env)
  // --name names a kcl cluster, whose servers a variable set for other work must not replace.
  if (flags.name !== undefined) fromEnv.bootstrapServers = undefined
  const serversGiven = fromFlags.bootstrapServers !== undefined || fromEnv.bootstrapServers !== undefined
  const named = flags.profile ?? (env.KCL_PROFILE || undefined)

  let base: ConnectionSettings = {}
  let cluster: ClusterSpec | undefined
  let profile: string | undefined
  if (named !== undefined) {
    const found = await requireProfile(named)
    base = await profileSettings(found)
    profile = named
  } else if (flags.name !== undefined) {
    ;({settings: base, cluster} = await clusterBase(flags.name))
  } else if (!serversGiven) {
    const current = await currentProfileName()
    const found = current === undefined ? undefined : await readProfile(current)
    if (found) {
      base = await profileSettings(found)
      profile = current
    } else {
      ;({settings: base, cluster} = await clusterBase(undefined))
    }
  }
  // A kcl cluster's own settings are whole; anything the user adds on top is theirs to choose.
  const settings = mergeSettings(base, fromEnv, fromFlags)
  if (!settings.bootstrapServers?.length) throw usageError(`Profile "${profile}" has no bootstrap servers.`, 'Pass -b host:port, or recreate the profile with -b.')
  checkSettings(settings)
  if (settings.tlsInsecure) hooks.warn('TLS certificates are not verified (--tls-insecure): anyone between kcl and the brokers can read and change what is sent.')
  if (settings.saslMechanism && settings.saslPassword === undefined) settings.saslPassword = await askPassword(settings, hooks)
  return {servers: settings.bootstrapServers, security: await toSecurity(settings), cluster, profile}
}

async function askPassword(settings: ConnectionSettings, hooks: ResolveHooks): Promise<string> {
  const what = settings.saslMechanism === 'oauthbearer' ? 'token' : `password of ${settings.saslUsername}`
  const answer = await hooks.askSecret?.(`SASL ${what}: `)
  if (answer === undefined) {
    throw usageError(`The SASL ${what} is missing.`, 'Set KCL_SASL_PASSWORD, run in a terminal to be asked, or save it in a profile (`kcl profile create`).')
  }
  return answer
}
