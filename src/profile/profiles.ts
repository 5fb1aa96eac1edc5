import {resolve as resolvePath} from 'node:path'
import {usageError} from '../errors.ts'
import {renderClientConfig, type ClientConfigFormat} from './client-config.ts'
import {flagSettings, type ConnectionFlagValues, type ResolveHooks} from './flag-settings.ts'
import {checkSettings, describeSecurity, mergeSettings, securityProtocol, toSecurity, type ConnectionSettings} from './settings.ts'
import {deleteProfile, listProfiles, profileSettings, readProfile, requireProfile, saveProfile, useProfile, type Profile} from './store.ts'

/** A profile as `profile list`, `show` and --json present it: every setting but the secrets, which only say whether they are set. */
export interface ProfileView {
  name: string
  current: boolean
  cluster?: string
  bootstrapServers: string[]
  securityProtocol: string
  /** One line: protocol, mechanism and user, client certificate, unverified TLS. */
  security: string
  tls?: {ca?: string; cert?: string; key?: string; insecure: boolean}
  sasl?: {mechanism: string; username?: string; password: 'saved' | 'not saved'}
}

function view(profile: Profile, current: string | undefined, hasSecret: boolean): ProfileView {
  const tls = profile.tls || profile.tlsCa || profile.tlsCert || profile.tlsInsecure
  return {
    name: profile.name,
    current: profile.name === current,
    ...(profile.cluster ? {cluster: profile.cluster} : {}),
    bootstrapServers: profile.bootstrapServers ?? [],
    securityProtocol: securityProtocol(profile),
    security: describeSecurity(profile),
    ...(tls ? {tls: {ca: profile.tlsCa, cert: profile.tlsCert, key: profile.tlsKey, insecure: profile.tlsInsecure === true}} : {}),
    ...(profile.saslMechanism ? {sasl: {mechanism: profile.saslMechanism, username: profile.saslUsername, password: hasSecret ? 'saved' : 'not saved'}} : {}),
  }
}

export async function profileViews(): Promise<ProfileView[]> {
  const {current, profiles} = await listProfiles()
  return Promise.all(profiles.map(async (p) => view(p, current, (await profileSettings(p)).saslPassword !== undefined)))
}

export async function showProfile(name: string): Promise<ProfileView> {
  const profile = await requireProfile(name)
  const {current} = await listProfiles()
  return view(profile, current, (await profileSettings(profile)).saslPassword !== undefined)
}

/** A config file for librdkafka or the Java client, with the secret: `profile show --client-config`. */
export async function profileClientConfig(name: string, format: ClientConfigFormat): Promise<string> {
  return renderClientConfig(await profileSettings(await requireProfile(name)), format)
}

/** File paths made absolute: a profile is used from any directory. */
function absolutePaths(settings: ConnectionSettings): ConnectionSettings {
  const absolute = (path: string | undefined) => (path === undefined ? undefined : resolvePath(path))
  return {...settings, tlsCa: absolute(settings.tlsCa), tlsCert: absolute(settings.tlsCert), tlsKey: absolute(settings.tlsKey)}
}

/**
 * A new profile from connection flags (and --command-config); the password from --sasl-password,
 * KCL_SASL_PASSWORD or the prompt. Its files are read once now, so a wrong path fails here, not later.
 */
export async function createProfile(name: string, flags: ConnectionFlagValues, hooks: ResolveHooks, options: {use: boolean}, env: NodeJS.ProcessEnv = process.env): Promise<ProfileView> {
  if (await readProfile(name)) throw usageError(`Profile "${name}" already exists.`, `Delete it first with \`kcl profile delete ${name}\`, or pick another name.`)
  const settings = absolutePaths(mergeSettings(await flagSettings(flags, hooks)))
  if (!settings.bootstrapServers?.length) throw usageError('A profile needs the bootstrap servers.', 'Pass -b host:port[,host:port…] or --command-config FILE with bootstrap.servers.')
  checkSettings(settings)
  if (settings.saslMechanism && settings.saslPassword === undefined) {
    settings.saslPassword = env.KCL_SASL_PASSWORD || (await hooks.askSecret?.(`SASL ${settings.saslMechanism === 'oauthbearer' ? 'token' : `password of ${settings.saslUsername}`}: `))
    if (settings.saslPassword === undefined) throw usageError('The SASL password is missing.', 'Set KCL_SASL_PASSWORD, or run in a terminal to be asked.')
  }
  await toSecurity(settings)
  if (settings.tlsInsecure) hooks.warn('This profile does not verify TLS certificates: every command using it will say so.')
  const profile = await saveProfile(name, settings, {makeCurrent: options.use})
  return view(profile, options.use ? name : (await listProfiles()).current, settings.saslPassword !== undefined)
}

export async function useProfileNamed(name: string): Promise<ProfileView> {
  await useProfile(name)
  return showProfile(name)
}

export async function deleteProfileNamed(name: string): Promise<{name: string; deleted: boolean}> {
  return {name, deleted: await deleteProfile(name)}
}
