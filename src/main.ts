// Entry point of an npm install for every command line that bin/kcl.js does not answer itself: `npm run build`
// bundles this file with everything it imports (oclif included) into dist/kcl.cjs, which bin/kcl.js runs with a V8
// code cache. One file is found, read and compiled once, instead of hundreds of ES modules.
import type {Interfaces} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {runCommandLine} from './oclif-run.ts'

/**
 * Runs the command line in process.argv; `root` is the package's directory, with package.json and oclif.manifest.json.
 * `onPlainCommand` is called when the line is a command with its flags and arguments (not help, not a topic).
 */
export async function main(root: string, onPlainCommand?: () => void): Promise<void> {
  const read = (file: string) => JSON.parse(readFileSync(`${root}/${file}`, 'utf8')) as unknown
  await runCommandLine(root, read('package.json') as Interfaces.PJSON, read('oclif.manifest.json') as Interfaces.Manifest, onPlainCommand)
}
