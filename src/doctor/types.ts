/** What `kcl doctor` reports: one result per check, in the groups it prints them under. */

export type CheckStatus = 'ok' | 'warn' | 'fail'

export const CHECK_GROUPS = ['Docker', 'Podman', 'Compose', 'Resources', 'Network', 'Cluster'] as const
export type CheckGroup = (typeof CHECK_GROUPS)[number]

export type Os = 'linux' | 'macos' | 'windows'

/** One way to fix a problem; `os` is set when the step only applies there (systemctl vs Docker Desktop vs colima). */
export interface FixStep {
  os?: Os
  text: string
}

/** A repair `kcl doctor --fix` may make on its own: only ever on things kcl created, never volumes. */
export interface SafeRepair {
  description: string
  /** docker argument arrays, run in order, e.g. ["start", "kcl-dev-kafka-2-1"]. */
  commands: string[][]
}

export interface CheckResult {
  group: CheckGroup
  /** Stable identifier for scripts, e.g. "docker.daemon". */
  id: string
  title: string
  status: CheckStatus
  /** One line: what was found. */
  detail: string
  /** More lines for --verbose. */
  details?: string[]
  /** The kcl cluster the check is about, for cluster-specific checks. */
  cluster?: string
  fix?: FixStep[]
  fixable?: SafeRepair
}

/** A check that was not run, and why (e.g. cluster checks while Docker is unreachable). */
export interface SkippedCheck {
  group: CheckGroup
  id: string
  title: string
  reason: string
  cluster?: string
}

export function ok(base: CheckBase, detail: string, details?: string[]): CheckResult {
  return {...base, status: 'ok', detail, ...(details?.length ? {details} : {})}
}

export function warn(base: CheckBase, detail: string, extra: Partial<CheckResult> = {}): CheckResult {
  return {...base, status: 'warn', detail, ...extra}
}

export function fail(base: CheckBase, detail: string, extra: Partial<CheckResult> = {}): CheckResult {
  return {...base, status: 'fail', detail, ...extra}
}

export type CheckBase = Pick<CheckResult, 'group' | 'id' | 'title'> & {cluster?: string}

export function currentOs(platform: NodeJS.Platform = process.platform): Os {
  if (platform === 'darwin') return 'macos'
  if (platform === 'win32') return 'windows'
  return 'linux'
}

/** The fix steps that apply on this OS (those without an os, and those for it), as one line for an error hint. */
export function fixHint(fix: FixStep[] | undefined, os: Os = currentOs()): string | undefined {
  const steps = (fix ?? []).filter((step) => step.os === undefined || step.os === os)
  return steps.length > 0 ? steps.map((step) => step.text).join(' ') : undefined
}
