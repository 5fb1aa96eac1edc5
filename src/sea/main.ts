// Entry point of the standalone binary: bin/build-binary.mjs bundles this file with everything it imports into one
// CommonJS script for Node's single-executable-application support. A SEA can require only Node's built-in modules,
// so oclif must not look for command files, package.json, manifests, plugins or its help class on disk: it gets all
// of them from here. (--version and help usually never get here: src/sea/loader.cjs answers them first.)
import type {Interfaces} from '@oclif/core'
import {dirname} from 'node:path'
import {getAsset} from 'node:sea'
import packageJson from '../../package.json' with {type: 'json'}
import {printCompletions} from '../completion/complete-command.ts'
import {runCommandLine} from '../oclif-run.ts'

async function main(): Promise<void> {
  if (process.argv[2] === '__complete') {
    // Shell completion without oclif, as bin/kcl.js answers it for an npm install.
    return printCompletions(process.argv.slice(3), packageJson, () => JSON.parse(getAsset('oclif.manifest.json', 'utf8')))
  }
  // Nothing is read from the root; oclif only needs some. The build computes the manifest from the command table.
  await runCommandLine(dirname(process.execPath), packageJson as unknown as Interfaces.PJSON, JSON.parse(getAsset('oclif.manifest.json', 'utf8')) as Interfaces.Manifest)
}

void main()
