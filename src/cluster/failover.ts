import {randomBytes} from 'node:crypto'
import {ExitCode, KclError} from '../errors.ts'
import type {ContainerInfo} from '../docker/containers.ts'
import type {KafkaClient} from '../kafka/client.ts'
import {withKafka} from '../kafka-client/index.ts'
import type {PartitionState} from '../kafka-client/index.ts'
import type {LeftState, StopSignal} from '../interrupt.ts'
import {poll, retryUntil} from '../poll.ts'
import type {ProgressTask} from '../progress.ts'
import {
  activeController,
  brokersLeft,
  clusterNodes,
  partitionStates,
  quorumAfterStop,
  requireRunning,
  runningIds,
  stopContainer,
  waitForNewController,
  waitUntilNotServing,
} from './brokers.ts'
import {clusterSecurity} from './secrets.ts'
import {hostServers, nameFlag, type ClusterSpec} from './spec.ts'

/** kcl's own topic for proving that the cluster takes writes; hidden from `kcl topic list` like every `__` topic. */
export const PROBE_TOPIC = '__kcl_probe'

export interface FailoverRequest {
  name: string
  /** The node to stop; the active controller when absent. */
  broker?: number
  /** docker kill (no controlled shutdown) instead of docker stop. */
  kill: boolean
}

export interface FailoverPlan {
  spec: ClusterSpec
  target: number
  /** The target's container, as Docker listed it when the plan was made. */
  container: ContainerInfo
  controllerBefore: number
  /** Running nodes other than the target: the ones that must take over. */
  survivors: number[]
  kill: boolean
}

export interface MovedLeader {
  topic: string
  partition: number
  from: number
  to: number
}

export interface ProbeRecord {
  partition: number
  offset: number
}

export interface FailoverResult {
  cluster: string
  stoppedBroker: number
  stop: 'clean' | 'kill'
  controllerBefore: number
  controllerAfter: number
  /** Milliseconds from issuing the stop until the container had exited. */
  exitedMs: number
  /** Milliseconds from issuing the stop until the broker no longer answered on its port (its clients must go elsewhere). */
  stoppedServingMs: number
  /** Milliseconds from issuing the stop until a new quorum leader was seen; null when the controller was not stopped. */
  electionMs: number | null
  /** Milliseconds from issuing the stop until every probe record was acknowledged (acks=all): the failover time. */
  probeAckedMs: number
  probe: {topic: string; value: string; records: ProbeRecord[]; readBack: boolean}
  movedLeaders: MovedLeader[]
  before: PartitionState[]
  after: PartitionState[]
}

/** Checks the request against the cluster before anything changes: every refusal is one line. */
export async function planFailover(request: FailoverRequest): Promise<FailoverPlan> {
  const cluster = await clusterNodes(request.name)
  const {spec} = cluster
  const running = runningIds(cluster.nodes)
  if (running.length === 0) {
    throw new KclError(`No broker of cluster "${spec.name}" is running.`, {hint: `\`kcl cluster restore${nameFlag(spec)}\` starts them.`, exitCode: ExitCode.notRunning})
  }
  if (request.broker !== undefined) requireRunning(cluster, request.broker)
  if (spec.brokers === 1) checkFailover(spec, running, 1)
  const controllerBefore = await activeController(spec, running)
  if (controllerBefore === undefined) {
    throw new KclError(`Cluster "${spec.name}" has no active controller right now, so there is nothing to fail over from.`, {
      hint: `\`kcl status${nameFlag(spec)}\` shows the brokers; \`kcl cluster restore${nameFlag(spec)}\` starts stopped ones.`,
    })
  }
  const target = request.broker ?? controllerBefore
  const container = requireRunning(cluster, target)
  checkFailover(spec, running, target)
  return {spec, target, container, controllerBefore, survivors: running.filter((id) => id !== target), kill: request.kill}
}

/** Refuses, in one line, a failover nothing could take over from: a single node, or a quorum left without a majority. */
export function checkFailover(spec: ClusterSpec, running: number[], target: number): void {
  if (spec.brokers === 1) {
    throw new KclError(
      `Cluster "${spec.name}" has a single broker, which is also its only controller: with it stopped there is no other node to take over its partitions or the controller role, so every client would simply stop.`,
      {hint: 'Fail over on a cluster of three: `kcl up --brokers 3 --name ha --port 19092`, then `kcl cluster failover --name ha`.', exitCode: ExitCode.usage},
    )
  }
  const quorum = quorumAfterStop(spec, running, target)
  if (quorum.majority) return
  if (quorum.voters.length === 1) {
    throw new KclError(
      `Cluster "${spec.name}" has one controller (node ${quorum.voters[0]}): stopped, no other node could take over the controller role.`,
      {hint: 'Clusters of 3 or more brokers have a quorum of three controllers: `kcl up --brokers 3 --name ha --port 19092`.', exitCode: ExitCode.usage},
    )
  }
  const down = quorum.voters.filter((id) => !running.includes(id))
  throw new KclError(
    `Stopping broker ${target} would leave ${quorum.left.length} of the ${quorum.voters.length} controllers (${quorum.voters.join(', ')}) running${down.length > 0 ? ` (${down.join(', ')} already stopped)` : ''}: without a majority no controller can be elected.`,
    {hint: `Bring the stopped brokers back first: \`kcl cluster restore${nameFlag(spec)}\`.`, exitCode: ExitCode.usage},
  )
}

const ELECTION_TIMEOUT_MS = 60_000
const PROBE_TIMEOUT_MS = 60_000
const SETTLE_TIMEOUT_MS = 30_000
/** Leaders move within a heartbeat or two (0.2 s in kcl's templates): retry often so as not to add to the failover time. */
const PROBE_RETRY_MS = 100

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`

export async function failoverSteps(plan: FailoverPlan): Promise<{steps: ProgressTask[]; result: () => FailoverResult; interrupted: (signal: StopSignal) => Promise<LeftState>}> {
  const failover = failoverState(plan)
  const steps = [recordStep(failover), stopStep(failover), probeStep(failover), compareStep(failover)]
  const interrupted = (signal: StopSignal) => brokersLeft(plan.spec, signal, `the failover of broker ${plan.target}`, failover.t0 > 0 ? [plan.target] : [])
  return {steps, result: () => failoverResult(failover), interrupted}
}

/** What the failover's steps share: the plan, and the times and states they measure as they run. */
interface FailoverState {
  plan: FailoverPlan
  wasController: boolean
  probeValue: string
  before: PartitionState[]
  after: PartitionState[]
  /** The container's exit, once the stop was asked for. */
  exited: Promise<void>
  /** The partitions once they no longer count the stopped broker, asked for after the probe. */
  settled: Promise<PartitionState[]>
  exitedMs: number | undefined
  stoppedServingMs: number | undefined
  electionMs: number | null
  controllerAfter: number
  probeAckedMs: number
  records: ProbeRecord[]
  readBack: boolean
  /** When the stop was asked for (performance.now()); 0 before. */
  t0: number
}

function failoverState(plan: FailoverPlan): FailoverState {
  return {
    plan,
    wasController: plan.target === plan.controllerBefore,
    probeValue: `kcl failover probe ${new Date().toISOString()} ${randomBytes(4).toString('hex')}`,
    before: [],
    after: [],
    exited: Promise.resolve(),
    settled: Promise.resolve([]),
    exitedMs: undefined,
    stoppedServingMs: undefined,
    electionMs: null,
    controllerAfter: plan.controllerBefore,
    probeAckedMs: 0,
    records: [],
    readBack: false,
    t0: 0,
  }
}

function recordStep(failover: FailoverState): ProgressTask {
  const {spec, target, survivors, controllerBefore} = failover.plan
  return {
    title: `Record partition leaders and ISRs (active controller: node ${controllerBefore})`,
    run: async (retitle) => {
      const all = [...survivors, target]
      const deadline = performance.now() + PROBE_TIMEOUT_MS
      await withKafka(hostServers(spec, all), (client) => ensureProbeTopic(client, spec.brokers, deadline), {clientId: 'kcl-failover', security: await clusterSecurity(spec)})
      failover.before = await retryUntil(deadline, () => partitionStates(spec, all))
      retitle(`Recorded ${failover.before.length} partitions; node ${controllerBefore} is the active controller`)
    },
  }
}

function stopStep(failover: FailoverState): ProgressTask {
  const {plan, wasController} = failover
  const {spec, target, survivors} = plan
  return {
    title: `Stop broker ${target}${wasController ? ' (the active controller)' : ''} with docker ${plan.kill ? 'kill' : 'stop'}, wait for ${wasController ? 'a new controller' : 'it to stop serving'}`,
    run: async (retitle) => {
      const t0 = (failover.t0 = performance.now())
      failover.exited = stopContainer(plan.container, plan.kill).then(() => {
        failover.exitedMs = performance.now() - t0
      })
      failover.exited.catch(() => {})
      const gone = waitUntilNotServing(spec, target, t0 + ELECTION_TIMEOUT_MS).then((at) => {
        failover.stoppedServingMs = at - t0
      })
      const election = wasController
        ? waitForNewController(spec, survivors, target, t0 + ELECTION_TIMEOUT_MS).then(({controller, seenAt}) => {
            failover.controllerAfter = controller
            failover.electionMs = seenAt - t0
          })
        : Promise.resolve()
      // The election can finish, and the broker stop serving, well before Docker reports the container gone.
      await Promise.all([Promise.race([failover.exited, gone]), election])
      retitle(
        wasController
          ? `Broker ${target} stopped serving; node ${failover.controllerAfter} became the active controller ${seconds(failover.electionMs ?? 0)} after the stop`
          : `Broker ${target} stopped serving ${seconds(failover.stoppedServingMs ?? failover.exitedMs ?? 0)} after the stop; node ${failover.controllerAfter} stays the active controller`,
      )
    },
  }
}

function probeStep(failover: FailoverState): ProgressTask {
  const {spec, target, survivors} = failover.plan
  return {
    title: `Produce a probe with acks=all to every partition of ${PROBE_TOPIC}`,
    run: async (retitle) => {
      await withKafka(hostServers(spec, survivors), async (client) => {
        failover.records = await sendProbes(client, spec.brokers, failover.probeValue, failover.t0 + PROBE_TIMEOUT_MS)
        failover.probeAckedMs = performance.now() - failover.t0
        // The partitions settle (and the container exits) while the probe is read back.
        failover.settled = failover.exited.then(() => settledPartitions(spec, survivors, target, performance.now() + SETTLE_TIMEOUT_MS))
        failover.settled.catch(() => {})
        retitle(`Probe acknowledged on all ${failover.records.length} partitions of ${PROBE_TOPIC}, ${seconds(failover.probeAckedMs)} after the stop`)
        const deadline = performance.now() + PROBE_TIMEOUT_MS
        await retryUntil(deadline, () => readProbes(client, failover.records, failover.probeValue, deadline))
        failover.readBack = true
      }, {clientId: 'kcl-failover', security: await clusterSecurity(spec)})
      retitle(`Probe acknowledged on all ${failover.records.length} partitions of ${PROBE_TOPIC} ${seconds(failover.probeAckedMs)} after the stop, and read back`)
    },
  }
}

function compareStep(failover: FailoverState): ProgressTask {
  return {
    title: 'Compare partition leaders and ISRs',
    run: async (retitle) => {
      failover.after = await failover.settled
      const moved = movedLeaders(failover.before, failover.after).length
      retitle(`${moved} partition leader${moved === 1 ? '' : 's'} moved off broker ${failover.plan.target}`)
    },
  }
}

function failoverResult(failover: FailoverState): FailoverResult {
  const {plan, before, after} = failover
  return {
    cluster: plan.spec.name,
    stoppedBroker: plan.target,
    stop: plan.kill ? 'kill' : 'clean',
    controllerBefore: plan.controllerBefore,
    controllerAfter: failover.controllerAfter,
    exitedMs: Math.round(failover.exitedMs ?? 0),
    stoppedServingMs: Math.round(failover.stoppedServingMs ?? failover.exitedMs ?? 0),
    electionMs: failover.electionMs === null ? null : Math.round(failover.electionMs),
    probeAckedMs: Math.round(failover.probeAckedMs),
    probe: {topic: PROBE_TOPIC, value: failover.probeValue, records: failover.records, readBack: failover.readBack},
    movedLeaders: movedLeaders(before, after),
    before,
    after,
  }
}

/** The probe topic: one partition per broker, so that some partition surely had its leader on the stopped broker. */
export async function ensureProbeTopic(client: KafkaClient, brokers: number, deadline: number): Promise<void> {
  const replicationFactor = Math.min(3, brokers)
  const minInsync = Math.max(1, Math.min(2, replicationFactor - 1))
  await client.createTopic({
    name: PROBE_TOPIC,
    partitions: brokers,
    replicationFactor,
    configs: {'min.insync.replicas': String(minInsync), 'retention.ms': String(24 * 3600 * 1000)},
  })
  // A new topic reaches every broker's metadata a moment after the controller created it.
  await retryUntil(deadline, async () => {
    const [topic] = await client.topicMetadata([PROBE_TOPIC])
    if (!topic || topic.partitions.length !== brokers || topic.partitions.some((p) => p.leader < 0)) throw new Error(`${PROBE_TOPIC} has no leaders yet`)
  })
}

/** Sends one record to every partition with acks=all, retrying (fresh producer) while leaders move, until the deadline. */
export async function sendProbes(client: KafkaClient, partitions: number, value: string, deadline: number): Promise<ProbeRecord[]> {
  let failure: unknown
  return poll(
    async () => {
      const producer = await client.producer({acks: 'all', compression: 'none'})
      try {
        const batches = await producer.send(
          PROBE_TOPIC,
          Array.from({length: partitions}, (_, partition) => ({key: null, value: Buffer.from(value), headers: [], partition})),
        )
        return batches.map((b) => ({partition: b.partition, offset: b.baseOffset})).sort((a, b) => a.partition - b.partition)
      } catch (error) {
        failure = error
        return undefined
      } finally {
        await producer.close()
      }
    },
    {
      deadline,
      intervalMs: PROBE_RETRY_MS,
      onTimeout: () => {
        throw new KclError(`The cluster did not accept a write with acks=all after the failover: ${(failure as Error).message}`, {
          hint: 'Too few replicas may be in sync (min.insync.replicas); `kcl status` and `kcl topic describe` show them.',
        })
      },
    },
  )
}

/** Reads the probe records back at the offsets the producer got, as any consumer would. */
export async function readProbes(client: KafkaClient, records: ProbeRecord[], value: string, deadline: number): Promise<void> {
  const waiting = new Set(records.map((r) => r.partition))
  let done: () => void = () => {}
  const allRead = new Promise<void>((resolve) => {
    done = resolve
  })
  const session = await client.consume({
    topic: PROBE_TOPIC,
    partitions: records.map((r) => r.partition),
    fromBeginning: false,
    startOffsets: new Map(records.map((r) => [r.partition, r.offset])),
    onAssignment: () => {},
    onRecords: async (batch) => {
      for (const record of batch) {
        const expected = records.find((r) => r.partition === record.partition)
        if (expected && record.offset === expected.offset && record.value?.toString() === value) waiting.delete(record.partition)
      }
      if (waiting.size === 0) done()
      return batch.length
    },
  })
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - performance.now()))
    })
    const outcome = await Promise.race([allRead.then(() => 'read' as const), session.finished.then(() => 'ended' as const), timeout])
    if (outcome !== 'read') {
      throw new KclError(`The probe was acknowledged but could not be read back from partition(s) ${[...waiting].join(', ')} of ${PROBE_TOPIC}.`, {
        hint: '`kcl consume __kcl_probe --exit-at-end` shows what the topic holds.',
      })
    }
  } finally {
    clearTimeout(timer)
    await session.stop()
  }
}

/**
 * Partition states once the cluster has caught up with the stop: no partition led by the stopped broker or
 * counting it in its ISR (after a kill that takes the broker session timeout). Returns the last answer at the deadline.
 */
async function settledPartitions(spec: ClusterSpec, survivors: number[], stopped: number, deadline: number): Promise<PartitionState[]> {
  let partitions: PartitionState[] = []
  return poll(
    async () => {
      partitions = await retryUntil(deadline, () => partitionStates(spec, survivors))
      return partitions.every((p) => p.leader !== stopped && !p.isr.includes(stopped)) ? partitions : undefined
    },
    {deadline, intervalMs: PROBE_RETRY_MS, onTimeout: () => partitions},
  )
}

export function movedLeaders(before: PartitionState[], after: PartitionState[]): MovedLeader[] {
  return before.flatMap((b) => {
    const a = after.find((x) => x.topic === b.topic && x.partition === b.partition)
    return a && a.leader !== b.leader ? [{topic: b.topic, partition: b.partition, from: b.leader, to: a.leader}] : []
  })
}
