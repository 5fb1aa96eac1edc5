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
import {readFile} from 'node:fs/promises'
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

// A top-level `const x_1 = require("./y")` (TypeScript's CommonJS output) in @oclif/core's own files; Node's modules
// too (node:readline, which only prompts need, costs ~1 ms).
const OCLIF_REQUIRE = /^(const|var|let) ([A-Za-z_$][\w$]*) = ((?:__importDefault\(|__importStar\()?require\("[^"]+"\)\)?);$/gm
const OCLIF_EXPORT = /^(exports\.[A-Za-z_$][\w$]* = )(__importStar\(require\("[^"]+"\)\));$/gm

/**
 * esbuild plugin: @oclif/core's modules require each other at load, so requiring any part of it evaluated nearly all of
 * it (help, templates, spinners, …), a quarter of a command's start-up. Here each of those requires becomes
 * __kclLazy(() => require(…)) (see KCL_BUNDLE_BANNER), which evaluates the module when the command first uses it.
 */
export const lazyOclifRequires = {
  name: 'lazy-oclif-requires',
  setup(build) {
    build.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, async ({path}) => {
      const source = await readFile(path, 'utf8')
      const contents = source
        .replace(OCLIF_REQUIRE, (_, kind, name, required) => `${kind} ${name} = __kclLazy(() => ${required});`)
        .replace(OCLIF_EXPORT, (_, assignment, required) => `${assignment}__kclLazy(() => ${required});`)
      return contents === source ? undefined : {contents, loader: 'js'}
    })
  },
}

/**
 * esbuild plugin: ansis (oclif's colours) writes a raw U+009B in a regular expression, which esbuild keeps; that one
 * character makes V8 hold the whole bundle as a two-byte string, slower to read and compile (~1 ms a command). Its
 * escape means the same there.
 */
export const asciiAnsis = {
  name: 'ascii-ansis',
  setup(build) {
    build.onLoad({filter: /[\\/]ansis[\\/]index\.js$/}, async ({path}) => ({contents: (await readFile(path, 'utf8')).replaceAll('\u009b', '\\x9b'), loader: 'js'}))
  },
}

/**
 * The start of kcl's bundles (dist/kcl.cjs, the binary's): in CommonJS import.meta is empty, so the modules that use it
 * (to find the package's files) get this file's URL, which sits in dist/ as their compiled files do; and __kclLazy,
 * a stand-in for a module that requires it on first use (lazyOclifRequires). A function, so that a module that is
 * one can be called too.
 */
export const KCL_BUNDLE_BANNER = `var __kclImportMetaUrl = require("node:url").pathToFileURL(__filename).href;
function __kclLazy(load) {
  let module;
  const loaded = () => (module ??= {exports: load()}).exports;
  return new Proxy(() => {}, {
    get: (_, key) => loaded()[key],
    set: (_, key, value) => ((loaded()[key] = value), true),
    has: (_, key) => key in loaded(),
    ownKeys: () => Reflect.ownKeys(loaded()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(loaded(), key);
      return descriptor && {...descriptor, configurable: true};
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(loaded()),
    apply: (_, self, args) => Reflect.apply(loaded(), self, args),
    construct: (_, args) => Reflect.construct(loaded(), args),
  });
}`

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
    define: {'import.meta.url': '__kclImportMetaUrl'},
    banner: {js: KCL_BUNDLE_BANNER},
    plugins: [lazyOclifRequires, asciiAnsis],
    // @oclif/core tries require('typescript') only to run .ts sources in development.
    external: ['typescript'],
  })
}
