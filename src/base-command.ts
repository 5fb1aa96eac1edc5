import {Command, Errors} from '@oclif/core'
import {KclError} from './errors.ts'

/**
 * Every kcl command extends this: it turns a KclError into one clear message with a hint and exit code,
 * and keeps stack traces out of the user's terminal unless KCL_DEBUG is set.
 */
export abstract class KclCommand extends Command {
  protected async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof KclError) {
      return this.error(err.message, {exit: err.exitCode, suggestions: err.hint ? [err.hint] : undefined})
    }
    // oclif's own errors (unknown flag, missing argument, ctrl-c) already read well.
    if (err instanceof Errors.CLIError || err.name === 'ExitError' || process.env.KCL_DEBUG) return super.catch(err)
    return this.error(err.message || String(err), {exit: 1, suggestions: ['Run again with KCL_DEBUG=1 for details.']})
  }
}
