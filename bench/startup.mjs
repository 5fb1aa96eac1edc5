#!/usr/bin/env node
// Start-up time of kcl, the standalone binary against an npm install of the same commit, both against `node -e 0`
// (Node 26). Needs hyperfine, dist/ (npm run build) and dist/kcl-linux-x64 (npm run build:binary -- --target linux-x64).
// With BOOTSTRAP=host:port (a running broker), also `topic list -b` (a whole command: start-up, one Metadata round trip,
// the table) beside kcat -L, the peer that answers the same question.
// Usage: npm run build && node bin/build-binary.mjs --target linux-x64 && [BOOTSTRAP=…] node bench/startup.mjs [--runs N]
import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const RESULTS = join(REPO, 'bench', 'results')
const {values} = parseArgs({options: {runs: {type: 'string', default: '40'}}})
const node = process.execPath
const binary = join(REPO, 'dist', `kcl-${process.platform}-${process.arch}`)

// An npm install as a user gets it: kcl's published files (bin/kcl.js, the compiled dist/**/*.js, oclif's manifest,
// the templates) and its production dependencies only, without the repository's devDependencies beside it.
const prefix = mkdtempSync(join(tmpdir(), 'kcl-npm-install-'))
const installed = join(prefix, 'kcl')
cpSync(join(REPO, 'package.json'), join(installed, 'package.json'))
cpSync(join(REPO, 'oclif.manifest.json'), join(installed, 'oclif.manifest.json'))
cpSync(join(REPO, 'bin', 'kcl.js'), join(installed, 'bin', 'kcl.js'))
cpSync(join(REPO, 'compose-templates'), join(installed, 'compose-templates'), {recursive: true})
cpSync(join(REPO, 'dist'), join(installed, 'dist'), {recursive: true, filter: (source) => !/kcl-|SHA256SUMS/.test(basename(source))})
execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--omit=dev', '--ignore-scripts'], {cwd: installed, stdio: 'inherit'})
const npmKcl = `${node} ${join(installed, 'bin', 'kcl.js')}`

// --version and `topic list --help` are answered without oclif (src/help/fast-path.ts); `topic list --json --help`
// prints the same help through oclif, as every command line did before and every command still does.
const commands = {
  'node -e 0': `${node} -e 0`,
  'binary --version': `${binary} --version`,
  'npm --version': `${npmKcl} --version`,
  'binary topic list --help': `${binary} topic list --help`,
  'npm topic list --help': `${npmKcl} topic list --help`,
  'binary topic list --json --help': `${binary} topic list --json --help`,
  'npm topic list --json --help': `${npmKcl} topic list --json --help`,
  // What every TAB runs (src/completion): commands and flags come from the manifest, also without oclif.
  'binary __complete topic de': `${binary} __complete topic de`,
  'npm __complete topic de': `${npmKcl} __complete topic de`,
  ...(process.env.BOOTSTRAP && {
    'binary topic list -b': `${binary} topic list -b ${process.env.BOOTSTRAP}`,
    'npm topic list -b': `${npmKcl} topic list -b ${process.env.BOOTSTRAP}`,
    'kcat -L -b': `kcat -L -b ${process.env.BOOTSTRAP}`,
  }),
}
mkdirSync(RESULTS, {recursive: true})
const exported = join(RESULTS, 'startup.json')
execFileSync(
  'hyperfine',
  ['-N', '--warmup', '5', '--runs', values.runs, '--export-json', exported, ...Object.entries(commands).flatMap(([name, command]) => ['-n', name, command])],
  {stdio: 'inherit', cwd: tmpdir()},
)
rmSync(prefix, {recursive: true, force: true})

// This machine may be shared and busy: CPU time (user + sys) and the fastest run are steadier than the mean.
const results = Object.fromEntries(JSON.parse(readFileSync(exported, 'utf8')).results.map((r) => [r.command, r]))
const cpu = (r) => r.user + r.system
const base = results['node -e 0']
const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`
console.log(`\nload average (1, 5, 15 min) at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
console.log('\n| command | mean ± σ | fastest | user + sys CPU | × node -e 0 (mean) | × node -e 0 (CPU) | × node -e 0 (fastest) |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const name of Object.keys(commands)) {
  const r = results[name]
  const ratios = `${(r.mean / base.mean).toFixed(2)} | ${(cpu(r) / cpu(base)).toFixed(2)} | ${(r.min / base.min).toFixed(2)}`
  console.log(`| \`${name}\` | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} | ${ms(cpu(r))} | ${ratios} |`)
}
