// What the shell should offer at the cursor, worked out from oclif's manifest alone (no oclif, no command classes), so
// that a TAB costs little more than Node's start-up. Values that only Kafka or kcl's saved clusters know (topics, groups,
// clusters, brokers) are named here as a DynamicKind; ./values.ts looks them up.

/** The parts of oclif's manifest completion reads. */
export interface CompletionManifest {
  commands: Readonly<Record<string, CompletionCommand>>
}

export interface CompletionCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  args: Readonly<Record<string, {name: string; description?: string; options?: readonly string[]}>>
  flags: Readonly<Record<string, CompletionFlag>>
}

export interface CompletionFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  description?: string
  summary?: string
  options?: readonly string[]
  multiple?: boolean
  hidden?: boolean
}

/** Values only a running Kafka or kcl's own state can tell. */
export type DynamicKind = 'cluster' | 'topic' | 'group' | 'broker' | 'profile'

export interface Candidate {
  value: string
  description?: string
}

/** What to offer for the word at the cursor. */
export type Completion =
  | {kind: 'values'; candidates: Candidate[]}
  /** Values to look up, offered as `lead` + value when they start with `prefix` (lead: `--name=` for an inline value). */
  | {kind: 'dynamic'; dynamic: DynamicKind; prefix: string; lead: string; flags: Record<string, string>}
  /** The value of a flag that takes free text (a number, a template): offer nothing rather than file names. */
  | {kind: 'none'}

/**
 * The dynamic kind of a flag's or an argument's value, by what it means: new names (`topic create NAME`, `up --name`
 * for a new cluster) still complete to existing ones, which is what a user retyping a name wants.
 */
export function dynamicKindOf(commandId: string, place: 'flag' | 'arg', name: string): DynamicKind | undefined {
  if (place === 'flag' && name === 'name') return 'cluster'
  if ((place === 'flag' && name === 'profile') || (place === 'arg' && name === 'name' && commandId.startsWith('profile:') && commandId !== 'profile:create')) return 'profile'
  if (name === 'topic' || (place === 'arg' && name === 'name' && commandId.startsWith('topic:'))) return 'topic'
  if (name === 'group' || name === 'share-group') return 'group'
  if ((place === 'arg' && name === 'id' && commandId.startsWith('broker:')) || (place === 'flag' && name === 'broker')) return 'broker'
  return undefined
}

const HELP_FLAG: CompletionFlag = {name: 'help', char: 'h', type: 'boolean', description: 'show help'}

/**
 * The completion of `words`, the command line after `kcl` up to the cursor; the last word is the one being completed
 * (empty after a space). Reads the line as oclif would: command words first, then flags (`--flag value`,
 * `--flag=value`, `-f value`) and positional arguments in any order, `--` ending the flags.
 */
export function complete(manifest: CompletionManifest, topics: Readonly<Record<string, {description?: string}>>, words: readonly string[]): Completion {
  const current = words.at(-1) ?? ''
  const before = words.slice(0, -1)
  const visible = Object.values(manifest.commands).filter((c) => !c.hidden)
  const ids = visible.map((c) => c.id)

  // Command words: as long as they lead to a command or topic.
  let path: string[] = []
  let rest = before
  while (rest.length > 0) {
    const next = [...path, rest[0] as string].join(':')
    if (!ids.some((id) => id === next || id.startsWith(`${next}:`))) break
    path = [...path, rest[0] as string]
    rest = rest.slice(1)
    if (ids.includes(path.join(':'))) break
  }
  const command = visible.find((c) => c.id === path.join(':'))
  if (!command) {
    if (current.startsWith('-')) return values([{value: '--help', description: 'show help'}, {value: '--version', description: 'show the version'}], current)
    return values(subcommands(visible, topics, path), current)
  }

  const flags = Object.values(command.flags).filter((f) => !f.hidden)
  const byName = (word: string): CompletionFlag | undefined => {
    if (word.startsWith('--')) return flags.find((f) => f.name === word.slice(2))
    return /^-\w$/.test(word) ? flags.find((f) => f.char === word[1]) : undefined
  }
  const given: Record<string, string> = {}
  const used = new Set<string>()
  let positional = 0
  let flagsEnded = false
  for (let index = 0; index < rest.length; index++) {
    const word = rest[index] as string
    if (flagsEnded || !word.startsWith('-') || word === '-') {
      positional++
      continue
    }
    if (word === '--') {
      flagsEnded = true
      continue
    }
    const [name, inline] = splitInline(word)
    const flag = byName(name)
    if (!flag) continue
    used.add(flag.name)
    // A flag whose value is the word at the cursor is completed below, not given.
    if (inline !== undefined) given[flag.name] = inline
    else if (flag.type === 'option' && index + 1 < rest.length) given[flag.name] = rest[++index] as string
    else if (flag.type === 'boolean') given[flag.name] = 'true'
  }

  // The value of the flag before the cursor.
  const previous = byName(before.at(-1) ?? '')
  if (!flagsEnded && previous?.type === 'option' && !(before.at(-1) ?? '').includes('=')) {
    return flagValue(command, previous, current, '', given)
  }
  if (!flagsEnded && current.startsWith('-')) {
    const [name, inline] = splitInline(current)
    const flag = inline === undefined ? undefined : byName(name)
    if (flag?.type === 'option') return flagValue(command, flag, inline as string, `${name}=`, given)
    const offered = [...flags, HELP_FLAG].filter((f) => f.multiple || !used.has(f.name))
    return values(
      offered.map((f) => ({value: `--${f.name}`, description: f.summary ?? f.description})),
      current,
    )
  }
  const arg = Object.values(command.args)[positional]
  if (!arg) return {kind: 'none'}
  if (arg.options) return values(arg.options.map((value) => ({value})), current)
  const dynamic = dynamicKindOf(command.id, 'arg', arg.name)
  return dynamic ? {kind: 'dynamic', dynamic, prefix: current, lead: '', flags: given} : {kind: 'none'}
}

/** The next command words below `path`: commands and topics, with their summaries. */
function subcommands(commands: readonly CompletionCommand[], topics: Readonly<Record<string, {description?: string}>>, path: string[]): Candidate[] {
  const found = new Map<string, string | undefined>()
  for (const command of commands) {
    const parts = command.id.split(':')
    if (parts.length <= path.length || parts.slice(0, path.length).join(':') !== path.join(':')) continue
    const word = parts[path.length] as string
    const isCommand = parts.length === path.length + 1
    const topicId = [...path, word].join(':')
    if (!found.has(word) || isCommand) found.set(word, isCommand ? command.summary : topics[topicId]?.description)
  }
  return [...found].map(([value, description]) => ({value, description: firstLine(description)}))
}

function flagValue(command: CompletionCommand, flag: CompletionFlag, current: string, lead: string, given: Record<string, string>): Completion {
  if (flag.options) return values(flag.options.map((value) => ({value: `${lead}${value}`})), `${lead}${current}`)
  const dynamic = dynamicKindOf(command.id, 'flag', flag.name)
  return dynamic ? {kind: 'dynamic', dynamic, prefix: current, lead, flags: given} : {kind: 'none'}
}

function splitInline(word: string): [string, string | undefined] {
  const at = word.indexOf('=')
  return word.startsWith('--') && at > 0 ? [word.slice(0, at), word.slice(at + 1)] : [word, undefined]
}

/** Candidates starting with what is typed, sorted, each once. */
export function values(candidates: readonly Candidate[], typed: string): Completion {
  const seen = new Set<string>()
  const kept = candidates.filter((c) => c.value.startsWith(typed) && !seen.has(c.value) && seen.add(c.value))
  return {kind: 'values', candidates: kept.sort((a, b) => a.value.localeCompare(b.value))}
}

/** The words after `kcl __complete`: none means completing an empty first word. */
export function completionWords(argv: readonly string[]): readonly string[] {
  return argv.length === 0 ? [''] : argv
}

/** What `kcl __complete` prints: one candidate a line, `value<TAB>description`, each value after `lead`. */
export function completionLines(candidates: readonly Candidate[], lead = ''): string[] {
  return candidates.map((c) => `${lead}${c.value}${c.description ? `\t${c.description.replaceAll(/\s+/g, ' ')}` : ''}`)
}

function firstLine(text: string | undefined): string | undefined {
  return text?.split('\n')[0]
}
