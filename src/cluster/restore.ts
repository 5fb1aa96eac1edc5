import {KclError} from '../errors.ts'
import type {ProgressTask} from '../progress.ts'
import type {LeftState, StopSignal} from '../interrupt.ts'
import {activeController, brokersLeft, clusterNodes, startContainer, waitInSync, waitRegistered, type BrokerNode} from './brokers.ts'
import {nameFlag, nodeIds, type ClusterSpec} from './spec.ts'

export const DEFAULT_RESTORE_TIMEOUT_SECONDS = 120

export interface RestorePlan {
  spec: ClusterSpec
  /** Nodes whose containers exist but do not run. */
  stopped: BrokerNode[]
  timeoutSeconds: number
}

export interface RestoreResult {
  cluster: string
  /** The brokers that were started; empty when all were running. */
  started: number[]
  activeController: number | undefined
  partitions: number
  /** From the first start until every partition was fully in sync again. */
  seconds: number
}

export async function planRestore(name: string, timeoutSeconds = DEFAULT_RESTORE_TIMEOUT_SECONDS): Promise<RestorePlan> {
  const cluster = await clusterNodes(name)
  const missing = cluster.nodes.filter((n) => !n.container)
  if (missing.length > 0) {
    throw new KclError(`Broker${missing.length === 1 ? '' : 's'} ${missing.map((n) => n.nodeId).join(', ')} of cluster "${cluster.spec.name}" ha${missing.length === 1 ? 's' : 've'} no container.`, {
      hint: `\`kcl up${nameFlag(cluster.spec)}\` creates the cluster's containers again (the data is kept in its volumes).`,
    })
  }
  return {spec: cluster.spec, stopped: cluster.nodes.filter((n) => !n.running), timeoutSeconds}
}

/** Starts every stopped broker and waits until each is registered and back in every ISR. */
export function restoreSteps(plan: RestorePlan): {steps: ProgressTask[]; result: () => RestoreResult; interrupted: (signal: StopSignal) => Promise<LeftState>} {
  const {spec, stopped} = plan
  const ids = stopped.map((n) => n.nodeId)
  const all = nodeIds(spec)
  let t0 = 0
  let deadline = 0
  let partitions = 0
  let controller: number | undefined
  let elapsedMs = 0
  const list = ids.join(', ')
  const startSteps: ProgressTask[] =
    ids.length === 0
      ? []
      : [
          {
            title: `Start broker${ids.length === 1 ? '' : 's'} ${list}`,
            run: async (retitle) => {
              t0 = performance.now()
              deadline = t0 + plan.timeoutSeconds * 1000
              await Promise.all(stopped.map((n) => startContainer(n.container!)))
              retitle(`Started broker${ids.length === 1 ? '' : 's'} ${list}`)
            },
          },
          {
            title: `Wait until broker${ids.length === 1 ? '' : 's'} ${list} ${ids.length === 1 ? 'is' : 'are'} registered`,
            run: async (retitle) => {
              await waitRegistered(spec, ids, deadline, (missing) => retitle(`Wait until broker${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} registered`))
              retitle(`Broker${ids.length === 1 ? '' : 's'} ${list} registered ${((performance.now() - t0) / 1000).toFixed(1)} s after the start`)
            },
          },
        ]
  const steps: ProgressTask[] = [
    ...startSteps,
    {
      title: 'Wait until every partition is fully in sync',
      run: async (retitle) => {
        if (ids.length === 0) {
          t0 = performance.now()
          deadline = t0 + plan.timeoutSeconds * 1000
        }
        const states = await waitInSync(spec, all, deadline, (behind, total) => retitle(`Wait until every partition is fully in sync (${total - behind}/${total})`))
        partitions = states.length
        elapsedMs = performance.now() - t0
        controller = await activeController(spec, all)
        retitle(`All ${partitions} partitions fully in sync, ${(elapsedMs / 1000).toFixed(1)} s after the start`)
      },
    },
  ]
  const result = (): RestoreResult => ({
    cluster: spec.name,
    started: ids,
    activeController: controller,
    partitions,
    seconds: Math.round(elapsedMs) / 1000,
  })
  const interrupted = (signal: StopSignal) => brokersLeft(spec, signal, 'the restore')
  return {steps, result, interrupted}
}
