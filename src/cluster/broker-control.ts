import type {ContainerInfo} from '../docker/containers.ts'
import type {LeftState, StopSignal} from '../interrupt.ts'
import type {ProgressTask} from '../progress.ts'
import {
  activeController,
  brokersLeft,
  clusterNodes,
  quorumAfterStop,
  requireNode,
  requireRunning,
  runningIds,
  startContainer,
  stopContainer,
  waitForNewController,
  waitRegistered,
} from './brokers.ts'
import type {ClusterSpec} from './spec.ts'
import {usageError} from '../errors.ts'

export type BrokerAction = 'stop' | 'start' | 'restart'

export interface BrokerRequest {
  name: string
  nodeId: number
  action: BrokerAction
  kill: boolean
}

export interface BrokerPlan {
  spec: ClusterSpec
  nodeId: number
  action: BrokerAction
  kill: boolean
  container: ContainerInfo
  /** start on a running broker: nothing to do. */
  alreadyRunning: boolean
  controllerBefore: number | undefined
  /** Running nodes other than this one. */
  others: number[]
  /** false when stopping this broker leaves the controller quorum without a majority. */
  quorumKept: boolean
}

export interface BrokerResult {
  cluster: string
  nodeId: number
  action: BrokerAction
  alreadyRunning: boolean
  /** How the broker was stopped (stop and restart only). */
  stop: 'clean' | 'kill' | null
  wasController: boolean
  activeController: number | undefined
  /** The stop left the controller quorum without a majority: no controller until a controller node is back. */
  quorumLost: boolean
  seconds: number
}

const TIMEOUT_MS = 120_000

/** A broker id as typed: its node id, a whole number from 1 (anything else one line, not oclif's parse error). */
export function brokerId(text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw usageError(`"${text}" is not a broker id: give its node id, a whole number from 1.`, '`kcl status` lists the brokers.')
  return Number(text)
}

export async function planBrokerAction(request: BrokerRequest): Promise<BrokerPlan> {
  const cluster = await clusterNodes(request.name)
  const running = runningIds(cluster.nodes)
  const node = requireNode(cluster, request.nodeId)
  const container = request.action === 'start' ? node.container : requireRunning(cluster, request.nodeId)
  if (!container) requireRunning(cluster, request.nodeId) // no container: explains it
  const others = running.filter((id) => id !== request.nodeId)
  return {
    spec: cluster.spec,
    nodeId: request.nodeId,
    action: request.action,
    kill: request.kill,
    container: container!,
    alreadyRunning: request.action === 'start' && node.running,
    controllerBefore: running.length > 0 ? await activeController(cluster.spec, running) : undefined,
    others,
    quorumKept: request.action === 'start' || quorumAfterStop(cluster.spec, running, request.nodeId).majority,
  }
}

export function brokerSteps(plan: BrokerPlan): {steps: ProgressTask[]; result: () => BrokerResult; interrupted: (signal: StopSignal) => Promise<LeftState>} {
  const {spec, nodeId} = plan
  const wasController = plan.action !== 'start' && plan.controllerBefore === nodeId
  let controller = plan.controllerBefore
  let t0 = 0
  let elapsedMs = 0
  /** Docker was told to stop the broker and has not said it did. */
  let stopping = false
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`

  const stop: ProgressTask = {
    title: `Stop broker ${nodeId}${wasController ? ' (the active controller)' : ''} with docker ${plan.kill ? 'kill' : 'stop'}`,
    run: async (retitle) => {
      t0 = performance.now()
      stopping = true
      await stopContainer(plan.container, plan.kill)
      stopping = false
      if (wasController && plan.quorumKept) {
        controller = (await waitForNewController(spec, plan.others, nodeId, t0 + TIMEOUT_MS)).controller
        retitle(`Broker ${nodeId} stopped; node ${controller} took over as active controller, ${elapsed()} after the stop`)
      } else {
        controller = plan.quorumKept ? await activeController(spec, plan.others) : undefined
        retitle(`Broker ${nodeId} stopped in ${elapsed()}`)
      }
      elapsedMs = performance.now() - t0
    },
  }
  const start: ProgressTask = {
    title: `Start broker ${nodeId}`,
    run: async (retitle) => {
      if (plan.action === 'start') t0 = performance.now()
      await startContainer(plan.container)
      await waitRegistered(spec, [nodeId], performance.now() + TIMEOUT_MS)
      controller = await activeController(spec, [nodeId, ...plan.others])
      elapsedMs = performance.now() - t0
      retitle(`Broker ${nodeId} started and registered, ${elapsed()} after the ${plan.action === 'start' ? 'start' : 'stop'}`)
    },
  }
  const steps = plan.alreadyRunning ? [] : plan.action === 'stop' ? [stop] : plan.action === 'start' ? [start] : [stop, start]
  const result = (): BrokerResult => ({
    cluster: spec.name,
    nodeId,
    action: plan.action,
    alreadyRunning: plan.alreadyRunning,
    stop: plan.action === 'start' ? null : plan.kill ? 'kill' : 'clean',
    wasController,
    activeController: controller,
    quorumLost: !plan.quorumKept,
    seconds: Math.round(elapsedMs) / 1000,
  })
  const interrupted = (signal: StopSignal) => brokersLeft(spec, signal, `broker ${plan.action} ${nodeId}`, stopping ? [nodeId] : [])
  return {steps, result, interrupted}
}
