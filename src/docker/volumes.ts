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

/** Names of all volumes the engine has. */
export async function volumeNames(): Promise<string[]> {
  return (await docker(['volume', 'ls', '--format', '{{.Name}}'])).split('\n').filter(Boolean)
}

export async function removeVolumes(names: string[]): Promise<void> {
  if (names.length > 0) await docker(['volume', 'rm', ...names])
}

const READ_MARKER = '==> kcl-volume '

/**
 * Reads one file from each of these volumes, through one throwaway container of the first of `images` that is on
 * this machine (never pulled), without network, each volume mounted read-only. A volume without the file reads as
 * undefined. Throws when none of the images is here, or the container cannot run.
 */
export async function readVolumeFile(images: string[], volumes: string[], file: string): Promise<Map<string, string | undefined>> {
  if (!FILE_NAME.test(file)) throw usageError(`"${file}" is not a plain file name.`)
  const mounts = volumes.flatMap((volume, index) => ['--volume', `${volume}:/kcl-read/${index}:ro,nocopy`])
  const script = `for i in "$@"; do echo "${READ_MARKER}$i"; cat "/kcl-read/$i/${file}" 2>/dev/null || true; done`
  const indexes = volumes.map((_, index) => String(index))
  let lastError: unknown
  for (const image of [...new Set(images)]) {
    let output: string
    try {
      output = await docker(['run', '--rm', '--pull', 'never', '--network', 'none', '--entrypoint', 'sh', ...mounts, image, '-c', script, 'sh', ...indexes], {timeoutMs: 60_000})
    } catch (error) {
      lastError = error
      continue
    }
    const contents = new Map<string, string | undefined>(volumes.map((volume) => [volume, undefined]))
    let current: string | undefined
    const lines: string[] = []
    const flush = () => {
      if (current !== undefined && lines.length > 0) contents.set(current, lines.join('\n'))
      lines.length = 0
    }
    for (const line of output.split('\n')) {
      if (line.startsWith(READ_MARKER)) {
        flush()
        current = volumes[Number(line.slice(READ_MARKER.length))]
      } else lines.push(line)
    }
    flush()
    return contents
  }
  throw lastError ?? usageError('No image to read volumes with.')
}
