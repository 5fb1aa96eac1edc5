import type {Options, Result} from 'execa'
import {currentAbortSignal} from '../interrupt.ts'

/**
 * How long a child process may run when its caller names no bound: a Docker call that lists, inspects or starts
 * something answers within a second or two, so this long means the engine is stuck (or paused: SIGSTOP, a frozen VM).
 */
export const DEFAULT_PROCESS_TIMEOUT_MS = 20_000

/**
 * Runs a program through execa (argument arrays, never a shell), loading execa on first use: Kafka commands
 * given -b never start a process, and execa is the largest module they would otherwise load at start-up.
 * Every process is bounded (DEFAULT_PROCESS_TIMEOUT_MS unless the caller gives its own timeout) and is stopped when
 * the command it serves is interrupted (src/interrupt.ts).
 */
export async function runProcess<O extends Options>(file: string, args: readonly string[], options: O): Promise<Result<O>> {
  const {execa} = await import('execa')
  // execa's promise is also the child process; kcl only ever awaits the result.
  const run = execa as unknown as (file: string, args: readonly string[], options: O) => Promise<Result<O>>
  return run(file, args, {
    ...options,
    timeout: options.timeout ?? DEFAULT_PROCESS_TIMEOUT_MS,
    cancelSignal: options.cancelSignal ?? currentAbortSignal(),
    // A docker CLI that ignores SIGTERM (it waits on a stuck engine) is killed 2 s later.
    forceKillAfterDelay: 2000,
  })
}
