/** Kafka's protocol error codes that kcl's own requests meet, by the names the Kafka docs (and translateKafkaError) use. */
const NAMES: Record<number, string> = {
  [-1]: 'UNKNOWN_SERVER_ERROR',
  1: 'OFFSET_OUT_OF_RANGE',
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  8: 'BROKER_NOT_AVAILABLE',
  10: 'MESSAGE_TOO_LARGE',
  13: 'NETWORK_EXCEPTION',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  17: 'INVALID_TOPIC_EXCEPTION',
  18: 'RECORD_LIST_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  35: 'UNSUPPORTED_VERSION',
  45: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  47: 'INVALID_PRODUCER_EPOCH',
  51: 'CONCURRENT_TRANSACTIONS',
  56: 'KAFKA_STORAGE_ERROR',
  59: 'UNKNOWN_PRODUCER_ID',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  87: 'INVALID_RECORD',
}

/** What kcl's own code raises, in Kafka's terms, for a partition whose metadata shows no leader (yet). */
export const LEADER_NOT_AVAILABLE = 5

/** Errors that go away by themselves: leadership moving, a broker or coordinator starting, replicas catching up. */
const RETRIABLE = new Set([3, 5, 6, 7, 8, 13, 14, 15, 16, 19, 20, 51, 56, 74, 75])

export const isRetriable = (errorCode: number): boolean => RETRIABLE.has(errorCode)

/** The pause before retry number `attempt` (from 0) of something that goes away by itself: 100 ms, doubling, at most 1 s. */
export const retryDelay = (attempt: number): number => Math.min(100 * 2 ** attempt, 1000)

/** A Kafka error code in an answer. `type` is the code's name, which translateKafkaError turns into kcl's message. */
export class KafkaProtocolError extends Error {
  readonly errorCode: number
  readonly type: string

  constructor(errorCode: number, what: string) {
    const type = NAMES[errorCode] ?? `ERROR_${errorCode}`
    super(`${what} failed with ${type} (Kafka error code ${errorCode})`)
    this.errorCode = errorCode
    this.type = type
  }

  get retriable(): boolean {
    return isRetriable(this.errorCode)
  }
}
