import type {Socket} from 'node:net'
import type {TLSSocket} from 'node:tls'
import {KclError} from '../errors.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {readResponseHeader, writeRequestHeader, type AnyApi, type RequestOf, type ResponseOf} from './protocol/api.ts'
import {UNSUPPORTED_VERSION} from './protocol/error-codes.ts'
import {ApiVersions} from './protocol/messages/index.ts'
import {MalformedMessage, Reader, Writer} from './protocol/primitives.ts'
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

export const addressText = (address: BrokerAddress): string => (address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`)

/** A connection that could not be made or broke; `code` is the socket's (ECONNREFUSED, …), as translateKafkaError expects. */
export class ConnectionError extends Error {
  readonly code: string

  constructor(address: BrokerAddress, code: string, reason = code) {
    super(`${addressText(address)}: ${reason}`)
    this.code = code
  }
}

/**
 * Whatever answered does not speak Kafka's protocol, or not correctly: an HTTP server or SSH daemon on the port,
 * garbage, a frame of an impossible size, an answer that does not decode. Never retried.
 */
export class ProtocolViolation extends Error {
  readonly address: BrokerAddress
  /** Whether what answered is not Kafka at all (rather than a broker that sent something broken). */
  readonly notKafka: boolean

  constructor(address: BrokerAddress, what: string, notKafka = false) {
    super(`${addressText(address)} ${what}`)
    this.address = address
    this.notKafka = notKafka
  }
}

/** A broker too old for a request kcl needs (it does not know any version kcl speaks). */
export class UnsupportedApi extends Error {
  readonly api: string

  constructor(address: BrokerAddress, api: AnyApi, range: [number, number] | undefined) {
    super(
      range
        ? `${addressText(address)} speaks ${api.name} versions ${range[0]}-${range[1]}; kcl needs ${api.minVersion}-${api.maxVersion}`
        : `${addressText(address)} does not know the ${api.name} request`,
    )
    this.api = api.name
  }
}

/**
 * The most a broker's answer may be. Fetch asks for at most 50 MiB (and a single batch larger than that), so
 * anything far beyond is not Kafka talking: a size read from "HTTP" is 1.2 GB.
 */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024

export interface ConnectionOptions {
  clientId: string
  connectTimeoutMs: number
  /** TLS for the socket, SASL once ApiVersions answered (secure.ts); neither when absent. */
  security?: ConnectionSecurity
}

interface Pending {
  api: AnyApi
  version: number
  correlationId: number
  resolve(response: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

/** What the first bytes of an answer say about what is listening, when it is not Kafka. */
function impostor(head: Buffer): string {
  const text = head.toString('latin1', 0, Math.min(head.length, 8))
  if (text.startsWith('HTTP/')) return 'is not a Kafka broker (it answered with HTTP)'
  if (text.startsWith('SSH-')) return 'is not a Kafka broker (an SSH server answered)'
  if (/^[\x20-\x7e]{4}/.test(text)) return `is not a Kafka broker (it answered with text: "${text.replace(/[^\x20-\x7e]/g, '')}…")`
  return 'is not a Kafka broker (it answered with bytes that are not Kafka\'s protocol)'
}

/**
 * A connection to a broker, long-lived and shared by every request to that broker. It opens with ApiVersions, so
 * each request goes out in the newest version both sides speak. Requests are pipelined: each is written as soon
 * as it is made, and Kafka answers them in order, so several can be on their way while the broker works on the
 * first. Every answer is checked before it is believed: its size, its correlation id, its decoding.
 */
export class BrokerConnection {
  readonly address: BrokerAddress
  private readonly socket: Socket
  private readonly clientId: string
  private readonly pending: Pending[] = []
  private versions = new Map<number, [number, number]>()
  private chunks: Buffer[] = []
  /** An answer whose size is known, filled as its bytes arrive. */
  private frame: {bytes: Buffer; filled: number} | undefined
  private buffered = 0
  private answered = false
  private failure: Error | undefined
  private nextCorrelationId = 1

  private constructor(address: BrokerAddress, socket: Socket, clientId: string, security: ConnectionSecurity) {
    this.address = address
    this.socket = socket
    this.clientId = clientId
    // A plain socket reads into one reused buffer (openSocket's onRead); a TLS socket hands over chunks of its own.
    if (security.tls) socket.on('data', (chunk: Buffer) => this.receive(chunk, false))
    // TLS alerts about kcl's client certificate arrive after the handshake, as errors of the open socket.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.fail(securityFailure(address, error, socket as TLSSocket) ?? new ConnectionError(address, error.code ?? 'ECONNRESET', this.hungUp(error) ? closedBeforeAnswer(security) : error.message)),
    )
    // A SASL listener hangs up on a client that does not authenticate first: say so when that may be why.
    socket.on('close', () =>
      this.fail(new ConnectionError(address, 'ECONNRESET', this.answered || this.pending.length === 0 ? 'connection closed' : closedBeforeAnswer(security))),
    )
  }

  /** A server that resets the connection before its first answer hung up on kcl as surely as one that closed it. */
  private hungUp(error: NodeJS.ErrnoException): boolean {
    return (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !this.answered && this.pending.length > 0
  }

  /** Connects (with TLS when asked), learns the broker's API versions, and authenticates (SASL) when asked. */
  static async open(address: BrokerAddress, options: ConnectionOptions): Promise<BrokerConnection> {
    const security = options.security ?? {}
    let socket: Socket
    // What a plain socket reads before the connection exists (a server that speaks first) is kept for it.
    const early: Buffer[] = []
    let onRead = (bytes: Buffer): void => void early.push(Buffer.from(bytes))
    try {
      socket = await openSocket(address, security.tls, options.connectTimeoutMs, (bytes) => onRead(bytes))
    } catch (error) {
      if (error instanceof KclError) throw error
      const {code, message} = error as NodeJS.ErrnoException
      throw new ConnectionError(address, code ?? 'ECONNREFUSED', message)
    }
    const connection = new BrokerConnection(address, socket, options.clientId, security)
    onRead = (bytes) => connection.receive(bytes, true)
    for (const bytes of early) connection.receive(bytes, false)
    try {
      await connection.negotiate(options.connectTimeoutMs)
      if (security.sasl) await authenticate((api, data) => connection.request(api, data, options.connectTimeoutMs), address, security.sasl)
    } catch (error) {
      connection.close()
      throw error
    }
    return connection
  }

  get broken(): boolean {
    return this.failure !== undefined
  }

  /** The version of `api` this connection uses: the newest both kcl and the broker know. */
  version(api: AnyApi): number {
    const range = this.versions.get(api.key)
    const version = Math.min(api.maxVersion, range?.[1] ?? -1)
    if (!range || version < Math.max(api.minVersion, range[0])) throw new UnsupportedApi(this.address, api, range)
    return version
  }

  /** Whether the broker knows a version of `api` kcl speaks. */
  supports(api: AnyApi): boolean {
    const range = this.versions.get(api.key)
    return range !== undefined && Math.min(api.maxVersion, range[1]) >= Math.max(api.minVersion, range[0])
  }

  /** Sends a request and resolves with the broker's answer, decoded. */
  request<A extends AnyApi>(api: A, data: RequestOf<A>, timeoutMs: number, version = this.version(api)): Promise<ResponseOf<A>> {
    if (this.failure) return Promise.reject(this.failure)
    const correlationId = this.write(api, version, data)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ConnectionError(this.address, 'ETIMEDOUT', `no answer to ${api.name} within ${timeoutMs} ms`)), timeoutMs)
      this.pending.push({api, version, correlationId, resolve: resolve as (response: unknown) => void, reject, timer})
    })
  }

  /** Sends a request the broker does not answer (Produce with acks=0). */
  send<A extends AnyApi>(api: A, data: RequestOf<A>): void {
    if (this.failure) throw this.failure
    this.write(api, this.version(api), data)
  }

  /** Closes after what was written is flushed (an acks=0 batch may still be in the socket's buffer). */
  close(): void {
    this.fail(new ConnectionError(this.address, 'ECONNRESET', 'connection closed by kcl'), true)
  }

  /**
   * ApiVersions, the first request on every connection. A broker that does not know the version asked answers
   * with error UNSUPPORTED_VERSION in version 0's format, listing its own versions; then kcl asks again in one it knows.
   */
  private async negotiate(timeoutMs: number): Promise<void> {
    const request = {clientSoftwareName: 'kcl', clientSoftwareVersion: '1'}
    let response = await this.request(ApiVersions, request, timeoutMs, ApiVersions.maxVersion)
    if (response.errorCode === UNSUPPORTED_VERSION) {
      const theirs = response.apiKeys.find((key) => key.apiKey === ApiVersions.key)
      response = await this.request(ApiVersions, request, timeoutMs, Math.min(theirs?.maxVersion ?? 0, ApiVersions.maxVersion))
    }
    if (response.errorCode !== 0) throw new ProtocolViolation(this.address, `answered ApiVersions with error ${response.errorCode}`)
    this.versions = new Map(response.apiKeys.map((key) => [key.apiKey, [key.minVersion, key.maxVersion]]))
  }

  private write(api: AnyApi, version: number, data: unknown): number {
    const correlationId = this.nextCorrelationId++
    const writer = new Writer()
    writeRequestHeader(writer, api, version, correlationId, this.clientId)
    api.writeRequest(writer, version, data)
    const prefix = Buffer.allocUnsafe(4)
    prefix.writeInt32BE(writer.size, 0)
    this.socket.cork()
    this.socket.write(prefix)
    for (const chunk of writer.finish()) this.socket.write(chunk)
    this.socket.uncork()
    return correlationId
  }

  /** `reused`: the bytes are a view of the socket's read buffer, overwritten by the next read: kept only as a copy. */
  private receive(chunk: Buffer, reused: boolean): void {
    if (this.failure) return
    if (this.frame) {
      const copied = chunk.copy(this.frame.bytes, this.frame.filled)
      this.frame.filled += copied
      if (this.frame.filled < this.frame.bytes.length) return
      const {bytes} = this.frame
      this.frame = undefined
      this.answer(bytes)
      if (copied < chunk.length) this.receive(chunk.subarray(copied), reused)
      return
    }
    this.chunks.push(reused ? Buffer.from(chunk) : chunk)
    this.buffered += chunk.length
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 8 || this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
      if (!this.answered && looksLikeTls(head)) return this.fail(tlsListener(this.address))
      if (!this.answered && this.pending.length === 0) return this.fail(new ProtocolViolation(this.address, impostor(head), true))
      const size = head.readInt32BE(0)
      if (size < 4 || size > MAX_FRAME_BYTES) {
        const what = this.answered ? `sent a frame of ${size} bytes, which Kafka never sends` : impostor(head)
        return this.fail(new ProtocolViolation(this.address, what, !this.answered))
      }
      if (this.buffered < 4 + size) {
        // The rest of a large answer (a Fetch) is copied straight into a buffer of its size as it arrives, rather
        // than kept as the socket's chunks and joined at the end.
        const arrived = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
        const bytes = Buffer.allocUnsafe(size)
        this.frame = {bytes, filled: arrived.copy(bytes, 0, 4)}
        this.chunks = []
        this.buffered = 0
        return
      }
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
      const rest = all.subarray(4 + size)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
      this.answer(all.subarray(4, 4 + size))
      if (this.failure) return
    }
  }

  private answer(frame: Buffer): void {
    const waiting = this.pending.shift()
    if (!waiting) return this.fail(new ProtocolViolation(this.address, 'sent an answer to no request'))
    clearTimeout(waiting.timer)
    const first = !this.answered
    this.answered = true
    const reader = new Reader(frame)
    let response: unknown
    try {
      const correlationId = readResponseHeader(reader, waiting.api, waiting.version)
      if (correlationId !== waiting.correlationId) {
        throw new ProtocolViolation(this.address, first ? impostor(frame) : `answered request ${waiting.correlationId} with the answer to ${correlationId}`, first)
      }
      // A broker that does not know the ApiVersions version asked answers in version 0's layout.
      const oldLayout = waiting.api === ApiVersions && reader.remaining >= 2 && frame.readInt16BE(reader.position) === UNSUPPORTED_VERSION
      response = waiting.api.readResponse(reader, oldLayout ? 0 : waiting.version)
    } catch (error) {
      this.pending.unshift(waiting)
      const decoding = first ? impostor(frame) : `sent a malformed answer to ${waiting.api.name} v${waiting.version} (${(error as Error).message})`
      return this.fail(error instanceof MalformedMessage ? new ProtocolViolation(this.address, decoding, first) : (error as Error))
    }
    waiting.resolve(response)
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
 * One request on a connection of its own, for status checks (DescribeQuorum, per-broker Metadata probes while
 * brokers come up).
 */
export async function sendRequest<A extends AnyApi>(address: BrokerAddress, api: A, data: RequestOf<A>, options: ConnectionOptions): Promise<ResponseOf<A>> {
  const connection = await BrokerConnection.open(address, options)
  try {
    return await connection.request(api, data, options.connectTimeoutMs)
  } finally {
    connection.close()
  }
}
