import assert from 'node:assert/strict'
import {kcl} from './kcl.ts'

/** `kcl doctor --json` as the e2e tests read it. */
export interface Check {
  id: string
  status: 'ok' | 'warn' | 'fail'
  detail: string
  fix?: {os?: string; text: string}[]
  fixable?: {commands: string[][]}
}

export interface Report {
  ok: boolean
  summary: {ok: number; warn: number; fail: number}
  checks: Check[]
  skipped: {id: string}[]
  repairs?: {ok: boolean; commands: string[][]}[]
}

export async function doctor(args: string[], env: Record<string, string | undefined>): Promise<{exitCode: number | undefined; report: Report; stderr: string}> {
  const result = await kcl(['doctor', '--json', ...args], {env})
  return {exitCode: result.exitCode, report: JSON.parse(result.stdout) as Report, stderr: result.stderr}
}

export function check(report: Report, id: string): Check {
  const found = report.checks.find((c) => c.id === id)
  assert.ok(found, `no ${id} check in ${JSON.stringify(report.checks.map((c) => c.id))}`)
  return found
}
