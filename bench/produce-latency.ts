// How soon a line written into a producer's stdin can be read from the topic, for `kcl produce` and `kcat -P`
// side by side: each producer gets LINES lines through a pipe kept open, one every 100 ms (input quiet in between),
// and a kcat consumer (fetch.wait.max.ms=1) reading the topic's end reports when each arrives. The delay includes
// the consumer's fetch, the same for both producers.
// Usage: npm run build && npx node bench/produce-latency.ts BOOTSTRAP   (a running broker, e.g. localhost:9092)
import {execa} from 'execa'
import {setTimeout as sleep} from 'node:timers/promises'
import {loadavg} from 'node:os'
import {join} from 'node:path'

const BOOTSTRAP = process.argv[2] ?? 'localhost:9092'
const LINES = 30
const KCL = [join(import.meta.dirname, '..', 'bin', 'kcl.js')]
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function latencies(tool: 'kcl' | 'kcat'): Promise<number[]> {
  const topic = `latency-${tool}-${Date.now()}`
  await execa(process.execPath, [...KCL, 'topic', 'create', topic, '-b', BOOTSTRAP])
  const arrived = new Map<string, number>()
  const consumer = execa('kcat', ['-C', '-b', BOOTSTRAP, '-t', topic, '-o', 'beginning', '-u', '-q', '-X', 'fetch.wait.max.ms=1'], {buffer: false, reject: false})
  consumer.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) arrived.set(line, performance.now())
  })
  const producer =
    tool === 'kcl'
      ? execa(process.execPath, [...KCL, 'produce', topic, '-b', BOOTSTRAP], {stdin: 'pipe', reject: false})
      : execa('kcat', ['-P', '-b', BOOTSTRAP, '-t', topic, '-X', 'enable.idempotence=true', '-X', 'acks=all'], {stdin: 'pipe', reject: false})
  await sleep(2000) // both connected and ready
  const written = new Map<string, number>()
  for (let i = 0; i < LINES; i++) {
    const line = `${tool} line ${i}`
    written.set(line, performance.now())
    producer.stdin!.write(`${line}\n`)
    await sleep(100)
  }
  await sleep(1000)
  producer.stdin!.end()
  await producer
  consumer.kill()
  await consumer
  return [...written].map(([line, at]) => (arrived.get(line) ?? Infinity) - at)
}

console.log(`load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}`)
console.log('| producer | median (ms) | slowest (ms) | lines read back |\n|---|---|---|---|')
for (const tool of ['kcat', 'kcl', 'kcat', 'kcl'] as const) {
  const delays = await latencies(tool)
  const read = delays.filter(Number.isFinite)
  console.log(`| ${tool} | ${median(delays).toFixed(1)} | ${Math.max(...delays).toFixed(1)} | ${read.length} of ${LINES} |`)
}
