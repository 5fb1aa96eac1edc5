import {Command, Errors} from '@oclif/core'
import {onKafka, type ConnectionFlagValues} from './connection/connect.ts'
import {resolveConnection, type ResolvedConnection} from './connection/resolve.ts'
import {KclError} from './errors.ts'
import type {KafkaClient} from './kafka/client.ts'
import {askSecret} from './ui/prompt.ts'
import {helpCliOf, helpLayout, renderCommandHelp} from './help/render.ts'
import {runnable} from './ui/invocation.ts'

/** oclif's parse errors (unknown flag, missing or unexpected argument) that want the command's usage below them. */
type ParseErrorWithUsage = Errors.CLIError & {showHelp: true}

function wantsUsage(err: Error): err is ParseErrorWithUsage {
  return err instanceof Errors.CLIError && (err as {showHelp?: boolean}).showHelp === true
}

const SEE_HELP = 'See more help with --help'

/**
 * oclif's parse errors span lines ("Parsing --partitions \n\tExpected an integer…\nSee more help with --help"):
 * one line, as every kcl error, the usage below saying the rest.
 */
function oneLine(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== SEE_HELP)
  const [first = '', ...rest] = lines
  return rest.length === 0 ? first : `${first.replace(/:$/, '')}: ${rest.join('; ')}`
}

/**
 * Every kcl command extends this: it turns a KclError into one clear message with a hint and exit code,
 * and keeps stack traces out of the user's terminal unless KCL_DEBUG is set.
 */
export abstract class KclCommand extends Command {
  /** Runs `work` with a client connected as the connection flags, environment and profiles say (flags.ts). */
  protected onKafka<T>(connection: ConnectionFlagValues, work: (client: KafkaClient) => Promise<T>): Promise<T> {
    return onKafka(connection, this.connectionHooks(), work)
  }

  /** Where and how to connect, for commands that keep the connection (kcl ui). */
  protected resolveConnection(connection: ConnectionFlagValues): Promise<ResolvedConnection> {
    return resolveConnection(connection, this.connectionHooks())
  }

  private connectionHooks() {
    return {warn: (line: string) => this.warn(line), askSecret}
  }

  /** With --json, errors are JSON too: the message and exit code only (oclif would dump the whole error, its config included). */
  protected toErrorJson(err: Error & {exitCode?: number; oclif?: {exit?: number}}): unknown {
    return {error: {message: err.message, exitCode: err.oclif?.exit ?? err.exitCode ?? 1}}
  }

  protected async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof KclError) {
      return this.error(runnable(err.message), {exit: err.exitCode, suggestions: err.hint ? [runnable(err.hint)] : undefined})
    }
    if (wantsUsage(err) && this.id && !this.jsonEnabled()) {
      // oclif's error handler would print the usage with its own renderer: print kcl's, the text --help shows, and
      // let the handler only exit with the error's code.
      this.error(oneLine(err.message), {exit: false})
      this.logToStderr(`\n${renderCommandHelp(helpCliOf(this.config), this.id, helpLayout(process.stderr), ['usage', 'arguments', 'flags'])}`)
      err.skipOclifErrorHandling = true
      throw err
    }
    if (err instanceof Errors.CLIError && err.message.includes(SEE_HELP) && !this.jsonEnabled()) {
      return this.error(oneLine(err.message), {exit: err.oclif?.exit ?? 2})
    }
    // oclif's own errors (ctrl-c) already read well.
    if (err instanceof Errors.CLIError || err.name === 'ExitError' || process.env.KCL_DEBUG) {
      // With --json oclif exits with err.exitCode, which its parse errors keep elsewhere (2, a usage error).
      if (this.jsonEnabled()) process.exitCode ??= (err as {oclif?: {exit?: number}}).oclif?.exit
      return super.catch(err)
    }
    return this.error(err.message || String(err), {exit: 1, suggestions: ['Run again with KCL_DEBUG=1 for details.']})
  }
}
