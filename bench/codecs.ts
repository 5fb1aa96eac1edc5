// The codecs kcl's record batches use, on record-batch payloads of 64 KiB and 1 MiB: the bench's 100-byte lines
// (very repetitive) and `produce --generate`'s JSON deliveries. Throughput is per second of the process's CPU time
// (user + system, best of 5 rounds of 150 ms after a warm-up), so a busy machine changes the numbers less than
// wall time would. Also kcl's CRC-32C against @platformatic/wasm-utils' on the same bytes.
// Usage: npx node bench/codecs.ts
import {crc32c as platformaticCrc32c} from '@platformatic/wasm-utils/bundled'
import {compressors, decompressors, type Codec} from '../src/kafka-client/protocol/compression.ts'
import {crc32c} from '../src/kafka-client/protocol/crc32c.ts'
import {RecordsWriter} from '../src/kafka-client/protocol/record-batch.ts'
import {generateDelivery} from '../src/kafka/generate.ts'

const ROUND_MS = 150

function cpuMs(): number {
  const {user, system} = process.cpuUsage()
  return (user + system) / 1000
}

/** MB/s of CPU time: the best of 5 rounds. */
async function throughput(bytes: number, work: () => unknown): Promise<number> {
  for (let start = cpuMs(); cpuMs() - start < ROUND_MS; ) await work()
  let best = 0
  for (let round = 0; round < 5; round++) {
    let runs = 0
    const start = cpuMs()
    let now = start
    while (now - start < ROUND_MS) {
      await work()
      runs++
      now = cpuMs()
    }
    best = Math.max(best, (bytes * runs) / 1e6 / ((now - start) / 1000))
  }
  return best
}

/** Records as a batch holds them, `size` bytes of them. */
function payload(kind: 'lines' | 'json', size: number): Buffer {
  const writer = new RecordsWriter(size)
  for (let i = 0; ; i++) {
    const value = Buffer.from(kind === 'lines' ? `${String(i).padStart(9, '0')} ${'x'.repeat(89)}` : generateDelivery(i).value)
    if (!writer.append(null, value, 0, value.length, [])) break
  }
  const records = writer.take(undefined)
  return records.buffer.subarray(61, records.end)
}

console.log(`load average ${(await import('node:os')).loadavg().map((n) => n.toFixed(1)).join(' ')}`)
console.log('| payload | codec | ratio | compress MB/s | decompress MB/s |\n|---|---|---|---|---|')
for (const kind of ['lines', 'json'] as const) {
  for (const size of [64 * 1024, 1024 * 1024]) {
    const data = payload(kind, size)
    for (const codec of ['lz4', 'snappy', 'zstd', 'gzip'] as Codec[]) {
      const compressed = await compressors[codec](data)
      if (!(await decompressors[codec](compressed)).equals(data)) throw new Error(`${codec} does not round-trip`)
      const compress = await throughput(data.length, () => compressors[codec](data))
      const decompress = await throughput(data.length, () => decompressors[codec](compressed))
      console.log(`| ${kind} ${size / 1024} KiB | ${codec} | ${(data.length / compressed.length).toFixed(1)} | ${compress.toFixed(0)} | ${decompress.toFixed(0)} |`)
    }
  }
}

console.log('\n| CRC-32C of | kcl (ms per MB) | @platformatic/wasm-utils (ms per MB) |\n|---|---|---|')
const bytes = payload('json', 1024 * 1024)
for (const size of [64 * 1024, 1024 * 1024]) {
  const slice = bytes.subarray(0, size)
  if (crc32c(slice) !== platformaticCrc32c(slice)) throw new Error('the CRC-32Cs differ')
  const ours = await throughput(size, () => crc32c(slice))
  const theirs = await throughput(size, () => platformaticCrc32c(slice))
  console.log(`| ${size / 1024} KiB | ${(1000 / ours).toFixed(2)} | ${(1000 / theirs).toFixed(2)} |`)
}
