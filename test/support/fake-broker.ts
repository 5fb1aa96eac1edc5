/**
 * A small Kafka broker in the test process: a TCP server on 127.0.0.1 that reads requests and writes answers
 * with kcl's generated codecs, so unit tests can play any answer (errors, duplicates, reordered partitions,
 * hostile bytes) to kcl's client. It answers ApiVersions itself, with the versions of the APIs it handles.
 */

import {createServer, type AddressInfo, type Server, type Socket} from 'node:net'
import {readRequestHeader, writeResponseHeader, type AnyApi, type RequestHeader} from '../../src/kafka-client/protocol/api.ts'
import * as messages from '../../src/kafka-client/protocol/messages/index.ts'
import {Reader, Writer} from '../../src/kafka-client/protocol/primitives.ts'

const APIS: readonly AnyApi[] = messages.APIS

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (request: any, context: {version: number; header: RequestHeader; socket: Socket; connection: number}) => unknown

/** What a handler answers: the response in the shape its writer takes. */
export type Answer<A extends AnyApi> = Parameters<A['writeResponse']>[2]

export interface FakeBroker {
  port: number
  address: string
  /** Requests received, in order, by API name. */
  received: {api: string; version: number; request: unknown}[]
  /** Answers `api` with what `handler` returns (Input shape of the response); `undefined`: no answer. */
  on<A extends AnyApi>(api: A, handler: (request: ReturnType<A['readRequest']>, context: Parameters<Handler>[1]) => Answer<A> | undefined | Promise<Answer<A> | undefined>): void
  /** The most requests one connection had waiting for their answers at once (pipelined by the client). */
  readonly maxPipelined: number
  /** Versions the broker claims for an API (default: all kcl speaks). */
  versions: Map<number, [number, number]>
  close(): Promise<void>
}

/** Starts a fake broker that answers nothing but ApiVersions until handlers are added. */
export async function startFakeBroker(): Promise<FakeBroker> {
  const handlers = new Map<number, Handler>()
  const received: FakeBroker['received'] = []
  const versions = new Map(APIS.map((api) => [api.key, [api.minVersion, api.maxVersion] as [number, number]]))
  let connections = 0
  let maxPipelined = 0
  const sockets = new Set<Socket>()
  const flexible = (apiKey: number, version: number): boolean => {
    const api = APIS.find((a) => a.key === apiKey)
    return api !== undefined && version >= api.flexibleFrom
  }
  const server = createServer((socket) => {
    const connection = ++connections
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let pending = Buffer.alloc(0)
    let queue = Promise.resolve()
    let waiting = 0
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0))
        pending = pending.subarray(4 + frame.length)
        // Answers go out in order, as a broker's do, even when a handler takes its time.
        maxPipelined = Math.max(maxPipelined, ++waiting)
        queue = queue
          .then(() => answer(socket, frame, connection))
          .catch(() => void socket.destroy())
          .finally(() => waiting--)
      }
    })
  })

  async function answer(socket: Socket, frame: Buffer, connection: number): Promise<void> {
    const reader = new Reader(frame)
    const header = readRequestHeader(reader, flexible)
    const api = APIS.find((a) => a.key === header.apiKey)
    if (!api) throw new Error(`fake broker: unknown API key ${header.apiKey}`)
    const request = api.readRequest(reader, header.apiVersion)
    received.push({api: api.name, version: header.apiVersion, request})
    let response: unknown
    let version = header.apiVersion
    const claimed = versions.get(api.key)!
    if (api === messages.ApiVersions && version > claimed[1]) {
      // What a broker answers an ApiVersions newer than it knows: the error, and its versions, in version 0.
      version = 0
      response = {errorCode: 35, apiKeys: [{apiKey: api.key, minVersion: claimed[0], maxVersion: claimed[1]}]}
    } else if (api === messages.ApiVersions) {
      response = {errorCode: 0, apiKeys: [...versions].filter(([key]) => key === messages.ApiVersions.key || handlers.has(key)).map(([apiKey, [minVersion, maxVersion]]) => ({apiKey, minVersion, maxVersion}))}
    } else {
      const handler = handlers.get(api.key)
      if (!handler) throw new Error(`fake broker: no handler for ${api.name}`)
      response = await handler(request, {version: header.apiVersion, header, socket, connection})
    }
    if (response === undefined) return
    const writer = new Writer()
    writeResponseHeader(writer, api, version, header.correlationId)
    api.writeResponse(writer, version, response)
    const size = Buffer.alloc(4)
    size.writeInt32BE(writer.size)
    socket.write(Buffer.concat([size, ...writer.finish()]))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    address: `127.0.0.1:${port}`,
    received,
    versions,
    get maxPipelined() {
      return maxPipelined
    },
    on: (api, handler) => handlers.set(api.key, handler as Handler),
    close: () => {
      for (const socket of sockets) socket.destroy()
      return closeServer(server)
    },
  }
}

/** A server on 127.0.0.1 that hands each socket to `serve` (for answers no broker would give). */
export async function startRawServer(serve: (socket: Socket) => void): Promise<{port: number; address: string; close(): Promise<void>}> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    serve(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return closeServer(server)
    },
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A minimal Metadata answer: one broker (the fake itself) leading every partition of the given topics. */
export function metadataFor(broker: FakeBroker, topics: Record<string, number>, topicIds: Record<string, string> = {}) {
  return {
    brokers: [{nodeId: 1, host: '127.0.0.1', port: broker.port}],
    clusterId: 'fake',
    controllerId: 1,
    topics: Object.entries(topics).map(([name, partitions]) => ({
      errorCode: 0,
      name,
      topicId: topicIds[name] ?? 'AAAAAAAAAAAAAAAAAAAAAQ',
      partitions: Array.from({length: partitions}, (_, partition) => ({errorCode: 0, partitionIndex: partition, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1]})),
    })),
  }
}
