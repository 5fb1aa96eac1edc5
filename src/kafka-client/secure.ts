import {connect as connectTcp, isIP, type Socket} from 'node:net'
import type {TLSSocket} from 'node:tls'
import {ExitCode, KclError} from '../errors.ts'
import {saslMechanismName, type ConnectionSecurity, type SaslSettings, type TlsSettings} from '../kafka/security.ts'
import type {AnyApi, RequestOf, ResponseOf} from './protocol/api.ts'
import {SaslAuthenticate, SaslHandshake} from './protocol/messages/index.ts'
import {saslExchange, SaslFailure} from './sasl/index.ts'

/**
 * What every connection to a broker does before its first request: TLS when asked (CA, mutual TLS, host name
 * check), then, after ApiVersions, SASL (SaslHandshake, then SaslAuthenticate until the mechanism is done).
 * Failures a user can fix become one KclError naming the broker, with exit code 3.
 */

export interface Address {
  host: string
  port: number
}

/** A request on the connection being authenticated: what authenticate() needs of BrokerConnection. */
export type SendRequest = <A extends AnyApi>(api: A, data: RequestOf<A>) => Promise<ResponseOf<A>>

const ILLEGAL_SASL_STATE = 34
const UNSUPPORTED_SASL_MECHANISM = 33

const where = (address: Address): string => `${address.host}:${address.port}`

function securityError(message: string, hint: string): KclError {
  return new KclError(message, {hint, exitCode: ExitCode.environment})
}

/** What a plain socket reads goes into one buffer of this size, reused: no allocation per read. */
const READ_BUFFER_BYTES = 1024 * 1024

/**
 * A plain TCP connection, or a TLS one once its handshake (and certificate checks) succeeded. A plain socket hands
 * what it reads to `onRead`, as a view of its read buffer that the next read overwrites; a TLS socket emits 'data'.
 */
export function openSocket(address: Address, tls: TlsSettings | undefined, timeoutMs: number, onRead: (bytes: Buffer) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // node:tls is loaded only for a TLS connection: it adds about 12 ms of CPU to every command's start.
    const socket: Socket = tls
      ? process.getBuiltinModule('node:tls').connect({
          host: address.host,
          port: address.port,
          // SNI takes host names only; an IP address is checked against the certificate's IP entries.
          servername: isIP(address.host) ? undefined : address.host,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          passphrase: tls.passphrase,
          rejectUnauthorized: tls.insecure !== true,
          ...(tls.insecure ? {checkServerIdentity: () => undefined} : {}),
        })
      : connectTcp({host: address.host, port: address.port, onread: {buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES), callback: (read, buffer) => (onRead(Buffer.from(buffer.buffer, buffer.byteOffset, read)), true)}})
    socket.setNoDelay(true)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error(`no connection within ${timeoutMs} ms`), {code: 'ETIMEDOUT'}))
    }, timeoutMs)
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(securityFailure(address, error, socket as TLSSocket) ?? error)
    })
  })
}

/** The failures of a TLS connection a user can act on, as one line each; undefined for any other socket error. */
export function securityFailure(address: Address, error: NodeJS.ErrnoException, socket?: TLSSocket): KclError | undefined {
  const code = error.code ?? ''
  const at = where(address)
  switch (code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return securityError(`The TLS certificate of ${at} is not signed by a CA kcl trusts.`, 'Pass --tls-ca FILE with the CA certificate (PEM) that signed it; for a kcl cluster its profile has it.')
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return securityError(
        `The TLS certificate of ${at} is not valid for "${address.host}": ${(error as {reason?: string}).reason ?? error.message}.`,
        'Connect with a host name the certificate lists (-b), or skip the check with --tls-insecure (never for a real cluster).',
      )
    case 'CERT_HAS_EXPIRED': {
      const validTo = socket?.getPeerCertificate?.()?.valid_to
      return securityError(`The TLS certificate of ${at} has expired${validTo ? ` (${validTo})` : ''}.`, "The broker needs a new certificate; check this machine's clock too.")
    }
    case 'CERT_NOT_YET_VALID':
      return securityError(`The TLS certificate of ${at} is not valid yet.`, "Check this machine's clock and the broker's.")
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return plaintextListener(address)
  }
  // The broker's TLS alerts about kcl's client certificate; OpenSSL versions name them SSLV3_, TLSV1_ or SSL/TLS_.
  const alert = /^ERR_SSL_.*ALERT_(.+)$/.exec(code)?.[1]
  if (alert === 'CERTIFICATE_REQUIRED') {
    return securityError(`${at} requires a client certificate (mutual TLS).`, 'Pass --tls-cert FILE and --tls-key FILE, signed by a CA the broker trusts.')
  }
  if (alert === 'CERTIFICATE_EXPIRED') return securityError(`${at} refused kcl's client certificate: it has expired.`, 'Pass a current certificate with --tls-cert and --tls-key.')
  if (alert === 'BAD_CERTIFICATE' || alert === 'CERTIFICATE_UNKNOWN' || alert === 'UNSUPPORTED_CERTIFICATE' || alert === 'UNKNOWN_CA') {
    return securityError(
      `${at} refused kcl's client certificate (or kcl sent none): it is not signed by a CA the broker trusts, or has expired.`,
      'Pass --tls-cert FILE and --tls-key FILE with a current certificate signed by a CA the broker trusts.',
    )
  }
  // A Kafka plaintext listener reads the TLS hello as an absurd request size and hangs up during the handshake.
  if (socket && 'encrypted' in socket && !socket.authorized && /before secure TLS connection was established/.test(error.message)) return plaintextListener(address)
  return undefined
}

function plaintextListener(address: Address): KclError {
  return securityError(`${where(address)} does not speak TLS: it closed the connection during the TLS handshake.`, 'Connect without --tls (and without a TLS profile) if the listener is PLAINTEXT or SASL_PLAINTEXT.')
}

/** A TLS record's first bytes (handshake 0x16 or alert 0x15, version 3.x), where a Kafka answer's size should be. */
export function looksLikeTls(head: Buffer): boolean {
  return (head[0] === 0x15 || head[0] === 0x16) && head[1] === 0x03
}

/** The error for a plaintext connection whose broker answered in TLS. */
export function tlsListener(address: Address): KclError {
  return securityError(`${where(address)} speaks TLS, and kcl connected without it.`, 'Pass --tls (with --tls-ca FILE for a private CA), or use the cluster\'s profile.')
}

/** Why a broker may have hung up before answering kcl's first request: the security mismatches, named. */
export function closedBeforeAnswer(security: ConnectionSecurity): string {
  if (!security.sasl) return 'closed the connection before answering; if its listener needs SASL, pass --sasl-mechanism and --sasl-username (or a profile)'
  return security.tls ? 'closed the connection before answering' : 'closed the connection before answering; if its listener uses TLS, add --tls'
}

/** SaslHandshake, then SaslAuthenticate until the mechanism's exchange is complete. */
export async function authenticate(send: SendRequest, address: Address, sasl: SaslSettings): Promise<void> {
  const exchange = saslExchange(sasl)
  const user = 'username' in sasl ? sasl.username : undefined
  const handshake = await send(SaslHandshake, {mechanism: exchange.mechanism})
  const enabled = handshake.mechanisms
  if (handshake.errorCode === UNSUPPORTED_SASL_MECHANISM) {
    throw securityError(
      `${where(address)} does not enable SASL ${exchange.mechanism}; it enables ${enabled.join(', ') || 'none'}.`,
      `Use --sasl-mechanism ${enabled[0]?.toLowerCase() ?? 'with one of those'}.`,
    )
  }
  if (handshake.errorCode === ILLEGAL_SASL_STATE) {
    throw securityError(`${where(address)} does not use SASL on this listener.`, 'Connect without --sasl-mechanism (and without a SASL profile), or to the SASL listener.')
  }
  if (handshake.errorCode !== 0) throw securityError(`${where(address)} refused the SASL handshake (Kafka error code ${handshake.errorCode}).`, 'Check the listener and mechanism.')

  const failed = (detail?: string | null): KclError =>
    securityError(
      `Authentication failed for ${user === undefined ? 'the token' : `user ${user}`} (${saslMechanismName(sasl.mechanism)}) at ${where(address)}${detail ? `: ${detail}` : ''}.`,
      user === undefined ? 'Check the token.' : 'Check the user name and the password (KCL_SASL_PASSWORD, or the profile\'s).',
    )
  let message: Buffer | undefined = exchange.first()
  while (message !== undefined) {
    const reply = await send(SaslAuthenticate, {authBytes: message})
    if (reply.errorCode !== 0) throw failed(reply.errorCode === 58 ? undefined : reply.errorMessage)
    try {
      message = exchange.next(reply.authBytes)
    } catch (error) {
      if (error instanceof SaslFailure) throw failed(error.message)
      throw error
    }
  }
}
