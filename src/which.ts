import {statSync} from 'node:fs'
import {delimiter, join} from 'node:path'

/** Where the shell would find a program on PATH, or undefined. */
export function findOnPath(program: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program)
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}
