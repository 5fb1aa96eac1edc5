// Entry point of the standalone binary: bin/build-binary.mjs bundles this file with everything it imports into one
// CommonJS script for Node's single-executable-application support. A SEA can require only Node's built-in modules,
// so oclif must not look for command files, package.json, manifests, plugins or its help class on disk: it gets all
// of them from here. (--version and help usually never get here: src/sea/loader.cjs answers them first.)
import {Plugin, execute, type Interfaces} from '@oclif/core'
import oclifHelp from '@oclif/core/help'
import {dirname} from 'node:path'
import {getAsset} from 'node:sea'
import packageJson from '../../package.json' with {type: 'json'}
import {printCompletions} from '../completion/complete-command.ts'
import KclHelp from '../help/oclif-help.ts'

async function main(): Promise<void> {
  if (process.argv[2] === '__complete') {
    // Shell completion without oclif, as bin/kcl.js answers it for an npm install.
    return printCompletions(process.argv.slice(3), packageJson, () => JSON.parse(getAsset('oclif.manifest.json', 'utf8')))
  }
  const pjson = packageJson as unknown as Interfaces.PJSON
  // Nothing is read from here; oclif only needs some root.
  const root = dirname(process.execPath)
  const plugin = new Plugin({isRoot: true, root, pjson})
  // The build computes oclif's manifest (ids, flags, help texts of every command) from the command table. With it,
  // --version and --help never evaluate the commands and their dependencies; a command's run loads the table.
  // These hooks replace private parts of @oclif/core 4.8.4 (pinned); test/e2e/binary.test.ts covers them.
  const manifest = JSON.parse(getAsset('oclif.manifest.json', 'utf8')) as Interfaces.Manifest
  Object.assign(plugin, {
    _manifest: async () => {
      plugin.commandIDs = Object.keys(manifest.commands)
      return manifest
    },
    loadCommandsFromTarget: async () => (await import('../commands.ts')).COMMANDS,
  })
  await plugin.load()
  // oclif would require package.json's helpClass from disk. Its callers look loadHelpClass up on this module's
  // exports each time, so kcl's help class is handed over by replacing it there.
  Object.assign(oclifHelp, {loadHelpClass: async () => KclHelp})
  // A provided plugin map makes oclif skip its user, dev and core plugin discovery (none exist for kcl).
  await execute({loadOptions: {root, pjson, plugins: new Map([[plugin.name, plugin]])}})
}

void main()
