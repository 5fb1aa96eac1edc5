#!/usr/bin/env node
// First the Node check: this file must parse and run on any Node that runs ES modules with top-level await (14.8 and
// later), so that a Node older than package.json's engines (the one place the floor is written) gets one line and
// exit 1 instead of a stack trace from code written for a newer one.
//
// Then --version, help and the completion of commands and flags (`kcl __complete …`) are answered from package.json and
// oclif.manifest.json without loading oclif, which alone takes several times Node's own start-up; completion of
// topics, groups and clusters loads kcl's own code but not oclif either; every other command line goes to oclif. The answers are required from one CommonJS bundle (dist/fast-path.cjs, see
// bin/build-fast-path.mjs): loading ES modules would cost several ms more.
const {readFileSync, existsSync} = process.getBuiltinModule ? process.getBuiltinModule('node:fs') : await import('node:fs')

const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'))
const packageJson = readJson(new URL('../package.json', import.meta.url))

const floor = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(packageJson.engines.node)
const wanted = floor && [floor[1], floor[2], floor[3] || 0].map(Number)
const running = process.versions.node.split('.').map(Number)
const tooOld = wanted && (running[0] - wanted[0] || running[1] - wanted[1] || running[2] - wanted[2]) < 0
if (tooOld) {
  process.stderr.write(`kcl needs Node ${packageJson.engines.node.replace(/^>=\s*/, '')} or newer; this is ${process.versions.node} — or use the standalone binary\n`)
  process.exit(1)
}

const {createRequire} = process.getBuiltinModule('node:module')
const {answerWithoutOclif} = createRequire(import.meta.url)('../dist/fast-path.cjs')
const manifestUrl = new URL('../oclif.manifest.json', import.meta.url)
const readManifest = () => (existsSync(manifestUrl) ? readJson(manifestUrl) : undefined)
const argv = process.argv.slice(2)

const answered = answerWithoutOclif(argv, packageJson, readManifest)
if (!answered && argv[0] === '__complete') {
  // Completion of topics, groups, clusters or brokers: kcl's domain code, but still no oclif.
  const {printCompletions} = await import('../dist/completion/complete-command.js')
  await printCompletions(argv.slice(1), packageJson, readManifest)
} else if (!answered) {
  // Everything else: oclif, kcl and their dependencies bundled into one file (see bin/build-fast-path.mjs), which
  // loads only the command it runs.
  const {dirname, join} = process.getBuiltinModule('node:path')
  const {fileURLToPath} = process.getBuiltinModule('node:url')
  const {Script} = process.getBuiltinModule('node:vm')
  const bundlePath = fileURLToPath(new URL('../dist/kcl.cjs', import.meta.url))
  const source = readFileSync(bundlePath, 'utf8')
  // V8's compiled code for the bundle comes from the end of an earlier run, kept where Node keeps its compile cache
  // (the OS's temp directory; NODE_DISABLE_COMPILE_CACHE=1 turns both off). Node's own cache would hold only what V8
  // compiles before running, while most of a command's start-up is spent compiling functions it calls on the way
  // (src/sea/loader.cjs does the same for the binary, with a cache made at build time). Two files: one made by a
  // command's run, which every line uses once it exists, and one made by help or another line oclif routes (whose
  // functions commands do not call), used until then.
  const {directory} = process.getBuiltinModule('node:module').enableCompileCache()
  const caches = directory && codeCacheFiles(directory, bundlePath)
  const cacheFile = caches && [caches.command, caches.other].find((file) => existsSync(file))
  const cachedData = cacheFile ? readFileSync(cacheFile) : undefined
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: bundlePath, cachedData})
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected
  let ranCommand = false
  if (caches) {
    process.on('exit', () => {
      if (ranCommand && !(cacheUsed && cacheFile === caches.command)) saveCodeCache(caches.command, script)
      else if (!ranCommand && !cacheUsed) saveCodeCache(caches.other, script)
    })
  }
  // oclif would check Node's version against its own engines with semver on load; the floor was checked above.
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  const bundle = {exports: {}}
  script.runInThisContext()(bundle.exports, createRequire(bundlePath), bundle, bundlePath, dirname(bundlePath))
  // The commands' child processes need not see it.
  delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  await bundle.exports.main(fileURLToPath(new URL('..', import.meta.url)), () => (ranCommand = true))

  /** Files per kcl build (version, the bundle's size and time) and Node version: V8 itself checks only the length. */
  function codeCacheFiles(directory, bundle) {
    const {size, mtimeMs} = process.getBuiltinModule('node:fs').statSync(bundle)
    const prefix = join(directory, `kcl-${packageJson.version}-${size}-${Math.trunc(mtimeMs)}-node-${process.version}`)
    return {command: `${prefix}.cache`, other: `${prefix}-other.cache`}
  }

  /** Written whole or not at all (another kcl may be reading it); a cache that cannot be written is only a slower start. */
  function saveCodeCache(file, script) {
    const {renameSync, writeFileSync} = process.getBuiltinModule('node:fs')
    const temporary = `${file}.${process.pid}.tmp`
    try {
      writeFileSync(temporary, script.createCachedData())
      renameSync(temporary, file)
    } catch {
      // E.g. a read-only temp directory.
    }
  }
}
