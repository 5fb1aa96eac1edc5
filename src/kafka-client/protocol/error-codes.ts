/** Kafka's protocol error codes by the names Kafka's documentation (and translateKafkaError) uses. */
const NAMES: Record<number, string> = {
  [-1]: 'UNKNOWN_SERVER_ERROR',
  1: 'OFFSET_OUT_OF_RANGE',
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  4: 'INVALID_FETCH_SIZE',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  8: 'BROKER_NOT_AVAILABLE',
  9: 'REPLICA_NOT_AVAILABLE',
  10: 'MESSAGE_TOO_LARGE',
  12: 'OFFSET_METADATA_TOO_LARGE',
  13: 'NETWORK_EXCEPTION',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  17: 'INVALID_TOPIC_EXCEPTION',
  18: 'RECORD_LIST_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  21: 'INVALID_REQUIRED_ACKS',
  22: 'ILLEGAL_GENERATION',
  23: 'INCONSISTENT_GROUP_PROTOCOL',
  24: 'INVALID_GROUP_ID',
  25: 'UNKNOWN_MEMBER_ID',
  26: 'INVALID_SESSION_TIMEOUT',
  27: 'REBALANCE_IN_PROGRESS',
  28: 'INVALID_COMMIT_OFFSET_SIZE',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  30: 'GROUP_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  32: 'INVALID_TIMESTAMP',
  33: 'UNSUPPORTED_SASL_MECHANISM',
  34: 'ILLEGAL_SASL_STATE',
  35: 'UNSUPPORTED_VERSION',
  36: 'TOPIC_ALREADY_EXISTS',
  37: 'INVALID_PARTITIONS',
  38: 'INVALID_REPLICATION_FACTOR',
  39: 'INVALID_REPLICA_ASSIGNMENT',
  40: 'INVALID_CONFIG',
  41: 'NOT_CONTROLLER',
  42: 'INVALID_REQUEST',
  43: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  44: 'POLICY_VIOLATION',
  45: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  46: 'DUPLICATE_SEQUENCE_NUMBER',
  47: 'INVALID_PRODUCER_EPOCH',
  48: 'INVALID_TXN_STATE',
  49: 'INVALID_PRODUCER_ID_MAPPING',
  51: 'CONCURRENT_TRANSACTIONS',
  56: 'KAFKA_STORAGE_ERROR',
  58: 'SASL_AUTHENTICATION_FAILED',
  59: 'UNKNOWN_PRODUCER_ID',
  68: 'NON_EMPTY_GROUP',
  69: 'GROUP_ID_NOT_FOUND',
  72: 'LISTENER_NOT_FOUND',
  73: 'TOPIC_DELETION_DISABLED',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  76: 'UNSUPPORTED_COMPRESSION_TYPE',
  78: 'OFFSET_NOT_AVAILABLE',
  79: 'MEMBER_ID_REQUIRED',
  81: 'GROUP_MAX_SIZE_REACHED',
  82: 'FENCED_INSTANCE_ID',
  86: 'GROUP_SUBSCRIBED_TO_TOPIC',
  87: 'INVALID_RECORD',
  88: 'UNSTABLE_OFFSET_COMMIT',
  89: 'THROTTLING_QUOTA_EXCEEDED',
  100: 'UNKNOWN_TOPIC_ID',
  110: 'FENCED_MEMBER_EPOCH',
  111: 'UNRELEASED_INSTANCE_ID',
  112: 'UNSUPPORTED_ASSIGNOR',
  113: 'STALE_MEMBER_EPOCH',
  121: 'INVALID_RECORD_STATE',
  122: 'SHARE_SESSION_NOT_FOUND',
  123: 'INVALID_SHARE_SESSION_EPOCH',
  133: 'SHARE_SESSION_LIMIT_REACHED',
}

export const NONE = 0
export const OFFSET_OUT_OF_RANGE = 1
export const UNKNOWN_TOPIC_OR_PARTITION = 3
/** What kcl's own code raises, in Kafka's terms, for a partition whose metadata shows no leader (yet). */
export const LEADER_NOT_AVAILABLE = 5
export const COORDINATOR_LOAD_IN_PROGRESS = 14
export const COORDINATOR_NOT_AVAILABLE = 15
export const NOT_COORDINATOR = 16
export const ILLEGAL_GENERATION = 22
export const UNKNOWN_MEMBER_ID = 25
export const REBALANCE_IN_PROGRESS = 27
export const UNSUPPORTED_VERSION = 35
export const TOPIC_ALREADY_EXISTS = 36
export const OUT_OF_ORDER_SEQUENCE_NUMBER = 45
export const DUPLICATE_SEQUENCE_NUMBER = 46
export const GROUP_ID_NOT_FOUND = 69
export const MEMBER_ID_REQUIRED = 79
export const UNSTABLE_OFFSET_COMMIT = 88
export const FENCED_MEMBER_EPOCH = 110
export const UNRELEASED_INSTANCE_ID = 111
export const STALE_MEMBER_EPOCH = 113
export const SHARE_SESSION_NOT_FOUND = 122
export const INVALID_SHARE_SESSION_EPOCH = 123

/** Errors that go away by themselves: leadership moving, a broker or coordinator starting, replicas catching up. */
const RETRIABLE = new Set([3, 5, 6, 7, 8, 13, 14, 15, 16, 19, 20, 51, 56, 74, 75, 78, 88, 89])

export const isRetriable = (errorCode: number): boolean => RETRIABLE.has(errorCode)

export const errorName = (errorCode: number): string => NAMES[errorCode] ?? `ERROR_${errorCode}`

/** The pause before retry number `attempt` (from 0) of something that goes away by itself: 100 ms, doubling, at most 1 s. */
export const retryDelay = (attempt: number): number => Math.min(100 * 2 ** attempt, 1000)

/** A Kafka error code in an answer. `type` is the code's name, which translateKafkaError turns into kcl's message. */
export class KafkaProtocolError extends Error {
  readonly errorCode: number
  readonly type: string

  /** `detail`: the error message the broker sent along, if any. */
  constructor(errorCode: number, what: string, detail?: string | null) {
    const type = errorName(errorCode)
    super(`${what} failed with ${type} (Kafka error code ${errorCode})${detail ? `: ${detail}` : ''}`)
    this.errorCode = errorCode
    this.type = type
  }

  get retriable(): boolean {
    return isRetriable(this.errorCode)
  }
}
