/**
 * kcl ui's HTTP server (node:http): the page and its assets, the live model as JSON and as server-sent events, and
 * the two actions (create a topic, produce a record). It binds 127.0.0.1 unless told otherwise, answers only
 * requests addressed to it by name (a web page elsewhere cannot reach it through DNS rebinding) and takes actions
 * only as JSON from its own origin (a form on another site cannot post to it).
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import type {ResolvedConnection} from '../connection/resolve.ts'
import {ClusterReader, type NewRecordRequest, type NewTopicRequest} from '../cluster-view/gather.ts'
import {ClusterWatch, type WatchOptions} from '../cluster-view/watch.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {isLoopback, validateHost, validatePort} from './address.ts'
import {loadAssets, type Asset, type AssetFile} from './assets.ts'

export interface UiServerOptions {
  host: string
  /** 0 for any free port; a busy port also falls back to a free one. */
  port: number
  watch?: WatchOptions
}

export interface UiServer {
  url: string
  host: string
  port: number
  /** The port asked for was taken, so another was chosen. */
  portWasBusy: boolean
  watch: ClusterWatch
  close(): Promise<void>
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host)

const MAX_BODY_BYTES = 1024 * 1024
const RECORDS_CACHE_MS = 1000
const HEARTBEAT_MS = 15_000

class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) return sendJson(res, error.status, {error: error.message})
  if (error instanceof KclError) return sendJson(res, error.exitCode === ExitCode.usage ? 400 : 502, {error: error.message, hint: error.hint})
  sendJson(res, 502, {error: error instanceof Error ? error.message : String(error)})
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Send JSON (Content-Type: application/json).')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'The request body is larger than 1 MiB.')
    chunks.push(chunk)
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>
  } catch {
    // answered below
  }
  throw new HttpError(400, 'The request body is not a JSON object.')
}

function pathPart(encoded: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    throw new HttpError(400, `"${encoded}" is not a valid URL path part.`)
  }
}

function optionalInteger(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field]
  if (value === undefined || value === null || value === '') return undefined
  const number = typeof value === 'string' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new HttpError(400, `${field} must be a whole number.`)
  return number
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field]
  if (typeof value !== 'string') throw new HttpError(400, `${field} must be a string.`)
  return value
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field]
  return value === undefined || value === null || value === '' ? undefined : requiredString(body, field)
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({host, port, exclusive: true}, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}

/** Starts polling the cluster and serving the page; resolves once it listens and the first poll answered. */
export async function startUiServer(target: ResolvedConnection, options: UiServerOptions): Promise<UiServer> {
  const host = validateHost(options.host)
  validatePort(options.port)
  const assets = await loadAssets().catch((error: unknown) => {
    throw new KclError(`kcl ui's page is missing from this installation (${(error as Error).message}).`, {hint: 'Build it with `npm run build`, or reinstall kcl.'})
  })
  const reader = new ClusterReader(target)
  const watch = new ClusterWatch(reader, options.watch)
  const streams = new Set<ServerResponse>()
  const recordsCache = new Map<string, {at: number; result: Promise<unknown>}>()
  let allowedHosts = new Set<string>()

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://kcl.invalid')
    const path = url.pathname
    if (req.method === 'GET') {
      const asset = path === '/' ? 'index.html' : /^\/assets\/(app\.(?:js|css))$/.exec(path)?.[1]
      if (asset !== undefined) return serveAsset(res, assets.get(asset as AssetFile)!)
      if (path === '/api/snapshot') return sendJson(res, 200, {snapshot: watch.snapshot(), events: watch.events(), polls: watch.counts})
      if (path === '/api/events') return openStream(req, res)
      const records = /^\/api\/topics\/([^/]+)\/partitions\/(\d+)\/records$/.exec(path)
      if (records) return sendJson(res, 200, await latestRecords(pathPart(records[1]!), Number(records[2]), Number(url.searchParams.get('count') ?? 20)))
      throw new HttpError(404, `Nothing at ${path}.`)
    }
    if (req.method === 'POST') {
      // A cross-site form or fetch either lacks the JSON content type (checked by readJson) or carries another Origin.
      const origin = req.headers.origin
      if (origin !== undefined && origin !== `http://${req.headers.host}`) throw new HttpError(403, 'Actions are only taken from kcl ui\'s own page.')
      if (path === '/api/topics') return sendJson(res, 201, await createTopic(await readJson(req)))
      const produce = /^\/api\/topics\/([^/]+)\/records$/.exec(path)
      if (produce) return sendJson(res, 201, await produceRecord(pathPart(produce[1]!), await readJson(req)))
      throw new HttpError(404, `Nothing at ${path}.`)
    }
    res.setHeader('allow', 'GET, POST')
    throw new HttpError(405, `${req.method} is not supported.`)
  }

  const serveAsset = (res: ServerResponse, asset: Asset): void => {
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': asset.body.length,
      'cache-control': 'no-cache',
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
      'x-content-type-options': 'nosniff',
    })
    res.end(asset.body)
  }

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive'})
    const send = (event: string, data: unknown): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    send('snapshot', watch.snapshot())
    send('events', watch.events())
    const unsubscribe = watch.subscribe(({snapshot, events}) => {
      send('snapshot', snapshot)
      if (events.length > 0) send('events', events)
    })
    const heartbeat = setInterval(() => res.write(': still here\n\n'), HEARTBEAT_MS)
    streams.add(res)
    req.on('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
      streams.delete(res)
    })
  }

  /** Pages ask again whenever a partition's end moves: the same answer serves all of them for a second. */
  const latestRecords = (topic: string, partition: number, count: number): Promise<unknown> => {
    const key = `${topic}\u0000${partition}\u0000${count}`
    const now = Date.now()
    for (const [k, entry] of recordsCache) if (now - entry.at > RECORDS_CACHE_MS) recordsCache.delete(k)
    const cached = recordsCache.get(key)
    if (cached) return cached.result
    const result = reader.latestRecords(topic, partition, count).then((records) => ({topic, partition, records}))
    recordsCache.set(key, {at: now, result})
    result.catch(() => recordsCache.delete(key))
    return result
  }

  const createTopic = (body: Record<string, unknown>): Promise<unknown> => {
    const request: NewTopicRequest = {
      name: requiredString(body, 'name').trim(),
      partitions: optionalInteger(body, 'partitions'),
      replicationFactor: optionalInteger(body, 'replicationFactor'),
    }
    return reader.createTopic(request)
  }

  const produceRecord = (topic: string, body: Record<string, unknown>): Promise<unknown> => {
    const request: NewRecordRequest = {
      topic,
      value: requiredString(body, 'value'),
      key: optionalString(body, 'key'),
      partition: optionalInteger(body, 'partition'),
    }
    return reader.produce(request).then((landed) => ({topic, ...landed}))
  }

  const server = createServer((req, res) => {
    // DNS rebinding: a page elsewhere that points its own name at 127.0.0.1 sends its name as Host.
    if (allowedHosts.size > 0 && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      return sendJson(res, 421, {error: `kcl ui answers requests to ${[...allowedHosts][0]} only.`})
    }
    routes(req, res).catch((error: unknown) => {
      if (res.headersSent) res.end()
      else sendError(res, error)
    })
  })

  let port: number
  let portWasBusy = false
  try {
    port = await listen(server, host, options.port)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' && options.port !== 0) {
      port = await listen(server, host, 0)
      portWasBusy = true
    } else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw usageError(`kcl ui cannot listen on ${host}: no interface of this machine has that address.`, 'Leave out --host to use 127.0.0.1.')
    } else if (code === 'EACCES') {
      throw usageError(`kcl ui may not listen on port ${options.port} (ports below 1024 need root).`, 'Use --port 0 for a free port.')
    } else {
      throw error
    }
  }
  if (isLoopback(host)) allowedHosts = new Set([`${urlHost(host)}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])

  await watch.start()
  return {
    url: `http://${urlHost(host)}:${port}/`,
    host,
    port,
    portWasBusy,
    watch,
    async close() {
      for (const res of streams) res.end()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await Promise.all([closed, watch.stop()])
    },
  }
}
