import {setTimeout as sleep} from 'node:timers/promises'
import type {Cluster} from './cluster.ts'
import {ConnectionError} from './connection.ts'
import {KafkaProtocolError, UNKNOWN_TOPIC_OR_PARTITION, retryDelay} from './protocol/error-codes.ts'

/** Leadership moving, a broker or a coordinator starting: retried this long. */
export const RETRY_BUDGET_MS = 30_000
/** How long a topic Kafka does not know is waited for, when the caller knows it exists (just created or listed). */
const NEW_TOPIC_WAIT_MS = 5000

/** Whether an error goes away by itself, given that the cluster answered before (a wrong -b never did). */
export function transient(cluster: Cluster, error: unknown): boolean {
  return (error instanceof ConnectionError && cluster.answered) || (error instanceof KafkaProtocolError && error.retriable)
}

/** A monotonic clock in ms, as performance.now(), which would load node:perf_hooks: ~1 ms of every Kafka command. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

/**
 * Runs `call`, again while it fails with an error that goes away by itself, for at most RETRY_BUDGET_MS. A cluster
 * that never answered is not waited for: a wrong -b gets its one clear line at once. `onRetry` runs before each
 * new attempt (to forget a coordinator that moved, say).
 */
export async function retrying<T>(
  cluster: Cluster,
  call: () => Promise<T>,
  options: {topicExists?: boolean; onRetry?: (error: unknown) => void; signal?: AbortSignal} = {},
): Promise<T> {
  const started = monotonicMs()
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      const elapsed = monotonicMs() - started
      const unknownTopic = error instanceof KafkaProtocolError && error.errorCode === UNKNOWN_TOPIC_OR_PARTITION
      const again = unknownTopic ? options.topicExists === true && elapsed < NEW_TOPIC_WAIT_MS : transient(cluster, error)
      if (!again || elapsed > RETRY_BUDGET_MS || options.signal?.aborted) throw error
      options.onRetry?.(error)
      await sleep(retryDelay(attempt), undefined, {signal: options.signal}).catch(() => {})
    }
  }
}
