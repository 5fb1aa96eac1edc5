// Where users wait on a local cluster, before and after, side by side in one run (issue 17): two kcl checkouts take
// turns on the same machine, each with its own templates:
//   `kcl up` (fresh 1- and 3-broker clusters, whole command), idle memory of 3 brokers (docker stats, 30 s after up),
//   produce/consume throughput on them (kcat, 1,000,000 × 100 B, acks=all), `kcl cluster failover` and
//   `kcl cluster failover --kill` (probe acknowledged and whole command; `kcl cluster restore` between runs).
// Prints one Markdown table of medians with the load average, for BENCHMARKS.md.
// Usage: npm run build && KCL_KAFKA_IMAGE=$(cat ~/.cache/kcl-test-env/kafka-image) \
//          npx node bench/local-cluster.ts BEFORE_CHECKOUT [RUNS]
//   BEFORE_CHECKOUT: another checkout of kcl, built (npm ci && npm run build), e.g. a git worktree of the older commit.
//   Clusters perf-bench-* on ports 26720-26739 in a private KCL_HOME, removed with their volumes at the end.
import {execFileSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const before = process.argv[2]
if (!before) throw new Error('usage: bench/local-cluster.ts BEFORE_CHECKOUT [RUNS]')
const RUNS = Number(process.argv[3] ?? 3)
const checkouts = {before: resolve(before), after: fileURLToPath(new URL('..', import.meta.url))}
type Side = keyof typeof checkouts
const work = mkdtempSync(join(tmpdir(), 'kcl-bench-local-'))
const env = {...process.env, KCL_HOME: join(work, 'home'), NO_COLOR: '1'}
const LINES = 1_000_000
const lines = join(work, 'lines.txt')
writeFileSync(lines, Array.from({length: LINES}, (_, i) => `${String(i).padStart(9, '0')} ${'x'.repeat(89)}\n`).join(''))

function kcl(side: Side, args: string[]): string {
  return execFileSync(process.execPath, [join(checkouts[side], 'bin', 'kcl.js'), ...args], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
}
function timed<T>(run: () => T): {ms: number; value: T} {
  const start = performance.now()
  const value = run()
  return {ms: performance.now() - start, value}
}
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** docker stats' memory of the cluster's containers, summed, in MiB. */
function memoryMiB(name: string): number {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=com.kcl.cluster=${name}`], {encoding: 'utf8'}).split('\n').filter(Boolean)
  const usage = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids], {encoding: 'utf8'})
  const units: Record<string, number> = {KiB: 1 / 1024, MiB: 1, GiB: 1024}
  return usage
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => {
      const [, value, unit] = /^([\d.]+)(KiB|MiB|GiB)/.exec(line) ?? []
      return sum + Number(value) * (units[unit ?? 'MiB'] ?? 1)
    }, 0)
}

const results: Record<string, Record<Side, number[]>> = {}
function record(metric: string, side: Side, value: number): void {
  results[metric] ??= {before: [], after: []}
  results[metric][side].push(value)
}

async function measure(side: Side, offset: number): Promise<void> {
  const three = `perf-bench-${side}-3`
  const port = String(26720 + offset)
  for (let run = 0; run < RUNS; run++) {
    const one = `perf-bench-${side}-1`
    record('`kcl up`, 1 broker, fresh (s)', side, timed(() => kcl(side, ['up', '--name', one, '--port', String(26739 - offset), '--json'])).ms / 1000)
    kcl(side, ['down', '--name', one, '--volumes', '--yes'])
  }
  for (let run = 0; run < RUNS; run++) {
    record('`kcl up --brokers 3`, fresh (s)', side, timed(() => kcl(side, ['up', '--name', three, '--brokers', '3', '--port', port, '--json'])).ms / 1000)
    if (run < RUNS - 1) kcl(side, ['down', '--name', three, '--volumes', '--yes'])
  }
  try {
    await sleep(30_000)
    record('3 brokers idle, 30 s after up (MiB)', side, memoryMiB(three))
    for (let run = 0; run < RUNS; run++) {
      const topic = `perf-${side}-${run}`
      await sleep(3000)
      // kcat -P reads a file argument as one message: the lines go in on stdin, one record each.
      const input = openSync(lines, 'r')
      const produce = timed(() => execFileSync('kcat', ['-P', '-b', `localhost:${port}`, '-t', topic, '-X', 'enable.idempotence=true', '-X', 'acks=all'], {stdio: [input, 'ignore', 'inherit']}))
      closeSync(input)
      record('produce 1M × 100 B, kcat, acks=all (records/s)', side, LINES / (produce.ms / 1000))
      await sleep(3000)
      const consume = timed(() => execFileSync('kcat', ['-C', '-b', `localhost:${port}`, '-t', topic, '-e', '-q', '-o', 'beginning'], {maxBuffer: 1 << 30}))
      if (consume.value.length !== LINES * 100) throw new Error(`consumed ${consume.value.length} bytes of ${topic}, not ${LINES * 100}`)
      record('consume 1M × 100 B, kcat (records/s)', side, LINES / (consume.ms / 1000))
    }
    record('3 brokers after the throughput runs (MiB)', side, memoryMiB(three))
    for (const kill of [false, true]) {
      for (let run = 0; run < RUNS; run++) {
        const failover = timed(() => JSON.parse(kcl(side, ['cluster', 'failover', '--name', three, '--json', ...(kill ? ['--kill'] : [])])) as {probeAckedMs: number})
        const label = kill ? '`kcl cluster failover --kill`' : '`kcl cluster failover`'
        record(`${label}: probe acknowledged (s)`, side, failover.value.probeAckedMs / 1000)
        record(`${label}: whole command (s)`, side, failover.ms / 1000)
        kcl(side, ['cluster', 'restore', '--name', three, '--json'])
      }
    }
  } finally {
    kcl(side, ['down', '--name', three, '--volumes', '--yes'])
  }
}

const loadAtStart = loadavg()
// One after the other: the load average printed below says how busy the machine was meanwhile.
await measure('before', 0)
await measure('after', 1)
const fmt = (value: number) => (value >= 1000 ? Math.round(value).toLocaleString('en') : value.toFixed(value >= 100 ? 0 : 2))
const show = (values: number[]) => `${fmt(median(values))} (${values.map(fmt).join(', ')})`
console.log(`\nload average (1, 5, 15 min): ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; ${RUNS} runs each, medians (runs)\n`)
console.log(`| what | before: ${checkouts.before} | after: this checkout |`)
console.log('| --- | --- | --- |')
for (const [metric, sides] of Object.entries(results)) console.log(`| ${metric} | ${show(sides.before)} | ${show(sides.after)} |`)
