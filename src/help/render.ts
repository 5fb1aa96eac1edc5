// kcl's help text, drawn from oclif's manifest (oclif.manifest.json, written by `npm run build`) and package.json.
// It imports nothing of oclif, so bin/kcl.js and the binary's loader answer --help without loading oclif, while oclif
// shows the very same text through src/help/oclif-help.ts (helpCliOf reads oclif's config, a type only).
import type {Interfaces} from '@oclif/core'

/** A flag as oclif's manifest describes it. */
export interface HelpFlag {
  name: string
  type: 'boolean' | 'option'
  char?: string
  summary?: string
  description?: string
  helpValue?: string | string[]
  helpGroup?: string
  options?: readonly string[]
  default?: unknown
  multiple?: boolean
  required?: boolean
  hidden?: boolean
  allowNo?: boolean
}

/** A positional argument as oclif's manifest describes it. */
export interface HelpArg {
  name: string
  description?: string
  required?: boolean
  hidden?: boolean
}

export type HelpExample = string | {description: string; command: string}

/** A command as oclif's manifest describes it (`commands[id]`). */
export interface HelpCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  aliases?: string[]
  strict?: boolean
  args: Readonly<Record<string, HelpArg>>
  flags: Readonly<Record<string, HelpFlag>>
  examples?: HelpExample[]
}

/** A topic as package.json's oclif.topics describes it. */
export interface HelpTopic {
  description?: string
  hidden?: boolean
}

/** The fields of package.json that help and the version line read. */
export interface HelpPackageJson {
  name: string
  version: string
  description?: string
  oclif: {bin?: string; description?: string; topics?: Readonly<Record<string, HelpTopic>>}
}

/** Everything help shows about the CLI. Command ids use ":" between words, as in oclif's manifest. */
export interface HelpCli {
  bin: string
  description: string
  /** `kcl/0.1.0 linux-x64 node-v26.10.0`, what `kcl --version` prints. */
  userAgent: string
  topics: Readonly<Record<string, HelpTopic>>
  commands: Readonly<Record<string, HelpCommand>>
}

export interface HelpLayout {
  /** Columns to fill; help wraps its text to them. */
  width: number
  /** Section headers in bold. */
  bold: boolean
}

export type CommandHelpSection = 'summary' | 'usage' | 'arguments' | 'flags' | 'description' | 'aliases' | 'examples'

export const COMMAND_HELP_SECTIONS: readonly CommandHelpSection[] = ['summary', 'usage', 'arguments', 'flags', 'description', 'aliases', 'examples']

const SECTION_INDENT = 2
// Below this many columns for descriptions beside the flags, descriptions go under their flags instead.
const MIN_SIDE_BY_SIDE_COLUMNS = 30

export function helpCli(packageJson: HelpPackageJson, commands: Readonly<Record<string, HelpCommand>>, userAgent: string): HelpCli {
  return {
    bin: packageJson.oclif.bin ?? packageJson.name,
    description: packageJson.oclif.description ?? packageJson.description ?? '',
    userAgent,
    topics: packageJson.oclif.topics ?? {},
    commands,
  }
}

/** The layout for a stream: its width when it is a terminal (at least 40), else 80 columns; bold where it has colours. */
export function helpLayout(stream: {isTTY?: boolean; columns?: number; hasColors?: () => boolean}): HelpLayout {
  const columns = stream.isTTY && stream.columns ? Math.max(stream.columns, 40) : 80
  return {width: columns, bold: Boolean(stream.isTTY && stream.hasColors?.())}
}

/** What help for the command id or topic `id` (words joined by ":") is about, if kcl knows it. Commands win, as in oclif. */
export function helpSubject(cli: HelpCli, id: string): 'command' | 'topic' | undefined {
  if (cli.commands[id]) return 'command'
  if (Object.keys(cli.commands).some((commandId) => commandId.startsWith(`${id}:`))) return 'topic'
  return undefined
}

export function renderRootHelp(cli: HelpCli, layout: HelpLayout): string {
  const [headline = '', ...rest] = template(cli, cli.description).split('\n')
  return joinSections([
    wrap(headline, layout.width),
    section('VERSION', cli.userAgent, layout),
    section('USAGE', `$ ${cli.bin} [COMMAND]`, layout),
    section('DESCRIPTION', wrap(rest.join('\n').trim(), bodyWidth(layout)), layout),
    ...childrenSections(cli, undefined, layout),
  ])
}

export function renderTopicHelp(cli: HelpCli, topic: string, layout: HelpLayout): string {
  const [headline = '', ...rest] = template(cli, cli.topics[topic]?.description ?? '').split('\n')
  return joinSections([
    wrap(headline, layout.width),
    section('USAGE', `$ ${cli.bin} ${spaced(topic)} COMMAND`, layout),
    section('DESCRIPTION', wrap(rest.join('\n').trim(), bodyWidth(layout)), layout),
    ...childrenSections(cli, topic, layout),
  ])
}

/** A command's help; `sections` picks some (oclif's parse errors show usage, arguments and flags only). */
export function renderCommandHelp(
  cli: HelpCli,
  id: string,
  layout: HelpLayout,
  sections: readonly CommandHelpSection[] = COMMAND_HELP_SECTIONS,
): string {
  const command = cli.commands[id]
  if (!command) throw new Error(`No command ${id} in the manifest`)
  const width = bodyWidth(layout)
  // Without a summary, the description's first line serves as one (oclif's convention).
  const [firstLine = '', ...otherLines] = template(cli, command.description ?? '').split('\n')
  const summary = command.summary ? template(cli, command.summary) : firstLine
  const description = command.summary ? [firstLine, ...otherLines].join('\n') : otherLines.join('\n')
  const flags = Object.values(command.flags).filter((flag) => !flag.hidden)
  const args = Object.values(command.args).filter((arg) => !arg.hidden)

  const rendered: Record<CommandHelpSection, () => string[]> = {
    summary: () => [wrap(summary, layout.width)],
    usage: () => [section('USAGE', usage(cli, command, args, flags, width), layout)],
    arguments: () => {
      const labels = argLabels(command, args)
      const rows = args.map((arg, index): [string, string] => [labels[index], arg.description ?? ''])
      return [section('ARGUMENTS', args.some((arg) => arg.description) ? table(rows, width) : '', layout)]
    },
    flags: () => {
      // Flags of no group first, then each helpGroup (oclif's --json is in GLOBAL) under its own header.
      const groups = ['', ...new Set(flags.flatMap((flag) => (flag.helpGroup ? [flag.helpGroup] : [])))]
      return groups.map((group) => {
        const members = flags.filter((flag) => (flag.helpGroup ?? '') === group)
        return section(group ? `${group.toUpperCase()} FLAGS` : 'FLAGS', table(flagRows(cli, members), width), layout)
      })
    },
    description: () => [section('DESCRIPTION', wrap(description.trim(), width), layout)],
    aliases: () => [section('ALIASES', (command.aliases ?? []).map((alias) => `$ ${cli.bin} ${spaced(alias)}`).join('\n'), layout)],
    examples: () => [section('EXAMPLES', examples(cli, command.examples ?? [], width), layout)],
  }
  return joinSections(sections.flatMap((name) => rendered[name]()))
}

/** TOPICS and COMMANDS one level below `parent` (the root when undefined). */
function childrenSections(cli: HelpCli, parent: string | undefined, layout: HelpLayout): string[] {
  const depth = parent === undefined ? 1 : parent.split(':').length + 1
  const isChild = (id: string) => id.split(':').length === depth && (parent === undefined || id.startsWith(`${parent}:`))
  const visibleCommands = Object.values(cli.commands).filter((command) => !command.hidden)
  const topics = new Set<string>()
  for (const command of visibleCommands) {
    const words = command.id.split(':')
    for (let length = 1; length < words.length; length++) topics.add(words.slice(0, length).join(':'))
  }
  const topicRows = [...topics]
    .filter((topic) => isChild(topic) && !cli.topics[topic]?.hidden)
    .sort()
    .map((topic): [string, string] => [spaced(topic), firstLine(template(cli, cli.topics[topic]?.description ?? ''))])
  const commandRows = visibleCommands
    .filter((command) => isChild(command.id))
    .sort((a, b) => compare(a.id, b.id))
    .map((command): [string, string] => [spaced(command.id), firstLine(template(cli, command.summary ?? command.description ?? ''))])
  const width = bodyWidth(layout)
  return [section('TOPICS', table(topicRows, width), layout), section('COMMANDS', table(commandRows, width), layout)]
}

/** `$ kcl group reset GROUP -t TOPIC --to POSITION [--json] [--execute] …`: arguments, then required flags, then the rest. */
function usage(cli: HelpCli, command: HelpCommand, args: HelpArg[], flags: HelpFlag[], width: number): string {
  const flagElement = (flag: HelpFlag) => {
    const name = flag.char ? `-${flag.char}` : longFlag(flag)
    const element = flag.type === 'option' ? `${name} ${valueLabel(flag)}` : name
    return flag.required ? element : `[${element}]`
  }
  const flagElements = [...flags.filter((flag) => flag.required), ...flags.filter((flag) => !flag.required)].map(flagElement)
  return wrapElements([`$ ${cli.bin} ${spaced(command.id)}`, ...argLabels(command, args), ...flagElements], width)
}

/** TOPIC, [MESSAGE...]: optional arguments in brackets. */
function argLabels(command: HelpCommand, args: HelpArg[]): string[] {
  return args.map((arg, index) => {
    // Without strict parsing the last argument takes every word left over.
    const name = `${arg.name.toUpperCase()}${command.strict === false && index === args.length - 1 ? '...' : ''}`
    return arg.required ? name : `[${name}]`
  })
}

/** `-b, --bootstrap-server=HOST:PORT  (required) description [default: …]`, short flags first, by letter. */
function flagRows(cli: HelpCli, flags: HelpFlag[]): Array<[string, string]> {
  const anyShort = flags.some((flag) => flag.char)
  const sorted = [...flags].sort((a, b) => {
    // -k before -K; not localeCompare: loading ICU's collator costs ~10 ms, more than the rest of help.
    if (a.char && b.char) return compare(a.char.toLowerCase(), b.char.toLowerCase()) || compare(b.char, a.char)
    if (a.char || b.char) return a.char ? -1 : 1
    return compare(a.name, b.name)
  })
  return sorted.map((flag) => {
    const short = flag.char ? `-${flag.char}, ` : anyShort ? '    ' : ''
    const value = flag.type === 'option' ? `=${valueLabel(flag)}` : ''
    const description = [flag.required ? '(required)' : '', template(cli, flag.summary ?? flag.description ?? ''), defaultNote(flag)]
    return [`${short}${longFlag(flag)}${value}`, description.filter(Boolean).join(' ')]
  })
}

function longFlag(flag: HelpFlag): string {
  return flag.type === 'boolean' && flag.allowNo ? `--[no-]${flag.name}` : `--${flag.name}`
}

/** HOST:PORT, all|1|0 or <value>, with "..." when the flag may be repeated. */
function valueLabel(flag: HelpFlag): string {
  const label = flag.helpValue ? [flag.helpValue].flat().join(' ') : flag.options ? flag.options.join('|') : '<value>'
  return flag.multiple ? `${label}...` : label
}

function defaultNote(flag: HelpFlag): string {
  if (flag.type !== 'option' || flag.default === undefined || flag.default === '') return ''
  const values = [flag.default].flat()
  return values.length > 0 ? `[default: ${values.join(', ')}]` : ''
}

/** Each example: its description, then its command after `$`, broken with `\` where it is too long for a line. */
function examples(cli: HelpCli, list: HelpExample[], width: number): string {
  // Commands sit 2 deeper than the descriptions, and break between shell words only, never inside quotes.
  const commandLines = (command: string) => indent(wrapElements(['$', ...(command.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? [])], width - 2, ' \\'), 2)
  return list
    .map((example) => {
      if (typeof example !== 'string') return `${wrap(template(cli, example.description), width)}\n\n${commandLines(template(cli, example.command))}`
      return template(cli, example)
        .split('\n')
        .map((line) => (line.startsWith(`${cli.bin} `) ? commandLines(line) : wrap(line, width)))
        .join('\n')
    })
    .join('\n\n')
}

/** Rows of two columns, the second wrapped beside the first, or under it when the terminal is too narrow. */
function table(rows: Array<[string, string]>, width: number): string {
  if (rows.length === 0) return ''
  const leftWidth = Math.max(...rows.map(([left]) => left.length))
  const rightWidth = width - leftWidth - 2
  if (rightWidth < MIN_SIDE_BY_SIDE_COLUMNS) {
    return rows.map(([left, right]) => (right ? `${left}\n${indent(wrap(right, width - 4), 4)}` : left)).join('\n\n')
  }
  return rows
    .map(([left, right]) => {
      const [first = '', ...rest] = wrap(right, rightWidth).split('\n')
      return [`${left.padEnd(leftWidth)}  ${first}`.trimEnd(), ...rest.map((line) => `${' '.repeat(leftWidth + 2)}${line}`)].join('\n')
    })
    .join('\n')
}

/** Wraps each line of `text` at spaces to `width` columns, breaking words longer than a line. */
export function wrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, width))
    .join('\n')
}

function wrapLine(line: string, width: number): string {
  const leading = /^ */.exec(line)?.[0] ?? ''
  // Keep some room for text however deep the line is indented.
  const room = Math.max(width - leading.length, 10)
  const lines: string[] = []
  let current = ''
  for (let word of line.trim().split(/ +/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > room) {
      lines.push(current)
      current = ''
    }
    while (!current && word.length > room) {
      lines.push(word.slice(0, room))
      word = word.slice(room)
    }
    current = current ? `${current} ${word}` : word
  }
  if (current) lines.push(current)
  return lines.map((text) => `${leading}${text}`).join('\n')
}

/**
 * Joins elements with spaces into lines of at most `width` columns, breaking only between elements (never inside
 * `[-b HOST:PORT]`); lines after the first are indented by 2 and lines before the last end with `lineEnd`.
 */
function wrapElements(elements: string[], width: number, lineEnd = ''): string {
  const lines: string[] = []
  let current = ''
  for (const element of elements) {
    const limit = width - lineEnd.length - (lines.length > 0 ? 2 : 0)
    if (current && current.length + 1 + element.length > limit) {
      lines.push(current)
      current = element
    } else {
      current = current ? `${current} ${element}` : element
    }
  }
  lines.push(current)
  return lines.map((line, index) => `${index > 0 ? '  ' : ''}${line}${index < lines.length - 1 ? lineEnd : ''}`).join('\n')
}

function section(header: string, body: string, layout: HelpLayout): string {
  if (!body) return ''
  return `${layout.bold ? `\u001B[1m${header}\u001B[22m` : header}\n${indent(body, SECTION_INDENT)}`
}

function indent(text: string, spaces: number): string {
  const prefix = ' '.repeat(spaces)
  return text
    .split('\n')
    .map((line) => (line ? `${prefix}${line}` : line))
    .join('\n')
}

function joinSections(sections: string[]): string {
  return sections.filter(Boolean).join('\n\n')
}

function bodyWidth(layout: HelpLayout): number {
  return layout.width - SECTION_INDENT
}

/** "topic:list" as the user types it: "topic list" (kcl's oclif topicSeparator is a space). */
function spaced(id: string): string {
  return id.replaceAll(':', ' ')
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? ''
}

/** oclif renders help texts as EJS templates; kcl's use only `<%= config.bin %>`. */
function template(cli: HelpCli, text: string): string {
  return text.replaceAll(/<%[=-]\s*config\.bin\s*%>/g, cli.bin)
}

/** What help shows, from oclif's loaded config: its commands are the manifest's entries. */
export function helpCliOf(config: Interfaces.Config): HelpCli {
  return helpCli(config.pjson, Object.fromEntries(config.commands.map((command) => [command.id, command])), config.userAgent)
}
