import {AsyncLocalStorage} from 'node:async_hooks'
import {KclError} from './errors.ts'

/**
 * Ctrl-C (SIGINT) and SIGTERM for kcl's long commands, in one place. `whileInterruptible` runs a command's work with
 * both signals handled: the first aborts the work's AbortSignal, which every Docker call (src/docker/run.ts) and
 * every poll's wait (src/poll.ts) started inside it obeys; then the command says what state is left and exits
 * 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once. The signal reaches the Docker adapter through
 * AsyncLocalStorage, so code between the command and the adapter passes nothing along; clean-up that must run after
 * an interrupt runs `shielded` from it.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM'

/** The exit code a shell gives a program that a signal ended: 128 + the signal's number. */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = {SIGINT: 130, SIGTERM: 143}

export class InterruptedError extends KclError {
  readonly signal: StopSignal

  constructor(signal: StopSignal, message = `Interrupted (${signal}).`, hint?: string) {
    super(message, {hint, exitCode: SIGNAL_EXIT_CODE[signal]})
    this.name = 'InterruptedError'
    this.signal = signal
  }
}

/** How a state line starts: "Interrupted (Ctrl-C)" or "Stopped by SIGTERM". */
export function interruptedBy(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'Interrupted (Ctrl-C)' : 'Stopped by SIGTERM'
}

const scope = new AsyncLocalStorage<AbortSignal>()

/** The AbortSignal of the interruptible work this code runs in, if any. */
export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore()
}

/** Throws the InterruptedError when the work this code runs in was interrupted. */
export function throwIfInterrupted(): void {
  const signal = scope.getStore()
  if (signal?.aborted) throw signal.reason
}

/** Runs clean-up (a rollback, a last look at the containers) untouched by an interrupt that already happened. */
export function shielded<T>(work: () => Promise<T>): Promise<T> {
  return scope.exit(work)
}

/** What an interrupted command left: one line, and the command that continues or cleans up. */
export interface LeftState {
  message: string
  hint?: string
}

/** How long an interrupted command's work may take to notice (its Docker calls are stopped, its polls end at once). */
const SETTLE_MS = 15_000

/**
 * Runs `work` with SIGINT and SIGTERM handled (see the top of this file). After an interrupt, once the work has
 * stopped, `left` runs shielded: it may clean up (an interrupted `kcl up` undoes what it did, even when its work
 * got to the end), and says what state is left; its line becomes the error.
 */
export async function whileInterruptible<T>(work: () => Promise<T>, left: (signal: StopSignal) => Promise<LeftState>): Promise<T> {
  const controller = new AbortController()
  let received: StopSignal | undefined
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => {
      if (received !== undefined) {
        // A second Ctrl-C: the user does not want to wait for the clean-up.
        process.stderr.write(`\nInterrupted again (${signal}): stopped without cleaning up. \`kcl status\` shows what is left.\n`)
        process.exit(SIGNAL_EXIT_CODE[signal])
      }
      received = signal
      controller.abort(new InterruptedError(signal, `${interruptedBy(signal)}.`))
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })
  try {
    const running = scope.run(controller.signal, work)
    const outcome = await Promise.race([
      running.then((value) => ({value}), (error: unknown) => ({error})),
      new Promise<'interrupted'>((resolve) => controller.signal.addEventListener('abort', () => resolve('interrupted'), {once: true})),
    ])
    if (outcome !== 'interrupted' && received === undefined) {
      if ('error' in outcome) throw outcome.error
      return outcome.value
    }
    // Let the work notice: its child processes are being stopped and its polls end at their next sleep.
    await Promise.race([running.catch(() => {}), new Promise((resolve) => setTimeout(resolve, SETTLE_MS).unref())])
    const signal = received as StopSignal
    const state = await shielded(() => left(signal)).catch((error: unknown) => ({
      message: `${interruptedBy(signal)}; what is left could not be checked: ${(error as Error).message}`,
      hint: '`kcl status` shows it.',
    }))
    throw new InterruptedError(signal, state.message, state.hint)
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
}

/** Waits `ms`, or rejects at once with the InterruptedError when the work this runs in is interrupted. */
export function interruptibleSleep(ms: number): Promise<void> {
  const signal = scope.getStore()
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms))
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, {once: true})
  })
}
