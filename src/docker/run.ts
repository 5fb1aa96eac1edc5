import {DEFAULT_PROCESS_TIMEOUT_MS, runProcess} from './process.ts'
import {KclError} from '../errors.ts'
import {currentAbortSignal} from '../interrupt.ts'
import {containerEngine} from './engine.ts'
import {classifyDockerFailure, engineTimeoutError} from './errors.ts'

export interface RunOptions {
  cwd?: string
  input?: string
  /** How long the call may take [default: DEFAULT_PROCESS_TIMEOUT_MS]: long ones (compose up, image loads) say so. */
  timeoutMs?: number
  /** How to name the call when it times out, e.g. "docker compose up" [default: the program and its first argument]. */
  what?: string
}

/**
 * Runs a Docker-related program with an argument array (never through a shell) and returns its stdout.
 * Failures become a KclError: a classified one when the cause is known, else the program's last error line.
 * A call that does not finish in time is an engine that does not answer (exit 3); one stopped by Ctrl-C rejects
 * with the command's InterruptedError.
 */
export async function runDockerProgram(file: string, args: string[], options: RunOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROCESS_TIMEOUT_MS
  const result = await runProcess(file, args, {
    cwd: options.cwd,
    input: options.input,
    timeout: timeoutMs,
    reject: false,
    stripFinalNewline: true,
    env: {DOCKER_CLI_HINTS: 'false'},
  })
  if (!result.failed) return result.stdout
  if (result.isCanceled) throw (currentAbortSignal()?.reason as Error | undefined) ?? new KclError(`\`${file} ${args[0]}\` was stopped.`)
  if (result.timedOut) throw engineTimeoutError(options.what ?? `${file} ${args[0] ?? ''}`.trim(), timeoutMs)
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
