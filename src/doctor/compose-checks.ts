import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import {delimiter, join} from 'node:path'
import {composeV1Version, composeV2Version} from '../docker/compose.ts'
import {installCompose} from './fixes.ts'
import {fail, ok, type CheckBase, type CheckResult} from './types.ts'

const compose: CheckBase = {group: 'Compose', id: 'compose', title: 'Docker Compose'}

export interface ComposeVersions {
  v2?: string
  v1?: string
  /** False when v1 was not asked for, because v2 answered and a full report was not wanted. */
  v1Probed: boolean
}

/**
 * Which compose programs work. docker-compose v1 is a Python program that takes a second to start, so it
 * is only run when v2 is missing, KCL_COMPOSE asks for it, or `all` wants both versions.
 */
export async function probeCompose(options: {all: boolean}, env: NodeJS.ProcessEnv = process.env): Promise<ComposeVersions> {
  const wantV1 = options.all || env.KCL_COMPOSE === 'v1'
  const v1Early = wantV1 ? composeV1Version() : undefined
  const v2 = env.KCL_COMPOSE === 'v1' && !options.all ? undefined : await composeV2Version()
  if (v1Early) return {v2, v1: await v1Early, v1Probed: true}
  if (v2 && env.KCL_COMPOSE !== 'v1') return {v2, v1Probed: false}
  return {v2, v1: await composeV1Version(), v1Probed: true}
}

export function composeCheck(versions: ComposeVersions, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const wanted = env.KCL_COMPOSE
  const details = [
    `docker compose (v2): ${versions.v2 ?? 'not available'}`,
    `docker-compose (v1): ${versions.v1Probed ? (versions.v1 ?? 'not available') : 'not checked (v2 is used; --verbose checks it)'}`,
  ]
  if (wanted !== undefined && wanted !== 'v1' && wanted !== 'v2') {
    return fail(compose, `KCL_COMPOSE must be v1 or v2, not "${wanted}".`, {fix: [{text: 'Unset KCL_COMPOSE, or set it to v2 (docker compose) or v1 (docker-compose).'}], details})
  }
  if (wanted === 'v2' && !versions.v2) return fail(compose, 'KCL_COMPOSE=v2 but `docker compose` does not work.', {fix: installCompose, details})
  if (wanted === 'v1' && !versions.v1) return fail(compose, 'KCL_COMPOSE=v1 but `docker-compose` does not work.', {fix: installCompose, details})
  if (wanted !== 'v1' && versions.v2) return ok(compose, `docker compose ${versions.v2} (v2)`, details)
  if (versions.v1) return ok(compose, `docker-compose ${versions.v1} (v1)`, details)
  return fail(compose, 'Neither `docker compose` (v2) nor `docker-compose` (v1) works.', {fix: installCompose, details})
}

/** Whether a program is on PATH, without running it (the cheap way for `kcl up`'s pre-flight). */
export async function onPath(program: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, program), constants.X_OK)
      return true
    } catch {
      // not in this directory
    }
  }
  return false
}

/** The pre-flight's compose check: v2 answers fast; v1 is only looked for on PATH, as starting Python costs a second. */
export async function quickComposeCheck(env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  const wanted = env.KCL_COMPOSE
  if (wanted === 'v1') return composeCheck({v1: (await onPath('docker-compose', env)) ? 'on PATH' : undefined, v1Probed: true}, env)
  const v2 = await composeV2Version()
  if (v2 || wanted === 'v2') return composeCheck({v2, v1Probed: false}, env)
  return composeCheck({v1: (await onPath('docker-compose', env)) ? 'on PATH' : undefined, v1Probed: true}, env)
}
