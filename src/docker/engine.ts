import {usageError} from '../errors.ts'
import {findOnPath} from '../which.ts'

/** The container engines kcl drives through their CLIs, which take the same commands for everything kcl does. */
export type EngineName = 'docker' | 'podman'
export const ENGINES: readonly EngineName[] = ['docker', 'podman']

/**
 * The one place kcl picks its container engine, and so the program every docker-like command runs: KCL_ENGINE=docker or
 * podman insists; otherwise Docker when its CLI is on PATH (podman-docker's `docker` included), else Podman when its CLI
 * is, else Docker, whose absence the errors and doctor then explain.
 */
export function containerEngine(env: NodeJS.ProcessEnv = process.env, onPath: (program: string) => string | undefined = findOnPath): EngineName {
  const wanted = env.KCL_ENGINE
  if (wanted !== undefined && wanted !== '') {
    if (!(ENGINES as readonly string[]).includes(wanted)) throw usageError(`KCL_ENGINE must be docker or podman, not "${wanted}".`)
    return wanted as EngineName
  }
  if (onPath('docker')) return 'docker'
  return onPath('podman') ? 'podman' : 'docker'
}
