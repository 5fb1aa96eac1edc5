import {usageError} from '../errors.ts'
import {docker} from './run.ts'

/** Creates a named volume with labels; an existing one is kept as it is. */
export async function createVolume(name: string, labels: Record<string, string>): Promise<void> {
  await docker(['volume', 'create', ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]), name])
}

const FILE_MARKER = '==> '
const FILE_NAME = /^[\w.-]+$/

/**
 * Replaces the files of a volume with these text files, through a throwaway container of `image` running as
 * the image's own user, without network. The volume is mounted at `mountPath`, a directory the image gives
 * that user: Docker copies its owner into a new volume, so the image's processes can read what is written.
 * The files come on stdin, never on a command line, and are written 0600.
 */
export async function writeVolumeFiles(image: string, volume: string, mountPath: string, files: Record<string, string>): Promise<void> {
  const parts: string[] = []
  for (const [name, content] of Object.entries(files)) {
    if (!FILE_NAME.test(name)) throw usageError(`"${name}" is not a plain file name.`)
    if (content.split('\n').some((line) => line.startsWith(FILE_MARKER))) throw usageError(`${name} has a line kcl cannot copy.`)
    parts.push(`${FILE_MARKER}${name}\n${content.endsWith('\n') ? content : `${content}\n`}`)
  }
  const script = `set -e; umask 077; cd "$1"; rm -f ./*; f=; while IFS= read -r line; do case "$line" in "${FILE_MARKER}"*) f="\${line#${FILE_MARKER}}"; : > "$f";; *) printf '%s\\n' "$line" >> "$f";; esac; done`
  await docker(['run', '--rm', '--interactive', '--network', 'none', '--entrypoint', 'sh', '--volume', `${volume}:${mountPath}`, image, '-c', script, 'sh', mountPath], {
    input: parts.join(''),
    timeoutMs: 120_000,
  })
}
