/**
 * Asks for a secret on the terminal without echoing it; undefined when there is no terminal to ask (then the
 * secret must come from the environment or a profile).
 */
export async function askSecret(question: string): Promise<string | undefined> {
  const input = process.stdin
  if (!input.isTTY || !process.stderr.isTTY) return undefined
  process.stderr.write(question)
  input.setRawMode(true)
  input.resume()
  let answer = ''
  try {
    return await new Promise<string | undefined>((resolve) => {
      const onData = (chunk: Buffer): void => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            input.off('data', onData)
            return resolve(answer)
          }
          if (char === '\u0003') {
            input.off('data', onData)
            return resolve(undefined)
          }
          if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1)
          else answer += char
        }
      }
      input.on('data', onData)
    })
  } finally {
    input.setRawMode(false)
    input.pause()
    process.stderr.write('\n')
  }
}
