import {inspectContainers} from '../docker/containers.ts'
import {docker} from '../docker/run.ts'
import {poll} from '../poll.ts'
import {runDoctor, type DoctorOptions, type DoctorReport} from './doctor.ts'
import type {SafeRepair} from './types.ts'

export interface RepairOutcome extends SafeRepair {
  ok: boolean
  error?: string
}

/** What `kcl doctor` found and, with --fix, what it repaired. */
export interface DoctorRun {
  /** The last report: after the repairs, when there were any. */
  report: DoctorReport
  /** With --fix: the repairs offered (none when nothing was safe to fix). */
  planned?: SafeRepair[]
  /** With --fix: how each repair went, when the user agreed. */
  repairs?: RepairOutcome[]
}

export interface FixHooks {
  /** Shows the report and the planned repairs, and asks whether to run them. */
  approve(report: DoctorReport, planned: SafeRepair[]): Promise<boolean>
  /** Hears how the repairs went, before the checks run again. */
  repaired(outcomes: RepairOutcome[]): void
}

/**
 * kcl doctor: runs the checks; with `fix`, offers the safe repairs, runs them once approved and checks again, so the
 * report shows the machine as the repairs left it.
 */
export async function doctorRun(options: DoctorOptions, fix?: FixHooks): Promise<DoctorRun> {
  const report = await runDoctor(options)
  if (!fix) return {report}
  const planned = repairsOf(report)
  if (planned.length === 0 || !(await fix.approve(report, planned))) return {report, planned}
  const repairs = await applyRepairs(planned)
  fix.repaired(repairs)
  return {report: await runDoctor(options), planned, repairs}
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
  await poll(
    async () => {
      const containers = await inspectContainers(names).catch(() => [])
      const settled = containers.every((c) => c.state !== 'running' || c.health === undefined || c.health === 'healthy' || c.health === 'unhealthy')
      return settled || undefined
    },
    // Still starting at the deadline: the report that follows says so.
    {deadline: performance.now() + timeoutMs, intervalMs: 1000, onTimeout: () => false},
  )
}
