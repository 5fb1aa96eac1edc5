#!/usr/bin/env node
// --version and help are answered from package.json and oclif.manifest.json without loading oclif, which alone takes
// several times Node's own start-up; every other command line goes to oclif. This file imports nothing statically and
// requires the answers from one CommonJS bundle (dist/fast-path.cjs, see bin/build-fast-path.mjs): loading ES modules
// would cost several ms more.
const {createRequire} = process.getBuiltinModule('node:module')
const {existsSync, readFileSync} = process.getBuiltinModule('node:fs')
const {answerWithoutOclif} = createRequire(import.meta.url)('../dist/fast-path.cjs')

const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'))
const manifestUrl = new URL('../oclif.manifest.json', import.meta.url)
const packageJson = readJson(new URL('../package.json', import.meta.url))

if (!answerWithoutOclif(process.argv.slice(2), packageJson, () => (existsSync(manifestUrl) ? readJson(manifestUrl) : undefined))) {
  // V8's compiled code for oclif, kcl and their dependencies, kept in the OS's temp directory: runs after the first
  // start ~10% faster (NODE_DISABLE_COMPILE_CACHE=1 turns it off).
  process.getBuiltinModule('node:module').enableCompileCache()
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
