/** Exit codes kcl uses, so scripts can tell bad input from a broken environment. */
export const ExitCode = {
  failure: 1,
  usage: 2,
  environment: 3,
  notRunning: 4,
} as const

/**
 * The one error type of kcl's domain modules: what went wrong, what to do about it, and the exit code.
 * Commands turn it into oclif's `this.error`; nothing else ever reaches the user as a stack trace.
 */
export class KclError extends Error {
  readonly hint: string | undefined
  readonly exitCode: number

  constructor(message: string, options: {hint?: string; exitCode?: number; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'KclError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? ExitCode.failure
  }
}

export function usageError(message: string, hint?: string): KclError {
  return new KclError(message, {hint, exitCode: ExitCode.usage})
}
