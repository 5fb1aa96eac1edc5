import type {ListrTask} from 'listr2'
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

export async function runProgress(tasks: ProgressTask[], mode: ProgressMode): Promise<void> {
  const {Listr} = await import('listr2')
  const renderer = mode === 'live' ? 'default' : mode === 'lines' ? 'simple' : 'silent'
  await new Listr(tasks.map(toListr), {renderer, exitOnError: true, rendererOptions: {collapseSubtasks: false}}).run()
}
