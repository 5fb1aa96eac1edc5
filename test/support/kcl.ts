import {execa} from 'execa'
import {mkdtempSync, readFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KCL_BIN = join(REPO_ROOT, 'bin', 'kcl.js')

/**
 * The Kafka image the e2e tests run kcl's compose files against, as prepared by `npm run test:env`
 * (the official apache/kafka image when present, else the locally built stand-in).
 */
export function kafkaImage(): string {
  if (process.env.KCL_KAFKA_IMAGE) return process.env.KCL_KAFKA_IMAGE
  const file = join(homedir(), '.cache', 'kcl-test-env', 'kafka-image')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    throw new Error(`No Kafka image for the e2e tests: ${file} is missing. Run \`npm run test:env\` first.`)
  }
}

/** The image test:env prepared for one Kafka release (kafka-image-<version>: the official one if present, else the stand-in). */
export function kafkaImageOf(version: string): string {
  const file = join(homedir(), '.cache', 'kcl-test-env', `kafka-image-${version}`)
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    throw new Error(`No Kafka ${version} image for the e2e tests: ${file} is missing. Run \`npm run test:env\` first.`)
  }
}

/** A private KCL_HOME, so tests never see a developer's own clusters' files. */
export function tempKclHome(): string {
  return mkdtempSync(join(tmpdir(), 'kcl-test-home-'))
}

export interface KclRun {
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
  cwd?: string
}

/**
 * Runs the built kcl (dist/) with the project's Node, as a user would, and never throws on a non-zero exit.
 * Await it for the result, or use it as a running process (stdout, kill) for commands that keep going.
 */
export function kcl(args: string[], options: KclRun = {}) {
  return execa(process.execPath, [KCL_BIN, ...args], {
    reject: false,
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input,
    timeout: options.timeoutMs ?? 300_000,
    env: {KCL_KAFKA_IMAGE: kafkaImage(), NO_COLOR: '1', ...options.env},
  })
}
