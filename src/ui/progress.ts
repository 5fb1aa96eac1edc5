import type {ListrTask} from 'listr2'
import {whileInterruptible, type LeftState, type StopSignal} from '../interrupt.ts'
import type {ProgressTask} from '../progress.ts'

export type ProgressMode = 'live' | 'lines' | 'silent'

/** Live redrawn progress in a terminal, one line per finished step in logs and CI, nothing for --json. */
export function progressMode(json: boolean, stream: NodeJS.WriteStream = process.stdout): ProgressMode {
  if (json) return 'silent'
  return stream.isTTY && !process.env.CI ? 'live' : 'lines'
}

function toListr(step: ProgressTask): ListrTask {
  return {
    title: step.title,
    task: async (_context, task) => {
      if (step.concurrent) return task.newListr(step.concurrent.map(toListr), {concurrent: true, exitOnError: true})
      await step.run?.((title) => {
        task.title = title
      })
    },
  }
}

/**
 * Runs the steps of a long operation. With `interrupted`, Ctrl-C and SIGTERM stop the steps (their Docker calls and
 * polls, see src/interrupt.ts), and `interrupted` cleans up and says what state is left: the command's error, exit
 * 130 or 143. listr2's own signal handling (exit 127, nothing said) is off.
 */
export async function runProgress(tasks: ProgressTask[], mode: ProgressMode, interrupted?: (signal: StopSignal) => Promise<LeftState>): Promise<void> {
  const {Listr} = await import('listr2')
  const renderer = mode === 'live' ? 'default' : mode === 'lines' ? 'simple' : 'silent'
  const run = () => new Listr(tasks.map(toListr), {renderer, exitOnError: true, registerSignalListeners: false, rendererOptions: {collapseSubtasks: false}}).run()
  await (interrupted ? whileInterruptible(run, interrupted) : run())
}
