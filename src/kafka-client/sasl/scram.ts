import type * as Crypto from 'node:crypto'
import {SaslFailure, type SaslExchange} from './mechanism.ts'

export type ScramHash = 'sha1' | 'sha256' | 'sha512'

const HASH_BYTES: Record<ScramHash, number> = {sha1: 20, sha256: 32, sha512: 64}
/** RFC 7677 asks for at least 4096 iterations; Kafka refuses to store fewer. A server offering fewer is not trusted. */
const MIN_ITERATIONS = 4096
/** base64("n,,"): no channel binding, no authorization identity. */
const GS2_HEADER = 'biws'

/** RFC 5802 saslname: "=" and "," are escaped. Kafka does not SASLprep names or passwords, so neither does kcl. */
const saslName = (name: string): string => name.replaceAll('=', '=3D').replaceAll(',', '=2C')

/** Splits "a=1,b=2" into its attributes; values may contain "=" (base64), never ",". */
function attributes(message: string): Map<string, string> {
  const result = new Map<string, string>()
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new SaslFailure(`malformed SCRAM message from the broker: "${message}"`)
    result.set(part[0] as string, part.slice(2))
  }
  return result
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ (b[i] as number)))
}

/**
 * SCRAM (RFC 5802; SHA-256 and SHA-512 per RFC 7677 and Kafka): client-first, then the proof computed from the
 * server's salt and iterations, then the server's signature checked, so a server that does not know the
 * password cannot pretend to. `nonce` is random unless given (tests replay the RFCs' examples).
 */
export function scramExchange(hash: ScramHash, username: string, password: string, givenNonce?: string): SaslExchange {
  // node:crypto loads with the first SCRAM exchange, not with every command that can connect.
  const {createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual} = process.getBuiltinModule('node:crypto') as typeof Crypto
  const nonce = givenNonce ?? randomBytes(24).toString('base64')
  const hmac = (key: Buffer, text: string): Buffer => createHmac(hash, key).update(text, 'utf8').digest()
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`
  let expectedServerSignature: Buffer | undefined
  let done = false

  function final(serverFirst: string): Buffer {
    const server = attributes(serverFirst)
    const error = server.get('e')
    if (error !== undefined) throw new SaslFailure(`the broker refused: ${error}`)
    const serverNonce = server.get('r') ?? ''
    const salt = Buffer.from(server.get('s') ?? '', 'base64')
    const iterations = Number(server.get('i'))
    if (!serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) throw new SaslFailure('the broker did not extend kcl\'s SCRAM nonce')
    if (salt.length === 0 || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS) {
      throw new SaslFailure(`the broker's SCRAM parameters are unsafe (salt ${salt.length} bytes, ${iterations} iterations)`)
    }
    const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH_BYTES[hash], hash)
    const clientKey = hmac(saltedPassword, 'Client Key')
    const storedKey = createHash(hash).update(clientKey).digest()
    const withoutProof = `c=${GS2_HEADER},r=${serverNonce}`
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`
    const proof = xor(clientKey, hmac(storedKey, authMessage))
    expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage)
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8')
  }

  function verify(serverFinal: string): void {
    const server = attributes(serverFinal)
    const error = server.get('e')
    if (error !== undefined) throw new SaslFailure(`the broker refused: ${error}`)
    const signature = Buffer.from(server.get('v') ?? '', 'base64')
    const expected = expectedServerSignature as Buffer
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new SaslFailure('the broker\'s SCRAM signature is wrong: it does not know the password')
    }
  }

  return {
    mechanism: `SCRAM-${hash.toUpperCase().replace('SHA', 'SHA-')}`,
    first: () => Buffer.from(`n,,${clientFirstBare}`, 'utf8'),
    next(serverMessage) {
      if (done) return undefined
      const text = serverMessage.toString('utf8')
      if (expectedServerSignature === undefined) return final(text)
      verify(text)
      done = true
      return undefined
    },
  }
}
