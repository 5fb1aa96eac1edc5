import type {ImageInfo} from '../docker/inventory.ts'
import {moreDisk, moreMemory} from './fixes.ts'
import {fail, ok, warn, type CheckBase, type CheckResult} from './types.ts'

const GiB = 1024 ** 3
const MiB = 1024 ** 2
/** What a broker's JVM uses besides its heap (metaspace, threads, direct buffers), plus the container's own. */
const BROKER_OVERHEAD_BYTES = 384 * MiB
/** Disk per broker for logs of a local cluster, and for pulling the image when it is not there yet. */
const DISK_PER_BROKER_BYTES = 1 * GiB
const IMAGE_PULL_BYTES = 1 * GiB

export function gib(bytes: number): string {
  return (bytes / GiB).toFixed(1)
}

/** 512m, 1g, 1024M → bytes. */
export function heapBytes(heap: string): number {
  const match = /^(\d+)([mMgG])$/.exec(heap)
  if (!match) return 512 * MiB
  return Number(match[1]) * (match[2]?.toLowerCase() === 'g' ? GiB : MiB)
}

export function memoryNeeded(brokers: number, heap: string): number {
  return brokers * (heapBytes(heap) + BROKER_OVERHEAD_BYTES)
}

const memory: CheckBase = {group: 'Resources', id: 'resources.memory', title: 'Memory'}
const disk: CheckBase = {group: 'Resources', id: 'resources.disk', title: 'Disk'}
const arch: CheckBase = {group: 'Resources', id: 'resources.image-arch', title: 'Image architecture'}
const appleSve: CheckBase = {group: 'Resources', id: 'resources.apple-sve', title: 'Java on Apple M4'}

/**
 * Memory Docker can give against what N brokers need. `freeBytes` is the host's available memory when the
 * engine runs on this machine (not in a VM), and only matters for brokers not started yet.
 */
export function memoryCheck(input: {totalBytes: number; freeBytes?: number; brokers: number; heap: string; brokersToStart: number}): CheckResult {
  const need = memoryNeeded(input.brokers, input.heap)
  const toStart = memoryNeeded(input.brokersToStart, input.heap)
  const free = input.freeBytes === undefined ? '' : ` (${gib(input.freeBytes)} GiB free)`
  const detail = `${gib(input.totalBytes)} GiB for Docker${free}; ${input.brokers} broker(s) with ${input.heap} heap need about ${gib(need)} GiB`
  const fix = moreMemory(gib(need + GiB))
  if (input.totalBytes < need) return fail(memory, `${detail}: brokers would be killed for lack of memory.`, {fix})
  if (input.freeBytes !== undefined && toStart > 0 && input.freeBytes < toStart) {
    return warn(memory, `${detail}: starting ${input.brokersToStart} more would leave too little free.`, {fix})
  }
  if (input.totalBytes < need + GiB) return warn(memory, `${detail}: little room left for anything else.`, {fix})
  return ok(memory, detail)
}

export function diskCheck(input: {freeBytes?: number; totalBytes?: number; root: string; brokers: number; imagePresent: boolean}): CheckResult {
  if (input.freeBytes === undefined) {
    return ok(disk, `free space not measurable from here (${input.root} is inside Docker's VM or not readable)`)
  }
  const need = input.brokers * DISK_PER_BROKER_BYTES + (input.imagePresent ? 0 : IMAGE_PULL_BYTES)
  const detail = `${gib(input.freeBytes)} GiB free for ${input.root}; ${input.brokers} broker(s)${input.imagePresent ? '' : ' and the image'} need about ${gib(need)} GiB`
  if (input.freeBytes < need) return fail(disk, `${detail}.`, {fix: moreDisk(input.root)})
  const nearlyFull = input.totalBytes !== undefined && input.freeBytes < input.totalBytes * 0.05
  if (input.freeBytes < 3 * need || nearlyFull) return warn(disk, `${detail}: nearly full.`, {fix: moreDisk(input.root)})
  return ok(disk, detail)
}

/** Docker's names for CPU architectures (docker info says x86_64/aarch64, images amd64/arm64). */
export function normalizeArch(name: string): string {
  const lower = name.toLowerCase()
  if (lower === 'x86_64' || lower === 'x86-64' || lower === 'amd64') return 'amd64'
  if (lower === 'aarch64' || lower === 'arm64' || lower === 'arm64v8') return 'arm64'
  return lower
}

export function imageArchCheck(input: {image: string; daemonArch: string; info: ImageInfo | undefined}): CheckResult {
  const engine = normalizeArch(input.daemonArch)
  if (!input.info) return ok(arch, `${input.image} is not pulled yet; kcl up pulls the linux/${engine} variant`)
  const platform = `${input.info.os}/${input.info.architecture}${input.info.variant ? '/' + input.info.variant : ''}`
  if (normalizeArch(input.info.architecture) === engine) return ok(arch, `${input.image} is ${platform}, like the engine`)
  return warn(arch, `${input.image} is ${platform} but Docker runs on linux/${engine}: brokers run emulated, start slowly and may crash.`, {
    fix: [
      {text: `Pull the native variant: docker pull --platform linux/${engine} ${input.image} (the official apache/kafka image has one).`},
      {os: 'macos', text: 'On Apple Silicon, keep "Use Rosetta for x86_64/amd64 emulation" on in Docker Desktop if you must run amd64 images.'},
    ],
  })
}

/** Apple M4 and later CPUs have SVE, which the JVM in Linux containers mis-detects and dies on with SIGILL. */
export function appleSveApplies(platform: NodeJS.Platform, arch: string, cpuModel: string | undefined): boolean {
  const generation = /Apple M(\d+)/.exec(cpuModel ?? '')?.[1]
  return platform === 'darwin' && arch === 'arm64' && generation !== undefined && Number(generation) >= 4
}

export function sigillFix(composeFile: string | undefined): {text: string}[] {
  return [
    {
      text: `Tell the JVM not to use SVE: add KAFKA_OPTS: "-XX:UseSVE=0" to each broker's environment in ${composeFile ?? 'the cluster\'s compose file'} and restart the cluster with docker compose up -d.`,
    },
  ]
}

export function appleSveCheck(cpuModel: string, composeFile: string | undefined): CheckResult {
  return warn(appleSve, `${cpuModel}: Java in Docker may die with SIGILL (exit 132 or 134) unless it runs with -XX:UseSVE=0.`, {fix: sigillFix(composeFile)})
}
