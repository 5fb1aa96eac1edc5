import {setTimeout as sleep} from 'node:timers/promises'

/**
 * Asks `check` again until it answers something other than undefined or false, for at most `timeoutMs`: a
 * bounded wait, never a timing assertion. The error names what was awaited and what was last seen.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, describeLast?: () => Promise<string>): Promise<T> {
  const deadline = performance.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const answer = await check()
      if (answer !== undefined && answer !== false) return answer
    } catch (error) {
      lastError = error
    }
    if (performance.now() > deadline) {
      const last = describeLast ? await describeLast().catch((error: Error) => error.message) : lastError instanceof Error ? lastError.message : ''
      throw new Error(`Waited ${timeoutMs / 1000} s for ${what}${last ? `; last seen: ${last}` : ''}`)
    }
    await sleep(250)
  }
}

/** Resolves with the first line of a running process's output that matches. */
export function lineMatching(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => {
      stream.off('data', onData)
      reject(new Error(`no line matching ${pattern} within ${timeoutMs / 1000} s; output so far: ${buffered}`))
    }, timeoutMs)
    const onData = (chunk: Buffer | string) => {
      buffered += String(chunk)
      const match = buffered.match(pattern)
      if (match) {
        clearTimeout(timer)
        stream.off('data', onData)
        resolve(match)
      }
    }
    stream.on('data', onData)
  })
}
