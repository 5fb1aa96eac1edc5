import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Where kcl keeps each cluster's rendered compose file and spec, and the profiles: $KCL_HOME, else $XDG_DATA_HOME/kcl,
 * else ~/.local/share/kcl. Data lives in Docker volumes, not here.
 */
export function kclHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KCL_HOME) return env.KCL_HOME
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'kcl')
}
