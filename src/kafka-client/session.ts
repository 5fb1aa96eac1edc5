import type {ConsumeSession} from '../kafka/client.ts'
import type {Cluster} from './cluster.ts'

/**
 * A group member's consume session: `run` works until its signal aborts; stopping aborts it, lets it finish what
 * it does on leaving (a last commit or acknowledgement, leaving the group) and only then closes the connections.
 */
export function memberSession(cluster: Cluster, run: (signal: AbortSignal) => Promise<void>): ConsumeSession {
  const stopController = new AbortController()
  const finished = run(stopController.signal)
  finished.catch(() => {})
  let stopping: Promise<void> | undefined
  return {
    finished,
    stop: () => {
      stopping ??= (async () => {
        stopController.abort()
        await finished.catch(() => {})
        cluster.close()
      })()
      return stopping
    },
  }
}
