import {inspectContainers} from '../docker/containers.ts'
import {docker} from '../docker/run.ts'
import type {DoctorReport} from './doctor.ts'
import type {SafeRepair} from './types.ts'

export interface RepairOutcome extends SafeRepair {
  ok: boolean
  error?: string
}

/** The safe repairs a report offers, in the order they should run: leftovers first, then starting brokers. */
export function repairsOf(report: DoctorReport): SafeRepair[] {
  return report.checks.flatMap((check) => (check.fixable ? [check.fixable] : []))
}

/** Runs each repair's docker commands; one that fails does not stop the others. Started brokers are waited for until healthy. */
export async function applyRepairs(repairs: SafeRepair[], options: {healthTimeoutMs?: number} = {}): Promise<RepairOutcome[]> {
  const outcomes: RepairOutcome[] = []
  const started: string[] = []
  for (const repair of repairs) {
    try {
      for (const args of repair.commands) {
        await docker(args, {timeoutMs: 60_000})
        if (args[0] === 'start') started.push(...args.slice(1))
      }
      outcomes.push({...repair, ok: true})
    } catch (error) {
      outcomes.push({...repair, ok: false, error: (error as Error).message})
    }
  }
  if (started.length > 0) await waitHealthy(started, options.healthTimeoutMs ?? 120_000)
  return outcomes
}

/** Waits until the started containers pass their healthcheck (or stop trying), so the report after --fix shows the result. */
async function waitHealthy(names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const containers = await inspectContainers(names).catch(() => [])
    const settled = containers.every((c) => c.state !== 'running' || c.health === undefined || c.health === 'healthy' || c.health === 'unhealthy')
    if (settled) return
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}
