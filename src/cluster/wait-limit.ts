import {usageError} from '../errors.ts'

/** The longest wait a --timeout may ask for: an hour. (Node's timers overflow after 24.8 days into 1 ms.) */
export const MAX_WAIT_SECONDS = 3600

/** Checks a --timeout in seconds before anything is done. */
export function validateWaitSeconds(seconds: number, flag = '--timeout'): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    throw usageError(`${flag} must be a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}, not ${seconds}.`, `For example ${flag} 300.`)
  }
  return seconds
}
