import {runProcess} from './process.ts'
import {KclError} from '../errors.ts'
import {containerEngine} from './engine.ts'
import {classifyDockerFailure} from './errors.ts'

export interface RunOptions {
  cwd?: string
  input?: string
  timeoutMs?: number
}

/**
 * Runs a Docker-related program with an argument array (never through a shell) and returns its stdout.
 * Failures become a KclError: a classified one when the cause is known, else the program's last error line.
 */
export async function runDockerProgram(file: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await runProcess(file, args, {
    cwd: options.cwd,
    input: options.input,
    timeout: options.timeoutMs,
    reject: false,
    stripFinalNewline: true,
    env: {DOCKER_CLI_HINTS: 'false'},
  })
  if (!result.failed) return result.stdout
  const spawnErrorCode = (result.cause as NodeJS.ErrnoException | undefined)?.code
  const stderr = String(result.stderr ?? '')
  const known = classifyDockerFailure({command: file, spawnErrorCode, stderr})
  if (known) throw known
  const lastLine = stderr.trim().split('\n').filter(Boolean).at(-1) ?? result.shortMessage
  throw new KclError(`\`${[file, ...args].join(' ')}\` failed: ${lastLine}`, {hint: 'Run `kcl doctor` to check Docker.'})
}

/** Runs the container engine's CLI (docker, or podman: see ./engine.ts) with these arguments. */
export function docker(args: string[], options?: RunOptions): Promise<string> {
  return runDockerProgram(containerEngine(), args, options)
}
