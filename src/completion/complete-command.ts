// `kcl __complete WORD…`: what the shell scripts of `kcl completion` call on every TAB, with the words after `kcl` up
// to the cursor. Prints one candidate a line, `value<TAB>description` (zsh, fish and PowerShell show descriptions; the
// bash script drops them). Commands, flags and their values are answered by src/help/fast-path.ts before anything
// loads; this module, run without oclif by bin/kcl.js and the binary's main script, looks up the values only Kafka and
// kcl's saved clusters know.
import {writeSync} from 'node:fs'
import {complete, completionLines, completionWords, values, type CompletionManifest} from './complete.ts'

interface CompletionPackageJson {
  oclif: {topics?: Readonly<Record<string, {description?: string}>>}
}

/** How long a lookup in Kafka or Docker may take before the TAB offers nothing (KCL_COMPLETE_TIMEOUT_MS overrides). */
const DEFAULT_TIMEOUT_MS = 2000

export async function printCompletions(words: readonly string[], packageJson: CompletionPackageJson, readManifest: () => CompletionManifest | undefined): Promise<void> {
  const manifest = readManifest()
  if (!manifest) return
  const completion = complete(manifest, packageJson.oclif.topics ?? {}, completionWords(words))
  let lines: string[] = []
  if (completion.kind === 'values') {
    lines = completionLines(completion.candidates)
  } else if (completion.kind === 'dynamic') {
    const {dynamicValues} = await import('./values.ts')
    const found = await withDeadline(dynamicValues(completion.dynamic, completion.flags), timeoutMs())
    const offered = values((found ?? []).map((value) => ({value})), completion.prefix)
    lines = offered.kind === 'values' ? completionLines(offered.candidates, completion.lead) : []
  }
  if (lines.length > 0) writeSync(1, `${lines.join('\n')}\n`)
  // A lookup cut off by the deadline may leave a socket or a child process behind: the answer is out, so stop.
  if (completion.kind === 'dynamic') process.exit(0)
}

function timeoutMs(): number {
  const wanted = Number(process.env.KCL_COMPLETE_TIMEOUT_MS)
  return Number.isFinite(wanted) && wanted > 0 ? wanted : DEFAULT_TIMEOUT_MS
}

/** The lookup's values, or undefined when it fails or takes longer than the deadline. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined)
  })
  try {
    return await Promise.race([work.catch(() => undefined), deadline])
  } finally {
    clearTimeout(timer)
  }
}
