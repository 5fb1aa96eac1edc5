// Runs a kcl command line through oclif with nothing looked up on disk but what the caller hands over: package.json,
// oclif's manifest (made at build time, bin/build-fast-path.mjs) and kcl's command table, from which only the command
// being run is loaded. bin/kcl.js (through the dist/kcl.cjs bundle) and the standalone binary (src/sea/main.ts) both
// start here. These hooks replace private parts of @oclif/core 4.8.4 (pinned); test/e2e/binary.test.ts covers them.
import {Plugin, execute, type Interfaces} from '@oclif/core'
import oclifHelp from '@oclif/core/help'
import {loadCommand} from './commands.ts'
import KclHelp from './help/oclif-help.ts'

export async function runOclif(root: string, pjson: Interfaces.PJSON, manifest: Interfaces.Manifest): Promise<void> {
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
  // exports each time, so kcl's help class is handed over by replacing it there.
  Object.assign(oclifHelp, {loadHelpClass: async () => KclHelp})
  // A provided plugin map makes oclif skip its user, dev and core plugin discovery (none exist for kcl).
  await execute({loadOptions: {root, pjson, plugins: new Map([[plugin.name, plugin]])}})
}
