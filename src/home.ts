import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

/**
 * Where kcl keeps each cluster's rendered compose file and spec, and the profiles: $KCL_HOME, else $XDG_DATA_HOME/kcl,
 * else ~/.local/share/kcl. Data lives in Docker volumes, not here. Always absolute: a relative KCL_HOME is taken from
 * the working directory, and a relative XDG_DATA_HOME is ignored, as the XDG spec says.
 */
export function kclHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KCL_HOME) return resolve(env.KCL_HOME)
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(xdg, 'kcl')
}
