import {interruptibleSleep} from './interrupt.ts'

export interface PollOptions<T> {
  /** When to stop asking, on the performance.now() clock. */
  deadline: number
  /** The wait between two attempts; a function of the attempt number (from 0) for a back-off. */
  intervalMs: number | ((attempt: number) => number)
  /** What the poll comes to once the deadline has passed: throw the error to report, or return an answer to settle for. */
  onTimeout: () => T | Promise<T>
}

/**
 * kcl's one polling loop: runs `attempt` until it answers (anything but undefined), waiting between attempts, and
 * once the deadline has passed gives what `onTimeout` makes of it. An error `attempt` throws ends the poll at once;
 * so does an interrupted command (Ctrl-C), during a wait (src/interrupt.ts).
 */
export async function poll<T>(attempt: (attempt: number) => Promise<T | undefined>, options: PollOptions<T>): Promise<T> {
  for (let n = 0; ; n++) {
    const answer = await attempt(n)
    if (answer !== undefined) return answer
    if (performance.now() > options.deadline) return options.onTimeout()
    await interruptibleSleep(typeof options.intervalMs === 'number' ? options.intervalMs : options.intervalMs(n))
  }
}

/**
 * Runs `attempt` again while it throws, every `intervalMs`, until the deadline (performance.now() clock) has passed;
 * then its last error is thrown.
 */
export async function retryUntil<T>(deadline: number, attempt: () => Promise<T>, intervalMs = 250): Promise<T> {
  let failure: unknown
  const tried = await poll(
    async () => {
      try {
        return {value: await attempt()}
      } catch (error) {
        failure = error
        return undefined
      }
    },
    {deadline, intervalMs, onTimeout: () => Promise.reject(failure)},
  )
  return tried.value
}
