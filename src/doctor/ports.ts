import {runProcess} from '../docker/process.ts'
import {readdir, readFile, readlink} from 'node:fs/promises'
import {createServer} from 'node:net'

export type PortState = 'free' | 'taken'

/** Whether kcl (Docker) could bind the port on this address now; an address this machine lacks counts as free. */
export function probePort(host: string, port: number): Promise<PortState> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? 'taken' : 'free'))
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve('free')))
  })
}

/**
 * Whether a port is free for a broker: Docker binds 127.0.0.1 (0.0.0.0 with --expose), and clients resolving
 * localhost may try ::1 first, where a foreign listener would answer in the broker's place.
 */
export async function portState(port: number, expose: boolean): Promise<PortState> {
  const states = await Promise.all([probePort(expose ? '0.0.0.0' : '127.0.0.1', port), probePort('::1', port)])
  return states.includes('taken') ? 'taken' : 'free'
}

export interface ListeningSocket {
  port: number
  inode: string
}

/** The listening TCP sockets in /proc/net/tcp or tcp6 (state 0A is LISTEN). */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = []
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 10 || fields[3] !== '0A') continue
    const port = Number.parseInt(fields[1]?.split(':').at(-1) ?? '', 16)
    if (Number.isInteger(port)) sockets.push({port, inode: fields[9] as string})
  }
  return sockets
}

export interface PortOwner {
  pid: number
  command: string
}

/** Who listens on a port, as far as this user may see: /proc on Linux, lsof elsewhere. Empty when unknown. */
export async function portOwners(port: number, platform: NodeJS.Platform = process.platform): Promise<PortOwner[]> {
  try {
    return platform === 'linux' ? await procPortOwners(port) : await lsofPortOwners(port)
  } catch {
    return []
  }
}

async function procPortOwners(port: number): Promise<PortOwner[]> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => '')))
  const inodes = new Set(tables.flatMap(parseProcNetTcp).filter((s) => s.port === port && s.inode !== '0').map((s) => `socket:[${s.inode}]`))
  if (inodes.size === 0) return []
  const owners: PortOwner[] = []
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
      for (const fd of fds) {
        const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
        if (inodes.has(target)) {
          const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ')
          owners.push({pid: Number(pid), command: command || (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim()})
          return
        }
      }
    }),
  )
  return owners.sort((a, b) => a.pid - b.pid)
}

async function lsofPortOwners(port: number): Promise<PortOwner[]> {
  const result = await runProcess('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], {reject: false, timeout: 5000})
  const owners: PortOwner[] = []
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith('p')) owners.push({pid: Number(line.slice(1)), command: ''})
    else if (line.startsWith('c') && owners.length > 0) (owners.at(-1) as PortOwner).command = line.slice(1)
  }
  return owners
}

/** The first base port, trying well-known alternatives and then steps of 100, where all `count` ports are free. */
export async function suggestBasePort(count: number, expose: boolean, avoid: Set<number>, start = 19092): Promise<number | undefined> {
  const candidates = [start, 29092, 39092, 49092]
  for (let base = 10092; base + count <= 60000; base += 100) if (!candidates.includes(base)) candidates.push(base)
  for (const base of candidates) {
    const ports = Array.from({length: count}, (_, index) => base + index)
    if (ports.some((port) => avoid.has(port))) continue
    const states = await Promise.all(ports.map((port) => portState(port, expose)))
    if (states.every((state) => state === 'free')) return base
  }
  return undefined
}

/** A short description of who holds a port, for the report: a container, a process, or "another program". */
export function describeOwner(port: number, owners: PortOwner[], container: string | undefined): string {
  if (container) return `container ${container}`
  const named = owners.filter((owner) => owner.command)
  if (named.length === 0) return 'another program (run as root, or lsof -i :' + port + ', to see which)'
  return named.map((owner) => `${shortCommand(owner.command)} (pid ${owner.pid})`).join(', ')
}

function shortCommand(command: string): string {
  return command.length > 60 ? command.slice(0, 57) + '…' : command
}
