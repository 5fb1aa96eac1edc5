/**
 * The live model behind `kcl ui`: two bounded polls shared by every open page. The fast one (Metadata and
 * DescribeQuorum, one request each, once a second) follows brokers, the controller and partition leaders; the
 * slow one (every 2 s) reads containers, offsets and consumer groups. Each answer becomes a new snapshot, compared
 * with the last into timeline events, and handed to the subscribers (the pages' event streams).
 */
import {setTimeout as sleep} from 'node:timers/promises'
import type {ClusterReader} from './gather.ts'
import {assembleSnapshot, type ClusterSnapshot, type GroupSnapshot, type LagPoint, type Observations} from './snapshot.ts'
import {Timeline, type TimelineEvent} from './timeline.ts'

export interface WatchOptions {
  fastIntervalMs?: number
  slowIntervalMs?: number
  /** How much lag history each group keeps for its chart. */
  lagHistoryMs?: number
}

export interface WatchUpdate {
  snapshot: ClusterSnapshot
  /** The events this update brought (often none). */
  events: TimelineEvent[]
}

/** Requests the polls made so far: the load an open `kcl ui` puts on the cluster, whatever the number of pages. */
export interface PollCounts {
  /** Milliseconds since the epoch when polling started. */
  since: number
  metadata: number
  quorum: number
  slowPolls: number
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export class ClusterWatch {
  private readonly reader: ClusterReader
  private readonly fastIntervalMs: number
  private readonly slowIntervalMs: number
  private readonly lagHistoryMs: number
  private readonly timeline = new Timeline()
  private readonly listeners = new Set<(update: WatchUpdate) => void>()
  private readonly lagHistory = new Map<string, LagPoint[]>()
  private readonly stopping = new AbortController()
  private loops: Promise<void>[] = []
  private current: ClusterSnapshot
  private lastJson = ''
  readonly counts: PollCounts = {since: Date.now(), metadata: 0, quorum: 0, slowPolls: 0}
  private readonly seen: Observations

  constructor(reader: ClusterReader, options: WatchOptions = {}) {
    this.reader = reader
    this.fastIntervalMs = options.fastIntervalMs ?? 1000
    this.slowIntervalMs = options.slowIntervalMs ?? 2000
    this.lagHistoryMs = options.lagHistoryMs ?? 10 * 60_000
    this.seen = {
      metadata: undefined,
      metadataError: 'not asked yet',
      quorum: undefined,
      quorumError: 'not asked yet',
      knownNodes: reader.knownNodes(),
      containers: undefined,
      offsets: new Map(),
      groups: [],
      groupsError: undefined,
    }
    this.current = this.assemble()
  }

  /** Starts polling; resolves once the first fast poll has answered (or failed), so the first page has data. */
  async start(): Promise<void> {
    const first = this.pollFast()
    this.loops = [this.repeat(this.fastIntervalMs, () => this.pollFast(), first), this.repeat(this.slowIntervalMs, () => this.pollSlow())]
    await first
  }

  snapshot(): ClusterSnapshot {
    return this.current
  }

  events(): TimelineEvent[] {
    return [...this.timeline.events]
  }

  /** Calls `listener` with every update from now on; returns the function that unsubscribes it. */
  subscribe(listener: (update: WatchUpdate) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    await Promise.all(this.loops)
    await this.reader.close()
  }

  /** Runs `poll`, then again `intervalMs` after the last one started (never two at once), until stopped. */
  private async repeat(intervalMs: number, poll: () => Promise<void>, first?: Promise<void>): Promise<void> {
    let started = performance.now()
    if (first) await first
    else await poll()
    while (!this.stopping.signal.aborted) {
      const wait = Math.max(0, started + intervalMs - performance.now())
      await sleep(wait, undefined, {signal: this.stopping.signal}).catch(() => {})
      if (this.stopping.signal.aborted) return
      started = performance.now()
      await poll()
    }
  }

  private async pollFast(): Promise<void> {
    this.counts.metadata++
    this.counts.quorum++
    const [metadata, quorum] = await Promise.allSettled([this.reader.metadata(), this.reader.quorum()])
    if (metadata.status === 'fulfilled') {
      this.seen.metadata = metadata.value
      this.seen.metadataError = undefined
      for (const b of metadata.value.brokers) if (!this.seen.knownNodes.has(b.nodeId)) this.seen.knownNodes.set(b.nodeId, `${b.host}:${b.port}`)
    } else {
      this.seen.metadataError = message(metadata.reason)
    }
    if (quorum.status === 'fulfilled') {
      this.seen.quorum = quorum.value
      this.seen.quorumError = undefined
    } else {
      this.seen.quorumError = message(quorum.reason)
    }
    this.publish()
  }

  private async pollSlow(): Promise<void> {
    this.counts.slowPolls++
    const topics = [...new Set((this.seen.metadata?.partitions ?? []).map((p) => p.topic))].filter((t) => !t.startsWith('__'))
    const [containers, offsets, groups] = await Promise.allSettled([
      this.reader.containers(),
      this.seen.metadataError === undefined ? this.reader.offsets(topics) : Promise.reject(new Error(this.seen.metadataError)),
      this.reader.groups(),
    ])
    if (containers.status === 'fulfilled') this.seen.containers = containers.value
    if (offsets.status === 'fulfilled') this.seen.offsets = offsets.value
    if (groups.status === 'fulfilled') {
      this.seen.groups = this.withLagHistory(groups.value)
      this.seen.groupsError = undefined
    } else {
      this.seen.groupsError = message(groups.reason)
    }
    this.publish()
  }

  private withLagHistory(groups: Omit<GroupSnapshot, 'lagHistory'>[]): GroupSnapshot[] {
    const now = Date.now()
    for (const id of this.lagHistory.keys()) if (!groups.some((g) => g.groupId === id)) this.lagHistory.delete(id)
    return groups.map((group) => {
      const history = (this.lagHistory.get(group.groupId) ?? []).filter((p) => p.at >= now - this.lagHistoryMs)
      history.push({at: now, lag: group.totalLag})
      this.lagHistory.set(group.groupId, history)
      return {...group, lagHistory: [...history]}
    })
  }

  private assemble(): ClusterSnapshot {
    return assembleSnapshot({cluster: this.reader.target.cluster?.name, bootstrapServers: this.reader.target.servers}, this.seen, Date.now())
  }

  /** A new snapshot to the subscribers, unless nothing but its time changed. */
  private publish(): void {
    if (this.stopping.signal.aborted) return
    const snapshot = this.assemble()
    const events = this.timeline.observe(snapshot)
    const json = JSON.stringify({...snapshot, at: 0})
    if (events.length === 0 && json === this.lastJson) return
    this.lastJson = json
    this.current = snapshot
    for (const listener of this.listeners) listener({snapshot, events})
  }
}
