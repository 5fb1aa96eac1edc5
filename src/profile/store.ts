import {chmod, mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {kclHome} from '../home.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {SECRET_KEYS, type ConnectionSettings} from './settings.ts'

/**
 * Profiles: named connections, like rpk's profiles and kafkactl's contexts. They live in $KCL_HOME/profiles
 * (a 0700 directory): profiles.json holds the settings and which profile is current, secrets.json (0600) the
 * passwords and tokens. Both files are written 0600, whole, through a rename.
 */

export interface Profile extends Omit<ConnectionSettings, (typeof SECRET_KEYS)[number]> {
  name: string
  /** The kcl cluster `kcl up` made this profile for. */
  cluster?: string
}

interface ProfilesFile {
  current?: string
  profiles: Record<string, Profile>
}

type SecretsFile = Record<string, Pick<ConnectionSettings, (typeof SECRET_KEYS)[number]>>

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

export function validateProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw usageError(`"${name}" is not a valid profile name.`, 'Use 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit, e.g. prod.')
  }
  return name
}

export function profilesDir(env?: NodeJS.ProcessEnv): string {
  return join(kclHome(env), 'profiles')
}

async function readJson<T>(file: string, empty: T): Promise<T> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty
    throw error
  }
  try {
    return JSON.parse(text) as T
  } catch {
    // The file's content is never shown: secrets.json holds passwords.
    throw new KclError(`${file} is not valid JSON.`, {hint: 'Fix it by hand or delete it (its profiles are then gone).', exitCode: ExitCode.environment})
  }
}

async function writePrivate(file: string, value: unknown): Promise<void> {
  const dir = profilesDir()
  await mkdir(dir, {recursive: true, mode: 0o700})
  await chmod(dir, 0o700)
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify(value, null, 2) + '\n', {mode: 0o600})
  await chmod(temporary, 0o600)
  await rename(temporary, file)
}

const profilesFile = (env?: NodeJS.ProcessEnv) => join(profilesDir(env), 'profiles.json')
const secretsFile = (env?: NodeJS.ProcessEnv) => join(profilesDir(env), 'secrets.json')

const readProfiles = (env?: NodeJS.ProcessEnv) => readJson<ProfilesFile>(profilesFile(env), {profiles: {}})
const readSecrets = (env?: NodeJS.ProcessEnv) => readJson<SecretsFile>(secretsFile(env), {})

export async function listProfiles(env?: NodeJS.ProcessEnv): Promise<{current: string | undefined; profiles: Profile[]}> {
  const file = await readProfiles(env)
  return {current: file.current, profiles: Object.values(file.profiles).sort((a, b) => a.name.localeCompare(b.name))}
}

export async function readProfile(name: string, env?: NodeJS.ProcessEnv): Promise<Profile | undefined> {
  return (await readProfiles(env)).profiles[validateProfileName(name)]
}

export function missingProfile(name: string): KclError {
  return usageError(`There is no profile named "${name}".`, '`kcl profile list` shows the profiles; `kcl profile create NAME` makes one.')
}

export async function requireProfile(name: string, env?: NodeJS.ProcessEnv): Promise<Profile> {
  return (await readProfile(name, env)) ?? Promise.reject(missingProfile(name))
}

/** A profile's settings with its secrets: only for connecting and for `profile show --client-config`. */
export async function profileSettings(profile: Profile, env?: NodeJS.ProcessEnv): Promise<ConnectionSettings> {
  const {name: _name, cluster: _cluster, ...settings} = profile
  return {...settings, ...(await readSecrets(env))[profile.name]}
}

export async function currentProfileName(env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await readProfiles(env)).current
}

/** Saves a profile (replacing one of the same name) and its secrets. */
export async function saveProfile(name: string, settings: ConnectionSettings, options: {cluster?: string; makeCurrent?: boolean} = {}): Promise<Profile> {
  validateProfileName(name)
  const [file, secrets] = await Promise.all([readProfiles(), readSecrets()])
  const profile: Profile = {name, ...(options.cluster ? {cluster: options.cluster} : {})}
  const secret: SecretsFile[string] = {}
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue
    if ((SECRET_KEYS as readonly string[]).includes(key)) (secret as Record<string, unknown>)[key] = value
    else (profile as unknown as Record<string, unknown>)[key] = value
  }
  file.profiles[name] = profile
  if (options.makeCurrent) file.current = name
  if (Object.keys(secret).length > 0) secrets[name] = secret
  else delete secrets[name]
  await writePrivate(secretsFile(), secrets)
  await writePrivate(profilesFile(), file)
  return profile
}

export async function useProfile(name: string): Promise<void> {
  const file = await readProfiles()
  if (!file.profiles[validateProfileName(name)]) throw missingProfile(name)
  file.current = name
  await writePrivate(profilesFile(), file)
}

/** Deletes a profile and its secrets; false when there was none. */
export async function deleteProfile(name: string): Promise<boolean> {
  const [file, secrets] = await Promise.all([readProfiles(), readSecrets()])
  if (!file.profiles[validateProfileName(name)]) return false
  delete file.profiles[name]
  delete secrets[name]
  if (file.current === name) delete file.current
  await writePrivate(secretsFile(), secrets)
  await writePrivate(profilesFile(), file)
  return true
}
