import type {Socket} from 'node:net'
import type {TLSSocket} from 'node:tls'
import {KclError} from '../errors.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {Reader, Writer} from './protocol/primitives.ts'
import {authenticate, closedBeforeAnswer, looksLikeTls, openSocket, securityFailure, tlsListener} from './secure.ts'

export interface BrokerAddress {
  host: string
  port: number
}

export function parseAddress(address: string): BrokerAddress {
  const at = address.lastIndexOf(':')
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1')
  return {host, port: Number(address.slice(at + 1))}
}

/** A connection that could not be made or broke; `code` is the socket's (ECONNREFUSED, …), as translateKafkaError expects. */
export class ConnectionError extends Error {
  readonly code: string

  constructor(address: BrokerAddress, code: string, reason = code) {
    super(`${address.host}:${address.port}: ${reason}`)
    this.code = code
  }
}

interface Pending {
  correlationId: number
  flexible: boolean
  resolve(body: Reader): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

export interface RequestSpec {
  apiKey: number
  apiVersion: number
  /** The request body, as one or several buffers (written without copying them together). */
  body: Buffer[]
  timeoutMs: number
  /** Request header v2 and response header v1 (tagged fields), as flexible API versions require. */
  flexible?: boolean
}

/**
 * A connection to a broker: long-lived for kcl's data path (produce and fetch), or for one request (sendRequest).
 * Requests are pipelined: each is written as soon as it is made, and Kafka answers them in order on the connection, so several batches can be
 * on their way while the broker writes the first.
 */
export class BrokerConnection {
  readonly address: BrokerAddress
  private readonly socket: Socket
  private readonly clientId: string
  private readonly pending: Pending[] = []
  private chunks: Buffer[] = []
  private buffered = 0
  private failure: Error | undefined
  private nextCorrelationId = 1
  private answered = false

  private constructor(address: BrokerAddress, socket: Socket, clientId: string, security: ConnectionSecurity) {
    this.address = address
    this.socket = socket
    this.clientId = clientId
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    // TLS alerts about kcl's client certificate arrive after the handshake, as errors of the open socket.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.fail(securityFailure(address, error, socket as TLSSocket) ?? new ConnectionError(address, error.code ?? 'ECONNRESET', error.message)),
    )
    // A SASL listener hangs up on a client that does not authenticate first: say so when that may be why.
    socket.on('close', () =>
      this.fail(new ConnectionError(address, 'ECONNRESET', this.answered || this.pending.length === 0 ? 'connection closed' : closedBeforeAnswer(security))),
    )
  }

  /** Connects, with TLS and SASL when `security` asks for them (secure.ts), ready for requests. */
  static async open(address: BrokerAddress, clientId: string, timeoutMs: number, security: ConnectionSecurity = {}): Promise<BrokerConnection> {
    let socket: Socket
    try {
      socket = await openSocket(address, security.tls, timeoutMs)
    } catch (error) {
      if (error instanceof KclError) throw error
      const {code, message} = error as NodeJS.ErrnoException
      throw new ConnectionError(address, code ?? 'ECONNREFUSED', message)
    }
    const connection = new BrokerConnection(address, socket, clientId, security)
    if (security.sasl) {
      await authenticate((request) => connection.request(request), address, security.sasl, timeoutMs).catch((error: unknown) => {
        connection.close()
        throw error
      })
    }
    return connection
  }

  get broken(): boolean {
    return this.failure !== undefined
  }

  /** Sends a request (header v1) and resolves with a reader at the start of the response body. */
  request(spec: RequestSpec): Promise<Reader> {
    if (this.failure) return Promise.reject(this.failure)
    const correlationId = this.nextCorrelationId++
    this.write(spec, correlationId)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ConnectionError(this.address, 'ETIMEDOUT', `no answer within ${spec.timeoutMs} ms`)), spec.timeoutMs)
      this.pending.push({correlationId, flexible: spec.flexible === true, resolve, reject, timer})
    })
  }

  /** Sends a request the broker does not answer (Produce with acks=0). */
  send(spec: RequestSpec): void {
    if (this.failure) throw this.failure
    this.write(spec, this.nextCorrelationId++)
  }

  /** Closes after what was written is flushed (an acks=0 batch may still be in the socket's buffer). */
  close(): void {
    this.fail(new ConnectionError(this.address, 'ECONNRESET', 'connection closed by kcl'), true)
  }

  private write(spec: RequestSpec, correlationId: number): void {
    const writer = new Writer().int16(spec.apiKey).int16(spec.apiVersion).int32(correlationId).string(this.clientId)
    const header = (spec.flexible ? writer.noTags() : writer).bytes()
    const size = header.length + spec.body.reduce((sum, part) => sum + part.length, 0)
    const prefix = Buffer.allocUnsafe(4 + header.length)
    prefix.writeInt32BE(size, 0)
    header.copy(prefix, 4)
    this.socket.cork()
    this.socket.write(prefix)
    for (const part of spec.body) this.socket.write(part)
    this.socket.uncork()
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks)
      if (looksLikeTls(head)) return this.fail(tlsListener(this.address))
      const size = head.readInt32BE(0)
      if (this.buffered < 4 + size) return
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
      const rest = all.subarray(4 + size)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
      this.answer(all.subarray(4, 4 + size))
    }
  }

  private answer(response: Buffer): void {
    const waiting = this.pending.shift()
    if (!waiting) return this.fail(new ConnectionError(this.address, 'EPROTO', 'an answer to no request'))
    clearTimeout(waiting.timer)
    this.answered = true
    const reader = new Reader(response)
    if (reader.int32() !== waiting.correlationId) {
      this.pending.unshift(waiting)
      return this.fail(new ConnectionError(this.address, 'EPROTO', 'answers out of order'))
    }
    if (waiting.flexible) reader.skipTags()
    waiting.resolve(reader)
  }

  private fail(error: Error, flush = false): void {
    this.failure ??= error
    if (flush) this.socket.end(() => this.socket.destroy())
    else this.socket.destroy()
    for (const waiting of this.pending.splice(0)) {
      clearTimeout(waiting.timer)
      waiting.reject(this.failure)
    }
  }
}

/**
 * One request on a connection of its own, for status checks (DescribeQuorum, per-broker Metadata probes while brokers
 * come up); returns a reader at the start of the response body.
 */
export async function sendRequest(
  address: BrokerAddress,
  request: {apiKey: number; apiVersion: number; flexible: boolean; body: Buffer},
  timeoutMs = 5000,
  security?: ConnectionSecurity,
): Promise<Reader> {
  const connection = await BrokerConnection.open(address, 'kcl', timeoutMs, security)
  try {
    return await connection.request({...request, body: [request.body], timeoutMs})
  } finally {
    connection.close()
  }
}
