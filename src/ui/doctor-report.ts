import {styleText} from 'node:util'
import type {DoctorReport} from '../doctor/doctor.ts'
import type {DoctorRun, RepairOutcome} from '../doctor/repair.ts'
import {CHECK_GROUPS, currentOs, type CheckStatus, type FixStep, type Os} from '../doctor/types.ts'

const MARK: Record<CheckStatus, string> = {ok: '✓', warn: '!', fail: '✗'}
const COLOR: Record<CheckStatus, 'green' | 'yellow' | 'red'> = {ok: 'green', warn: 'yellow', fail: 'red'}
const OS_NAME: Record<Os, string> = {linux: 'Linux', macos: 'macOS', windows: 'Windows'}

function paint(color: Parameters<typeof styleText>[0], text: string, stream: NodeJS.WriteStream): string {
  return styleText(color, text, {stream})
}

/** Fix steps for this OS first, then the other OSes' (labelled): Docker may run in a VM, or the reader be on another machine. */
function fixLines(fix: FixStep[], os: Os): string[] {
  const here = fix.filter((step) => step.os === undefined || step.os === os)
  const elsewhere = fix.filter((step) => step.os !== undefined && step.os !== os)
  return [
    ...here.map((step) => (step.os ? `${OS_NAME[step.os]}: ${step.text}` : step.text)),
    ...elsewhere.map((step) => `${OS_NAME[step.os as Os]}: ${step.text}`),
  ]
}

function groupTitle(group: string, clusters: string[]): string {
  if (group !== 'Cluster') return group
  return clusters.length === 1 ? `Cluster "${clusters[0]}"` : 'Clusters'
}

/**
 * The report in the manner of flutter doctor: groups, one line per check with ✓ / ! / ✗, the fix under each
 * problem, a summary. --verbose adds details.
 */
export function renderDoctorReport(report: DoctorReport, options: {verbose: boolean; os?: Os; stream?: NodeJS.WriteStream}): string {
  const os = options.os ?? currentOs()
  const stream = options.stream ?? process.stdout
  const multiple = report.clusters.length > 1
  const lines: string[] = []
  for (const group of CHECK_GROUPS) {
    const checks = report.checks.filter((check) => check.group === group)
    const skipped = report.skipped.filter((check) => check.group === group)
    if (checks.length === 0 && skipped.length === 0) continue
    lines.push(paint('bold', groupTitle(group, report.clusters), stream))
    for (const check of checks) {
      const where = multiple && check.cluster ? ` [${check.cluster}]` : ''
      lines.push(`  ${paint(COLOR[check.status], MARK[check.status], stream)} ${check.title}${where}: ${check.detail}`)
      if (check.status !== 'ok' && check.fix) for (const line of fixLines(check.fix, os)) lines.push(`      → ${line}`)
      if (options.verbose) for (const line of check.details ?? []) lines.push(paint('dim', `      ${line}`, stream))
    }
    for (const check of skipped) {
      const where = multiple && check.cluster ? ` [${check.cluster}]` : ''
      lines.push(paint('dim', `  - ${check.title}${where}: skipped, ${check.reason}`, stream))
    }
  }
  lines.push('', summaryLine(report, stream))
  return lines.join('\n')
}

export function summaryLine(report: DoctorReport, stream: NodeJS.WriteStream = process.stdout): string {
  const {ok, warn, fail, skipped, fixable} = report.summary
  const parts = [`${ok} ok`, `${warn} warning${warn === 1 ? '' : 's'}`, `${fail} problem${fail === 1 ? '' : 's'}`, ...(skipped > 0 ? [`${skipped} skipped`] : [])]
  const verdict = fail > 0 ? paint('red', '✗ Something stops kcl from working', stream) : warn > 0 ? paint('yellow', '! kcl can work, with warnings', stream) : paint('green', '✓ No issues found', stream)
  const fixHint = fixable > 0 ? ` Run \`kcl doctor --fix\` to repair ${fixable === 1 ? 'the one marked' : `the ${fixable} marked`} safe to fix.` : ''
  return `${verdict} (${parts.join(', ')}; ${report.durationMs} ms).${fixHint}`
}

export function renderRepairs(outcomes: RepairOutcome[]): string {
  return outcomes
    .map((outcome) => (outcome.ok ? `Fixed: ${outcome.description}.` : `Could not ${outcome.description}: ${outcome.error}`))
    .join('\n')
}

export function renderRepairPlan(repairs: {description: string; commands: string[][]}[]): string {
  return ['kcl doctor can fix:', ...repairs.flatMap((repair) => [`  • ${repair.description}`, ...repair.commands.map((args) => `      docker ${args.join(' ')}`)])].join('\n')
}

/** The end of `kcl doctor`: the report, or with --fix what became of the offered repairs. */
export function renderDoctorRun(run: DoctorRun, options: {verbose: boolean}): string {
  if (run.planned && run.planned.length === 0) return renderDoctorReport(run.report, options) + '\n\nNothing kcl doctor may fix on its own.'
  if (run.planned && !run.repairs) return 'Nothing changed.'
  return renderDoctorReport(run.report, options)
}
