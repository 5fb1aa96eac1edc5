// How the user ran kcl, so that the commands kcl suggests (`kcl topic create …` after `kcl up`, `kcl doctor` in a hint)
// can be copied and run from where the user is: after `npm start` or `npx kcl up` in a checkout there is no `kcl` on
// PATH, and after `npx kcl-kafka up` only npx can find kcl again.
import {realpathSync} from 'node:fs'
import {isSea} from 'node:sea'
import {isAbsolute, relative, sep} from 'node:path'
import packageJson from '../../package.json' with {type: 'json'}
import {findOnPath} from '../which.ts'

export interface Invocation {
  /** The file that runs: bin/kcl.js of an npm install or checkout, or the standalone binary. */
  script: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** The npm package name, for `npx <package>`. */
  packageName: string
  /** Where the shell finds a program, e.g. `kcl`, or undefined. */
  onPath: (program: string) => string | undefined
}

/**
 * The words that run this same kcl from the user's shell: `kcl` when that is on PATH and is this kcl; `npx kcl` inside
 * a project that has kcl (its checkout, or a project depending on it) when run through npm (`npm start`, `npx kcl`);
 * `npx kcl-kafka` when npx fetched it; else the path that was run, relative to the working directory when inside it.
 */
export function commandPrefix(invocation: Invocation): string {
  const {script, cwd, env, packageName, onPath} = invocation
  const real = realOrSame(script)
  if (env.npm_lifecycle_event !== undefined) {
    // npx's cache (~/.npm/_npx) may well lie inside the project folder npm found (the home directory).
    if (real.split(sep).includes('_npx')) return `npx ${packageName}`
    const project = env.npm_config_local_prefix
    if (project && isInside(real, realOrSame(project))) return 'npx kcl'
  }
  const found = onPath('kcl')
  if (found !== undefined && realOrSame(found) === real) return 'kcl'
  return isInside(script, cwd) ? `.${sep}${relative(cwd, script)}` : script
}

/** Rewrites every `kcl …` command quoted in backticks (as kcl's hints and messages quote them) to run as invoked. */
export function runnable(text: string, prefix: string = currentPrefix()): string {
  return prefix === 'kcl' ? text : text.replaceAll('`kcl ', `\`${prefix} `)
}

let cached: string | undefined

/** commandPrefix of this process (worked out once). */
export function currentPrefix(): string {
  cached ??= commandPrefix({
    // The standalone binary is its own script; an npm install or checkout runs bin/kcl.js.
    script: isSea() ? process.execPath : process.argv[1] ?? process.execPath,
    cwd: process.cwd(),
    env: process.env,
    packageName: packageJson.name,
    onPath: (program) => findOnPath(program),
  })
  return cached
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}
