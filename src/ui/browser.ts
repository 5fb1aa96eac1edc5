import {runProcess} from '../docker/process.ts'

/** The system's way of opening a URL in the default browser. */
function opener(url: string): [string, string[]] {
  if (process.platform === 'darwin') return ['open', [url]]
  // start's first quoted argument is a window title.
  if (process.platform === 'win32') return ['cmd', ['/d', '/s', '/c', 'start', '""', url]]
  return ['xdg-open', [url]]
}

/** Whether a browser should open by itself: not in CI, not on a Linux machine without a display. */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return false
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return false
  return true
}

/** Opens the URL; false when that did not work (the URL is printed anyway). */
export async function openBrowser(url: string): Promise<boolean> {
  const [file, args] = opener(url)
  const result = await runProcess(file, args, {reject: false, stdio: 'ignore', timeout: 10_000, detached: process.platform !== 'win32'})
  return !result.failed
}
