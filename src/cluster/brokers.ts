import {clusterContainers, type ContainerInfo} from '../docker/containers.ts'
import {docker} from '../docker/run.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {brokerMetadata, describeQuorum, firstAnswer, topicPartitions, type PartitionState} from '../kafka-client/index.ts'
import {interruptedBy, shielded, type LeftState, type StopSignal} from '../interrupt.ts'
import {poll} from '../poll.ts'
import {requireSpec} from './resolve.ts'
import {clusterSecurity} from './secrets.ts'
import {brokerAddress, controllerIds, nameFlag, nodeIds, type ClusterSpec} from './spec.ts'

/** One Kafka node of a kcl cluster as Docker sees it. */
export interface BrokerNode {
  nodeId: number
  /** undefined when the node has no container (the cluster was taken down). */
  container: ContainerInfo | undefined
  running: boolean
}

export interface ClusterNodes {
  spec: ClusterSpec
  nodes: BrokerNode[]
}

/** Every node of the cluster with its container; fails with one line when the cluster has no containers at all. */
export async function clusterNodes(name: string): Promise<ClusterNodes> {
  const spec = await requireSpec(name)
  const containers = await clusterContainers(spec.name)
  if (containers.length === 0) {
    throw new KclError(`Kafka cluster "${spec.name}" has no containers: it is not up.`, {
      hint: `Start it with \`kcl up${nameFlag(spec)}\`.`,
      exitCode: ExitCode.notRunning,
    })
  }
  const nodes = nodeIds(spec).map((nodeId): BrokerNode => {
    const container = containers.find((c) => c.nodeId === nodeId)
    return {nodeId, container, running: container?.state === 'running'}
  })
  return {spec, nodes}
}

/**
 * What a broker command stopped by a signal leaves: which brokers run, and the command that brings the others back.
 * `stopping`: brokers it had told Docker to stop (Docker finishes that on its own).
 */
export async function brokersLeft(spec: ClusterSpec, signal: StopSignal, doing: string, stopping: number[] = []): Promise<LeftState> {
  const ids = nodeIds(spec)
  // A stop kcl asked for is seen through (see stopContainer): wait for it, as long as Docker may take, to say what is.
  const containers = await poll(
    async () => {
      const now = await clusterContainers(spec.name)
      return stopping.some((id) => now.find((c) => c.nodeId === id)?.state === 'running') ? undefined : now
    },
    {deadline: performance.now() + STOP_TIMEOUT_MS, intervalMs: 250, onTimeout: () => clusterContainers(spec.name)},
  )
  const running = ids.filter((id) => containers.find((c) => c.nodeId === id)?.state === 'running')
  const stopped = ids.filter((id) => !running.includes(id))
  const beingStopped = stopping.filter((id) => running.includes(id))
  const plural = (list: number[]) => `broker${list.length === 1 ? '' : 's'} ${list.join(', ')}`
  const notes = [...(stopped.length > 0 ? [`${plural(stopped)} stopped`] : []), ...(beingStopped.length > 0 ? [`${plural(beingStopped)} stopping`] : [])]
  const message = `${interruptedBy(signal)} during ${doing}: ${running.length} of ${ids.length} broker(s) of cluster "${spec.name}" running${notes.length > 0 ? ` (${notes.join('; ')})` : ''}.`
  return stopped.length + beingStopped.length > 0
    ? {message, hint: `\`kcl cluster restore${nameFlag(spec)}\` starts the stopped brokers and waits until every partition is in sync.`}
    : {message, hint: `Nothing is stopped; \`kcl status${nameFlag(spec)}\` shows the cluster.`}
}

export function runningIds(nodes: BrokerNode[]): number[] {
  return nodes.filter((n) => n.running).map((n) => n.nodeId)
}

/** The node a command names, checked against the cluster: unknown ids are a usage error. */
export function requireNode(cluster: ClusterNodes, nodeId: number): BrokerNode {
  const node = cluster.nodes.find((n) => n.nodeId === nodeId)
  if (!node) {
    const ids = nodeIds(cluster.spec)
    const range = ids.length === 1 ? 'its only broker is 1' : `its brokers are ${ids[0]} to ${ids.at(-1)}`
    throw usageError(`Kafka cluster "${cluster.spec.name}" has no broker ${nodeId}: ${range}.`, '`kcl status` lists the brokers.')
  }
  return node
}

export function requireRunning(cluster: ClusterNodes, nodeId: number): ContainerInfo {
  const node = requireNode(cluster, nodeId)
  if (!node.running || !node.container) {
    throw usageError(
      `Broker ${nodeId} of cluster "${cluster.spec.name}" is not running (${node.container?.state ?? 'no container'}).`,
      `\`kcl broker start ${nodeId}${nameFlag(cluster.spec)}\` or \`kcl cluster restore${nameFlag(cluster.spec)}\` starts it again.`,
    )
  }
  return node.container
}

/**
 * Whether the KRaft controller quorum keeps a majority of its voters when `stopping` goes down as well as
 * every node that is already stopped: without a majority no controller can be elected, and the cluster
 * can no longer change leaders, ISRs or topics.
 */
export function quorumAfterStop(spec: ClusterSpec, running: number[], stopping: number): {voters: number[]; left: number[]; majority: boolean} {
  const voters = controllerIds(spec)
  const left = voters.filter((id) => running.includes(id) && id !== stopping)
  return {voters, left, majority: left.length > voters.length / 2}
}

const QUORUM_PROBE_TIMEOUT_MS = 1000

/**
 * The active controller (the metadata quorum leader) as the first of the given brokers to name one sees it (other
 * than `unlike`, when given); undefined during an election. The brokers are asked at once: a broker forwards the
 * question to the controller it knows, and after a kill that channel waits out its connection timeout while
 * another broker already knows the new one.
 */
export async function activeController(spec: ClusterSpec, ids: number[], unlike?: number): Promise<number | undefined> {
  const security = await clusterSecurity(spec)
  return Promise.any(
    ids.map(async (id) => {
      const {leaderId} = await describeQuorum(brokerAddress(spec, id), QUORUM_PROBE_TIMEOUT_MS, security)
      if (leaderId < 0 || leaderId === unlike) throw new Error(`broker ${id} names no new controller`)
      return leaderId
    }),
  ).catch(() => undefined)
}

const POLL_MS = 50

/** Polls the quorum until it has a leader other than `previous`; resolves with it and when it was first seen. */
export async function waitForNewController(spec: ClusterSpec, ids: number[], previous: number | undefined, deadline: number): Promise<{controller: number; seenAt: number}> {
  let controller: number | undefined
  return poll(
    async () => {
      controller = await activeController(spec, ids, previous)
      return controller !== undefined ? {controller, seenAt: performance.now()} : undefined
    },
    {
      deadline,
      intervalMs: POLL_MS,
      onTimeout: () => {
        throw new KclError(`No new active controller was elected within the time allowed (the quorum leader is ${controller ?? 'unknown'}).`, {
          hint: '`kcl status` shows the brokers; `kcl cluster restore` starts the stopped ones.',
        })
      },
    },
  )
}

/** Resolves with the time a broker first failed to answer a Metadata request: it no longer serves clients. */
export async function waitUntilNotServing(spec: ClusterSpec, nodeId: number, deadline: number): Promise<number> {
  const security = await clusterSecurity(spec)
  return poll(
    async () => {
      const serving = await brokerMetadata(brokerAddress(spec, nodeId), QUORUM_PROBE_TIMEOUT_MS, security).then(
        () => true,
        () => false,
      )
      return serving ? undefined : performance.now()
    },
    {
      deadline,
      intervalMs: POLL_MS,
      onTimeout: () => {
        throw new KclError(`Broker ${nodeId} still answers clients; it did not stop in time.`)
      },
    },
  )
}

const STOP_TIMEOUT_MS = 90_000

/** Stops a broker's container: `docker stop` lets Kafka shut down cleanly (SIGTERM), `docker kill` does not. */
export async function stopContainer(container: ContainerInfo, kill: boolean): Promise<void> {
  // Kafka's controlled shutdown moves leadership away first; give it time rather than Docker's 10 s. A stop once
  // asked for is seen through, even when the command is interrupted: what is left is then a stopped broker, not a guess.
  await shielded(() => docker(kill ? ['kill', container.id] : ['stop', '--time', '60', container.id], {timeoutMs: STOP_TIMEOUT_MS}))
}

export async function startContainer(container: ContainerInfo): Promise<void> {
  await docker(['start', container.id], {timeoutMs: 60_000})
}

/**
 * Waits until each of `ids` answers on its own port and lists itself as registered. (Another broker's view is
 * not enough: a killed broker stays listed there until its session times out.)
 */
export async function waitRegistered(spec: ClusterSpec, ids: number[], deadline: number, onProgress?: (missing: number[]) => void): Promise<void> {
  const security = await clusterSecurity(spec)
  let missing: number[] = ids
  await poll(
    async () => {
      const answers = await Promise.all(
        ids.map((id) =>
          brokerMetadata(brokerAddress(spec, id), QUORUM_PROBE_TIMEOUT_MS, security).then(
            (m) => m.brokers.some((b) => b.nodeId === id),
            () => false,
          ),
        ),
      )
      missing = ids.filter((_, i) => !answers[i])
      if (missing.length === 0) return true
      onProgress?.(missing)
      return undefined
    },
    {
      deadline,
      intervalMs: 500,
      onTimeout: () => {
        throw new KclError(`Broker${missing.length === 1 ? '' : 's'} ${missing.join(', ')} did not register with the controller in time.`, {
          hint: `\`kcl doctor${nameFlag(spec)}\` looks for the reason.`,
        })
      },
    },
  )
}

/** Every partition of every topic (internal ones included) as the running brokers report it. */
export async function partitionStates(spec: ClusterSpec, running: number[]): Promise<PartitionState[]> {
  const security = await clusterSecurity(spec)
  return normalized(await firstAnswer(running.map((id) => brokerAddress(spec, id)), (broker) => topicPartitions(broker, 5000, security)))
}

function normalized(partitions: PartitionState[]): PartitionState[] {
  const ascending = (ids: number[]) => [...ids].sort((a, b) => a - b)
  return partitions
    .map((p) => ({...p, replicas: ascending(p.replicas), isr: ascending(p.isr)}))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
}

export function outOfSync(partitions: PartitionState[]): PartitionState[] {
  return partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length)
}

/**
 * Waits until every partition has a leader and all its replicas in the ISR, as every running broker reports it:
 * each answers from its own copy of the metadata, and a broker that just started catches up a moment after the
 * others, while clients bootstrapping from it would still see the partitions behind.
 */
export async function waitInSync(spec: ClusterSpec, running: number[], deadline: number, onProgress?: (behind: number, total: number) => void): Promise<PartitionState[]> {
  const security = await clusterSecurity(spec)
  let behind: PartitionState[] | undefined
  return poll(
    async () => {
      const views = await Promise.all(running.map((id) => topicPartitions(brokerAddress(spec, id), 5000, security).then(normalized))).catch((): PartitionState[][] | undefined => undefined)
      behind = views?.map(outOfSync).reduce((most, list) => (list.length > most.length ? list : most))
      if (views && behind?.length === 0) return views[0]!
      if (views && behind) onProgress?.(behind.length, views[0]!.length)
      return undefined
    },
    {
      deadline,
      intervalMs: 500,
      onTimeout: () => {
        const list = (behind ?? []).slice(0, 5).map((p) => `${p.topic}[${p.partition}] ISR ${p.isr.join(',') || 'none'} of ${p.replicas.join(',')}`)
        throw new KclError(
          behind ? `${behind.length} partition(s) are still not fully in sync: ${list.join('; ')}${behind.length > 5 ? '; …' : ''}.` : 'The cluster did not answer a metadata request in time.',
          {hint: `Give it longer with --timeout, or look at \`kcl status${nameFlag(spec)}\`.`},
        )
      },
    },
  )
}
