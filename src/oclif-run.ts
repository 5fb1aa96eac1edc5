// Runs a kcl command line with nothing looked up on disk but what the caller hands over: package.json, oclif's
// manifest (made at build time, bin/build-fast-path.mjs) and kcl's command table, from which only the command being
// run is loaded. bin/kcl.js (through the dist/kcl.cjs bundle) and the standalone binary (src/sea/main.ts) both start
// here. A plain command line (a command, its flags and arguments) runs its oclif command directly; anything else
// (help, --version, a topic, an unknown command, KCL_DEBUG or DEBUG) goes through oclif's own routing. These hooks
// replace private parts of @oclif/core 4.8.4 (pinned); test/e2e/command-line.test.ts, binary.test.ts, help.test.ts
// and bad-input.test.ts cover them.
import {Plugin, execute, flush, handle, type Config, type Interfaces} from '@oclif/core'
import oclifHelp from '@oclif/core/help'
import {setLogger} from '@oclif/core/logger'
import {loadCommand} from './commands.ts'
import {userAgent} from './help/fast-path.ts'

/** Runs process.argv's command line; `onPlainCommand` is called before a plain command line runs its command. */
export async function runCommandLine(root: string, pjson: Interfaces.PJSON, manifest: Interfaces.Manifest, onPlainCommand?: () => void): Promise<void> {
  const argv = process.argv.slice(2)
  const line = plainCommandLine(argv, pjson, manifest)
  const command = line && (await loadCommand(line.id))
  if (!line || !command) return runOclif(root, pjson, manifest)
  onPlainCommand?.()
  // What oclif's execute does once it has found the command, without its Config (plugins, directories, themes,
  // hooks: ~10 ms, the most of a command's start-up that is oclif's). Errors end as oclif ends them.
  setLogger({root, logger: SILENT_LOGGER})
  try {
    // Command.run(argv, config) would load a Config of its own; _run() is what it runs then.
    const Runnable = Object.assign(command, {id: line.id}) as unknown as new (argv: string[], config: Config) => {_run(): Promise<unknown>}
    await new Runnable(line.argv, commandConfig(pjson, manifest))._run()
    // Not awaited, as oclif's execute leaves it.
    void flush()
  } catch (error) {
    await handle(error as Error)
  }
}

/**
 * oclif's debug lines go through the debug package, which loads node:tty and checks the terminal's colours (~1 ms);
 * with DEBUG unset (else oclif's routing runs) it drops every one of them, as this does without loading it.
 */
const SILENT_LOGGER = {namespace: 'oclif', child: () => SILENT_LOGGER, debug() {}, error() {}, info() {}, trace() {}, warn() {}}

/**
 * The command id and its arguments when `argv` is nothing but a command of the manifest with its flags and arguments,
 * read as oclif reads it (main.js, help/util.js): no help flag before `--`, no version flag first, the id either the
 * first word (with ":") or the most words that make a command or topic id. Undefined for anything else.
 */
function plainCommandLine(argv: string[], pjson: Interfaces.PJSON, manifest: Interfaces.Manifest): {id: string; argv: string[]} | undefined {
  const helpFlags = new Set(['--help', ...(pjson.oclif.additionalHelpFlags ?? [])])
  const versionFlags = new Set(['--version', ...(pjson.oclif.additionalVersionFlags ?? [])])
  const beforeEnd = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv
  if (process.env.KCL_DEBUG || process.env.DEBUG || beforeEnd.some((arg) => helpFlags.has(arg)) || versionFlags.has(argv[0] ?? '')) return undefined
  const usable = new Set(Object.keys(manifest.commands).flatMap((id) => id.split(':').map((_, i, words) => words.slice(0, i + 1).join(':'))))
  let words = 0
  if (argv.length === 1 || argv[0]?.includes(':')) words = 1
  else while (words < argv.length && usable.has(argv.slice(0, words + 1).join(':'))) words++
  const id = argv.slice(0, words).join(':')
  return manifest.commands[id] ? {id, argv: argv.slice(words)} : undefined
}

/** What a kcl command reads of oclif's Config: its name, KCL_* variables, no hooks, and the commands help shows. */
function commandConfig(pjson: Interfaces.PJSON, manifest: Interfaces.Manifest): Config {
  const bin = pjson.oclif.bin ?? pjson.name
  const scopedEnvVarKey = (key: string) => `${bin}_${key}`.replaceAll('@', '').replaceAll(/[/-]/g, '_').toUpperCase()
  return {
    bin,
    pjson,
    name: pjson.name,
    version: pjson.version,
    userAgent: userAgent(pjson),
    topicSeparator: pjson.oclif.topicSeparator ?? ':',
    commands: Object.values(manifest.commands),
    commandIDs: Object.keys(manifest.commands),
    findCommand: (id: string) => manifest.commands[id],
    runHook: async () => ({successes: [], failures: []}),
    scopedEnvVarKey,
    scopedEnvVarKeys: (key: string) => [scopedEnvVarKey(key)],
    scopedEnvVar: (key: string) => process.env[scopedEnvVarKey(key)],
  } as unknown as Config
}

async function runOclif(root: string, pjson: Interfaces.PJSON, manifest: Interfaces.Manifest): Promise<void> {
  const plugin = new Plugin({isRoot: true, root, pjson})
  Object.assign(plugin, {
    // oclif reads ids, flags and help texts from the manifest instead of evaluating every command. load() is handed
    // none: it would sort them with localeCompare, whose ICU collator costs a command ~5 ms; they are set below.
    _manifest: async () => ({...manifest, commands: {}}),
    // Running a command loads that command alone.
    findCommand: async (id: string, options: {must?: boolean} = {}) => {
      const command = await loadCommand(id)
      if (!command && options.must) throw new Error(`command ${id} not found`)
      return command && Object.assign(command, {id, plugin})
    },
  })
  await plugin.load()
  // What load() makes of the manifest's commands, in the same order: ids are a-z and ":", which compare alike by code
  // point and by locale.
  Object.assign(plugin, {
    manifest,
    commandIDs: Object.keys(manifest.commands),
    commands: Object.entries(manifest.commands)
      .map(([id, command]) => ({...command, load: async () => plugin.findCommand(id, {must: true}), pluginAlias: plugin.alias, pluginType: plugin.type}))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  })
  // oclif would require package.json's helpClass from disk. Its callers look loadHelpClass up on this module's
  // exports each time, so kcl's help class is handed over by replacing it there, loaded when help is shown.
  Object.assign(oclifHelp, {loadHelpClass: async () => (await import('./help/oclif-help.ts')).default})
  // A provided plugin map makes oclif skip its user, dev and core plugin discovery (none exist for kcl).
  await execute({loadOptions: {root, pjson, plugins: new Map([[plugin.name, plugin]])}})
}
