// The standalone binary's main script (see bin/build-binary.mjs, which bundles it with src/help/fast-path.ts).
// --version and help are answered from package.json and the oclif manifest without evaluating the bundle at all.
// Anything else runs the bundled kcl (asset kcl.cjs) through vm.Script so that it can hand V8 a code cache made after
// a real run: Node's own SEA code cache holds only what V8 compiles before running, while most of kcl's start-up is
// spent compiling functions it calls on the way.
'use strict'
const {getAsset, getAssetKeys} = require('node:sea')
const {dirname} = require('node:path')
const {Script} = require('node:vm')
const {answerWithoutOclif} = require('../help/fast-path.ts')
const packageJson = require('../../package.json')

function runBundle() {
  const assets = new Set(getAssetKeys())
  const source = getAsset('kcl.cjs', 'utf8')
  // A cache from another V8 (another target) is rejected by V8 itself, and the script compiles as without one.
  const cachedData = assets.has('kcl.cache') ? Buffer.from(getAsset('kcl.cache')) : undefined
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: 'kcl.cjs',
    cachedData,
  })
  if (assets.has('train')) {
    // Only in the build's training binary: write the cache once the run has compiled what start-up needs.
    const output = getAsset('train', 'utf8')
    process.on('exit', () => require('node:fs').writeFileSync(output, script.createCachedData()))
  }
  // oclif checks Node's version against its own package.json, which a binary does not have; skip loading semver for it.
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  const bundle = {exports: {}}
  script.runInThisContext()(bundle.exports, require, bundle, process.execPath, dirname(process.execPath))
  // The bundle evaluated its imports synchronously above; the commands' child processes need not see the variable.
  delete process.env.OCLIF_DISABLE_ENGINE_WARNING
}

const readManifest = () => JSON.parse(getAsset('oclif.manifest.json', 'utf8'))
if (!answerWithoutOclif(process.argv.slice(2), packageJson, readManifest)) runBundle()
