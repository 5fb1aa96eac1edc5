import type {Options, Result} from 'execa'

/**
 * Runs a program through execa (argument arrays, never a shell), loading execa on first use: Kafka commands
 * given -b never start a process, and execa is the largest module they would otherwise load at start-up.
 */
export async function runProcess<O extends Options>(file: string, args: readonly string[], options: O): Promise<Result<O>> {
  const {execa} = await import('execa')
  // execa's promise is also the child process; kcl only ever awaits the result.
  const run = execa as unknown as (file: string, args: readonly string[], options: O) => Promise<Result<O>>
  return run(file, args, options)
}
