// `kcl --version`, kcl's help and shell completion of commands and flags without oclif: importing @oclif/core alone
// takes about four times Node's own start-up, and these answers need only package.json and oclif's manifest. bin/kcl.js (npm install) and src/sea/loader.cjs (the
// binary) call answerWithoutOclif before loading anything else; oclif prints the same version line (its user agent)
// and the same help (src/help/oclif-help.ts renders with ./render.ts) for every command line this leaves to it.
import {fstatSync, readFileSync, statSync, writeSync} from 'node:fs'
import {release} from 'node:os'
import {complete, completionLines, completionWords} from '../completion/complete.ts'
import {
  helpCli,
  helpLayout,
  helpSubject,
  renderCommandHelp,
  renderRootHelp,
  renderTopicHelp,
  type HelpCommand,
  type HelpLayout,
  type HelpPackageJson,
} from './render.ts'

/** oclif's manifest: `commands` by id. */
export interface HelpManifest {
  commands: Readonly<Record<string, HelpCommand>>
}

// package.json's oclif.additionalHelpFlags and additionalVersionFlags give oclif the same short forms.
const HELP_FLAGS = new Set(['--help', '-h'])
const VERSION_FLAGS = new Set(['--version', '-v'])

/**
 * Prints the answer to the command line and returns true, or returns false when oclif must handle it (see answerFor).
 */
export function answerWithoutOclif(argv: readonly string[], packageJson: HelpPackageJson, readManifest: () => HelpManifest | undefined): boolean {
  const answer = answerFor(argv, packageJson, readManifest, stdoutLayout)
  if (answer === undefined) return false
  if (answer !== '') print(`${answer}\n`)
  return true
}

/**
 * The answer to exactly these command lines (read as oclif reads them, with nothing else on the line): `--version`,
 * `-v`; `__complete WORD…` when the manifest alone knows the answer (staticCompletion); nothing, `--help`, `-h` (root help); `WORDS… --help|-h` where the words are a command or a topic; a topic's
 * words alone (oclif shows the topic's help then too). Undefined for anything else, e.g. `--help` among other flags or
 * arguments, `--`, an unknown command, and for help when there is no manifest (oclif then finds the commands itself).
 */
export function answerFor(
  argv: readonly string[],
  packageJson: HelpPackageJson,
  readManifest: () => HelpManifest | undefined,
  layout: () => HelpLayout,
): string | undefined {
  const [first] = argv
  if (argv.length === 1 && first !== undefined && VERSION_FLAGS.has(first)) return userAgent(packageJson)
  if (first === '__complete') return staticCompletion(argv.slice(1), packageJson, readManifest)
  const last = argv.at(-1)
  const helpAsked = last !== undefined && HELP_FLAGS.has(last)
  const words = helpAsked ? argv.slice(0, -1) : argv
  if (words.some((word) => word.startsWith('-'))) return undefined
  const manifest = readManifest()
  if (!manifest) return undefined
  const cli = helpCli(packageJson, manifest.commands, userAgent(packageJson))
  const id = words.join(':')
  const subject = words.length === 0 ? 'root' : helpSubject(cli, id)
  if (subject === 'root') return renderRootHelp(cli, layout())
  if (subject === 'topic') return renderTopicHelp(cli, id, layout())
  if (subject === 'command' && helpAsked) return renderCommandHelp(cli, id, layout())
  return undefined
}

/**
 * `kcl __complete WORD…` for commands, flags and the values the manifest lists (every TAB of the shell scripts):
 * one candidate a line, '' for nothing to offer. Undefined for values only Kafka or kcl's saved clusters know, which
 * src/completion/complete-command.ts looks up, and when there is no manifest.
 */
function staticCompletion(words: readonly string[], packageJson: HelpPackageJson, readManifest: () => HelpManifest | undefined): string | undefined {
  const manifest = readManifest()
  if (!manifest) return undefined
  const completion = complete(manifest, packageJson.oclif.topics ?? {}, completionWords(words))
  if (completion.kind === 'dynamic') return undefined
  return completion.kind === 'values' ? completionLines(completion.candidates).join('\n') : ''
}

/** Only a character device can be a terminal, whose width help needs: pipes and files spare making process.stdout. */
function stdoutLayout(): HelpLayout {
  return helpLayout(fstatSync(1).isCharacterDevice() ? process.stdout : {})
}

/** Writes to fd 1 directly: making process.stdout would take several ms, a tenth of Node's own start-up. */
function print(text: string): void {
  const bytes = Buffer.from(text)
  let written = 0
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written)
  } catch (error) {
    // A full non-blocking pipe: Node's stream waits until it drains. Anything else (EPIPE: the reader is gone) is
    // ignored, as oclif's console.log does.
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') process.stdout.write(bytes.subarray(written))
  }
}

/** oclif's user agent, which it prints for --version: `kcl/0.1.0 linux-x64 node-v26.10.0`. */
export function userAgent(packageJson: HelpPackageJson): string {
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  return `${packageJson.name}/${packageJson.version} ${isWsl() ? 'wsl' : process.platform}-${arch} node-${process.version}`
}

/** oclif names Windows Subsystem for Linux "wsl" (is-wsl 2: a Microsoft kernel, unless inside Docker). */
function isWsl(): boolean {
  if (process.platform !== 'linux') return false
  const microsoftKernel = release().toLowerCase().includes('microsoft') || readOrEmpty('/proc/version').toLowerCase().includes('microsoft')
  return microsoftKernel && !isDocker()
}

function isDocker(): boolean {
  try {
    statSync('/.dockerenv')
    return true
  } catch {
    return readOrEmpty('/proc/self/cgroup').includes('docker')
  }
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
