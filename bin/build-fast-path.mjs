#!/usr/bin/env node
// The second half of `npm run build`, after tsc: what bin/kcl.js needs to answer --version and help without oclif.
//  - oclif.manifest.json, oclif's manifest of every command (ids, flags, arguments, examples, help texts). oclif also
//    reads it instead of evaluating every command at start-up; bin/build-binary.mjs computes the same for the binary
//    from the sources it bundles.
//  - dist/fast-path.cjs, src/help/fast-path.ts and the renderer bundled into one CommonJS file: requiring it costs
//    next to nothing, while loading the same code as ES modules costs about a seventh of Node's own start-up.
// Usage: node bin/build-fast-path.mjs   (after tsc; reads dist/commands.js)
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Plugin} from '@oclif/core'
import {build} from 'esbuild'

const REPO = fileURLToPath(new URL('..', import.meta.url))

/** oclif's manifest of the command table in `commandsFile` (src/commands.ts or dist/commands.js), as oclif computes it. */
export async function oclifManifest(commandsFile) {
  const pjson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
  const {COMMANDS} = await import(pathToFileURL(commandsFile).href)
  const plugin = new Plugin({isRoot: true, root: REPO, pjson, ignoreManifest: true, errorOnManifestCreate: true})
  Object.assign(plugin, {commandCache: COMMANDS})
  await plugin.load()
  return plugin.manifest
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const manifest = await oclifManifest(join(REPO, 'dist', 'commands.js'))
  writeFileSync(join(REPO, 'oclif.manifest.json'), `${JSON.stringify(manifest)}\n`)
  await build({
    entryPoints: [join(REPO, 'src', 'help', 'fast-path.ts')],
    outfile: join(REPO, 'dist', 'fast-path.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    logLevel: 'warning',
  })
}
