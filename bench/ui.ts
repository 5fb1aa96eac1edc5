// kcl ui on a real 3-broker cluster with a producer (20 records/s) and a consumer group: how fast the page shows the
// cluster, what the server asks Kafka per second with several pages open, and what the server process holds in memory.
//   page load     = navigation start → the Brokers table rendered from the first server-sent snapshot (median of RUNS)
//   polling       = Metadata and DescribeQuorum requests, and slow polls (offsets, groups, containers), per second over
//                   WINDOW seconds with PAGES pages open
//   memory        = the kcl ui process's resident set size at the end
// No peer runs beside it: Kafdrop and kafka-ui images cannot be pulled on the machines kcl is measured on.
// Usage: KCL_KAFKA_IMAGE=$(cat ~/.cache/kcl-test-env/kafka-image) npx node bench/ui.ts
// (npm run build first; uses cluster "ui-bench" on 26530-26532, a private KCL_HOME, and removes the cluster at the end)
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {launchBrowser} from '../test/support/browser.ts'
import {lineMatching} from '../test/support/wait.ts'

const RUNS = Number(process.env.RUNS ?? 7)
const PAGES = Number(process.env.PAGES ?? 3)
const WINDOW = Number(process.env.WINDOW ?? 60)
const env = {...process.env, KCL_HOME: mkdtempSync(join(tmpdir(), 'kcl-bench-ui-')), NO_COLOR: '1'}
const name = ['--name', 'ui-bench']

function kcl(...args: string[]): string {
  return execFileSync(process.execPath, ['bin/kcl.js', ...args, ...name], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
}
const background = (...args: string[]) => spawn(process.execPath, ['bin/kcl.js', ...args, ...name], {env, stdio: ['ignore', 'pipe', 'pipe']})

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

interface Polls {
  since: number
  metadata: number
  quorum: number
  slowPolls: number
}

kcl('up', '--brokers', '3', '--port', '26530', '--json')
const processes: ReturnType<typeof background>[] = []
try {
  kcl('topic', 'create', 'Delivery', '--partitions', '3')
  processes.push(background('produce', 'Delivery', '--generate', '1000000', '--rate', '20'))
  processes.push(background('consume', 'Delivery', '--group', 'bench', '--output', 'raw'))
  const ui = background('ui', '--no-open')
  processes.push(ui)
  const [, url] = await lineMatching(ui.stdout, /kcl ui: (http:\/\/\S+)\n/)
  const assets = await Promise.all(['/', '/assets/app.js', '/assets/app.css'].map(async (path) => (await (await fetch(new URL(path, url))).arrayBuffer()).byteLength))

  const browser = await launchBrowser()
  const loads: number[] = []
  try {
    for (let run = 0; run <= RUNS; run++) {
      const page = await browser.page.context().newPage()
      // The moment the Brokers table enters the page, seen from inside it (no round trip to the test counted).
      await page.addInitScript(`new MutationObserver((_, observer) => {
        if ([...document.querySelectorAll('caption')].some((c) => c.textContent === 'Brokers')) { window.kclShown = performance.now(); observer.disconnect() }
      }).observe(document, {childList: true, subtree: true})`)
      await page.goto(url!)
      await page.getByRole('table', {name: 'Brokers', exact: true}).waitFor()
      const shown = (await page.evaluate('window.kclShown')) as number
      if (run > 0) loads.push(shown) // the first load warms the browser's caches
      await page.close()
    }
    const pages = await Promise.all(Array.from({length: PAGES}, async () => {
      const page = await browser.page.context().newPage()
      await page.goto(`${url}?topic=Delivery&partition=0&group=bench`)
      return page
    }))
    const polls = async () => ((await (await fetch(new URL('/api/snapshot', url))).json()) as {polls: Polls}).polls
    const before = await polls()
    const started = Date.now()
    await sleep(WINDOW * 1000)
    const after = await polls()
    const seconds = (Date.now() - started) / 1000
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ui.pid}/status`, 'utf8'))?.[1]) / 1024
    await Promise.all(pages.map((page) => page.close()))
    const rate = (key: keyof Polls) => ((after[key] - before[key]) / seconds).toFixed(2)
    console.log(`| measure | kcl ui |`)
    console.log(`| --- | --- |`)
    console.log(`| page load to the first snapshot shown (median of ${RUNS}) | ${median(loads).toFixed(0)} ms (min ${Math.min(...loads).toFixed(0)}, max ${Math.max(...loads).toFixed(0)}) |`)
    console.log(`| page, script, styles (bytes, uncompressed) | ${assets.join(', ')} |`)
    console.log(`| Metadata requests per second, ${PAGES} pages open | ${rate('metadata')} |`)
    console.log(`| DescribeQuorum requests per second | ${rate('quorum')} |`)
    console.log(`| slow polls per second (offsets, groups, containers) | ${rate('slowPolls')} |`)
    console.log(`| kcl ui resident memory after ${Math.round((Date.now() - after.since) / 1000)} s | ${rss.toFixed(0)} MB |`)
  } finally {
    await browser.close()
  }
} finally {
  // Each gets Ctrl-C and 20 s to leave cleanly while the cluster is still up; then it is killed.
  await Promise.all(
    processes.map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGINT')
      if ((await Promise.race([exited, sleep(20_000).then(() => 'late')])) === 'late') child.kill('SIGKILL')
    }),
  )
  kcl('down', '--volumes', '--yes')
}
