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
  // loads only the command it runs. V8's compiled code for it is kept in the OS's temp directory, so every start after
  // the first skips compiling (NODE_DISABLE_COMPILE_CACHE=1 turns it off).
  process.getBuiltinModule('node:module').enableCompileCache()
  const {fileURLToPath} = process.getBuiltinModule('node:url')
  // oclif would check Node's version against its own engines with semver on load; the floor was checked above.
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  const {main} = createRequire(import.meta.url)('../dist/kcl.cjs')
  // The commands' child processes need not see it.
  delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  await main(fileURLToPath(new URL('..', import.meta.url)))
}
