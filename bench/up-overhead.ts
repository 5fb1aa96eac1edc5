// How long `kcl up` takes beyond the brokers' own start: from the moment the last broker logs that it
// started (Kafka 4.3: "[BrokerServer id=N] Transition from STARTING to STARTED") to the moment kcl exits
// having reported the cluster ready (after it also saw the quorum leader and made a client round trip).
// Runs fresh 1- and 3-broker clusters a few times and prints the medians.
//
//   npm run build && npx node bench/up-overhead.ts [runs]      (KCL_KAFKA_IMAGE as for the tests)
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const runs = Number(process.argv[2] ?? 3)
const env = {KCL_HOME: mkdtempSync(join(tmpdir(), 'kcl-bench-')), KCL_KAFKA_IMAGE: process.env.KCL_KAFKA_IMAGE ?? 'kcl-test/kafka:4.4.0'}
const kcl = (args: string[]) => execa(process.execPath, ['bin/kcl.js', ...args], {env, reject: false})

async function lastStartedAt(cluster: string): Promise<number> {
  const {stdout: ids} = await execa('docker', ['ps', '--quiet', '--filter', `label=com.kcl.cluster=${cluster}`])
  let latest = 0
  for (const id of ids.split('\n').filter(Boolean)) {
    const {stdout} = await execa('docker', ['logs', '--timestamps', id], {all: true})
    const line = stdout.split('\n').find((l) => /BrokerServer id=\d+\] Transition from STARTING to STARTED/.test(l))
    if (!line) throw new Error(`container ${id} never logged that its broker started`)
    latest = Math.max(latest, Date.parse(line.slice(0, line.indexOf(' '))))
  }
  return latest
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

for (const brokers of [1, 3]) {
  const overheads: number[] = []
  const totals: number[] = []
  for (let run = 0; run < runs; run++) {
    const name = `bench-up-${brokers}`
    const started = Date.now()
    const up = await kcl(['up', '--name', name, '--brokers', String(brokers), '--port', '19500', '--json'])
    const ready = Date.now()
    if (up.exitCode !== 0) throw new Error(up.stderr)
    overheads.push(ready - (await lastStartedAt(name)))
    totals.push(ready - started)
    await kcl(['down', '--name', name, '--volumes', '--yes'])
  }
  console.log(
    `${brokers} broker(s): overhead after the last broker started median ${median(overheads)} ms ` +
      `(runs: ${overheads.join(', ')} ms); whole kcl up median ${(median(totals) / 1000).toFixed(1)} s`,
  )
}
