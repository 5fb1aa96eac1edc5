#!/usr/bin/env node
// The second half of `npm run build`, after tsc: what bin/kcl.js needs to answer --version and help without oclif.
//  - oclif.manifest.json, oclif's manifest of every command (ids, flags, arguments, examples, help texts). oclif also
//    reads it instead of evaluating every command at start-up; bin/build-binary.mjs computes the same for the binary
//    from the sources it bundles.
//  - dist/fast-path.cjs, src/help/fast-path.ts and the renderer bundled into one CommonJS file: requiring it costs
//    next to nothing, while loading the same code as ES modules costs about a seventh of Node's own start-up.
//  - dist/kcl.cjs, src/main.ts with oclif and every command bundled into one CommonJS file, for every other command
//    line: one file to find, read and compile (and to keep in Node's compile cache) instead of hundreds of modules;
//    the command a line runs is evaluated alone (esbuild evaluates what is import()ed only when it is).
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
  const {loadAllCommands} = await import(pathToFileURL(commandsFile).href)
  const plugin = new Plugin({isRoot: true, root: REPO, pjson, ignoreManifest: true, errorOnManifestCreate: true})
  Object.assign(plugin, {commandCache: await loadAllCommands()})
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
  await build({
    entryPoints: [join(REPO, 'src', 'main.ts')],
    outfile: join(REPO, 'dist', 'kcl.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    logLevel: 'warning',
    // Half the bytes to read and compile; oclif and kcl read class names in messages, so those stay.
    minify: true,
    keepNames: true,
    // In CommonJS import.meta is empty: give the modules that use it (to find the package's files) this file's URL,
    // which sits in dist/ as their compiled files do.
    define: {'import.meta.url': '__kclImportMetaUrl'},
    banner: {js: 'var __kclImportMetaUrl = require("node:url").pathToFileURL(__filename).href;'},
    // @oclif/core tries require('typescript') only to run .ts sources in development.
    external: ['typescript'],
  })
}
