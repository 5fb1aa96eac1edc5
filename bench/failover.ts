// Failover time on a real 3-broker kcl cluster: `kcl cluster failover --json`, then `kcl cluster restore`,
// RUNS times (default 5); prints the per-run phases and the medians as Markdown for BENCHMARKS.md.
//   failover time = stop issued → new active controller seen → probe (acks=all, every partition) acknowledged
//   whole command = `kcl cluster failover` started → exited (its own start-up and the comparison of leaders included)
// Usage: KCL_KAFKA_IMAGE=$(cat ~/.cache/kcl-test-env/kafka-image) npx node bench/failover.ts [--kill]
// (npm run build first; uses cluster NAME (default "perf-failover") on PORT (default 26700) and the next two,
// a private KCL_HOME, and removes the cluster with its volumes at the end)
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'

const RUNS = Number(process.env.RUNS ?? 5)
const kill = process.argv.includes('--kill')
const env = {...process.env, KCL_HOME: process.env.KCL_HOME ?? mkdtempSync(join(tmpdir(), 'kcl-bench-failover-')), NO_COLOR: '1'}
const name = process.env.NAME ?? 'perf-failover'
const port = process.env.PORT ?? '26700'

function kcl(...args: string[]): string {
  return execFileSync(process.execPath, ['bin/kcl.js', ...args, '--name', name], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
}

interface Failover {
  stoppedBroker: number
  controllerBefore: number
  controllerAfter: number
  stoppedServingMs: number
  electionMs: number
  probeAckedMs: number
  exitedMs: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
const s = (ms: number): string => (ms / 1000).toFixed(3)

kcl('up', '--brokers', '3', '--port', port, '--json')
try {
  kcl('topic', 'create', 'weather-updates', '--partitions', '3')
  const runs: (Failover & {commandMs: number; restoreSeconds: number})[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    const failover = JSON.parse(kcl('cluster', 'failover', '--json', ...(kill ? ['--kill'] : []))) as Failover
    const commandMs = performance.now() - started
    const restore = JSON.parse(kcl('cluster', 'restore', '--json')) as {seconds: number}
    runs.push({...failover, commandMs, restoreSeconds: restore.seconds})
    process.stderr.write(`run ${i + 1}: controller ${failover.controllerBefore} → ${failover.controllerAfter}, probe acknowledged after ${s(failover.probeAckedMs)} s\n`)
  }
  console.log(`\n${kill ? 'docker kill' : 'docker stop'}, ${RUNS} runs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min) at the end\n`)
  console.log(`| run | controller | stopped serving (s) | new controller (s) | probe acknowledged (s) | container exited (s) | whole command (s) | restore until all ISRs full (s) |`)
  console.log('|---|---|---|---|---|---|---|---|')
  runs.forEach((r, i) =>
    console.log(`| ${i + 1} | ${r.controllerBefore} → ${r.controllerAfter} | ${s(r.stoppedServingMs)} | ${s(r.electionMs)} | ${s(r.probeAckedMs)} | ${s(r.exitedMs)} | ${s(r.commandMs)} | ${r.restoreSeconds.toFixed(1)} |`),
  )
  const m = (key: keyof (Failover & {commandMs: number})) => s(median(runs.map((r) => r[key] as number)))
  console.log(`| **median** | | ${m('stoppedServingMs')} | ${m('electionMs')} | **${m('probeAckedMs')}** | ${m('exitedMs')} | **${m('commandMs')}** | ${median(runs.map((r) => r.restoreSeconds)).toFixed(1)} |`)
} finally {
  kcl('down', '--volumes', '--yes')
}
