import {createInterface} from 'node:readline/promises'
import {usageError} from '../errors.ts'

/**
 * Asks a yes/no question on a terminal. Without a terminal there is nobody to ask: the command must be
 * told with --yes, and nothing happens until it is.
 */
export async function confirm(question: string, options: {yes: boolean; what: string}): Promise<boolean> {
  if (options.yes) return true
  if (!process.stdin.isTTY) {
    throw usageError(`Refusing to ${options.what} without confirmation.`, 'Run it in a terminal to be asked, or add --yes.')
  }
  const prompt = createInterface({input: process.stdin, output: process.stderr})
  try {
    const answer = await prompt.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    prompt.close()
  }
}
