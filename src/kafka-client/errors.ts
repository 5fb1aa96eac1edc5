import {ExitCode, KclError, usageError} from '../errors.ts'

/** What was being done when an error came back, so the message can name it. */
export interface ErrorContext {
  servers: string[]
  topic?: string
  group?: string
}

interface ErrorLike {
  name?: string
  message?: string
  type?: string
  code?: string
  cause?: unknown
  errors?: unknown[]
}

/** kafkajs wraps the real failure in retry and aggregate errors; the innermost one says what happened. */
export function rootCause(err: unknown): ErrorLike {
  let current = (err ?? {}) as ErrorLike
  for (let depth = 0; depth < 10; depth++) {
    if (current.name === 'KafkaJSAggregateError' && Array.isArray(current.errors) && current.errors.length > 0) {
      current = current.errors[0] as ErrorLike
    } else if (current.name === 'KafkaJSNumberOfRetriesExceeded' && current.cause && current.cause !== current) {
      current = current.cause as ErrorLike
    } else {
      break
    }
  }
  return current
}

const CONNECTION_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT']

function isConnectionFailure(cause: ErrorLike): boolean {
  if (cause.name === 'KafkaJSConnectionError' || cause.name === 'KafkaJSConnectionClosedError') return true
  if (cause.name === 'KafkaJSBrokerNotFound' || cause.name === 'KafkaJSNoBrokerAvailableError') return true
  if (cause.code && CONNECTION_CODES.includes(cause.code)) return true
  return /Connection (error|timeout)|Failed to connect|No broker available/i.test(cause.message ?? '')
}

function connectionReason(cause: ErrorLike): string {
  const message = cause.message ?? ''
  if (/ECONNREFUSED/.test(message) || cause.code === 'ECONNREFUSED') return 'connection refused'
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'unknown host'
  if (/timeout|ETIMEDOUT|no answer/i.test(message)) return 'no answer in time'
  return message.replace(/^Connection error: /, '') || 'no answer'
}

/** No bootstrap server answered. */
export function unreachable(servers: string[], cause: unknown): KclError {
  return new KclError(`Cannot reach Kafka at ${servers.join(',')} (${connectionReason((cause ?? {}) as ErrorLike)}).`, {
    hint: 'Is the cluster running? `kcl status` shows it; `kcl up` starts one; -b points at another.',
    exitCode: ExitCode.environment,
  })
}

const quoted = (name: string | undefined): string => (name === undefined ? '' : ` "${name}"`)

/** Turns whatever the Kafka client threw into one clear KclError with a hint. KclErrors pass through. */
export function translateKafkaError(err: unknown, context: ErrorContext): KclError {
  if (err instanceof KclError) return err
  const cause = rootCause(err)
  const where = context.servers.join(',')
  switch (cause.type) {
    case 'TOPIC_ALREADY_EXISTS':
      return usageError(`Topic${quoted(context.topic)} already exists.`, 'Pass --if-not-exists to accept an existing topic.')
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      return usageError(`Topic${quoted(context.topic)} does not exist.`, '`kcl topic list` shows the topics; `kcl topic create NAME` makes one.')
    case 'INVALID_REPLICATION_FACTOR':
      return usageError(`Invalid replication factor: ${cause.message}.`, 'It must be between 1 and the number of brokers.')
    case 'INVALID_PARTITIONS':
      return usageError(`Invalid number of partitions: ${cause.message}.`, 'Use --partitions 1 or more.')
    case 'INVALID_CONFIG':
      return usageError(`Kafka rejected a topic config: ${cause.message}.`, 'See https://kafka.apache.org/documentation/#topicconfigs for names and values.')
    case 'INVALID_TOPIC_EXCEPTION':
      return usageError(`Kafka rejected the topic name${quoted(context.topic)}.`, 'Use 1 to 249 characters of a-z, A-Z, 0-9, ".", "_" and "-".')
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
      return usageError(`A message is larger than the broker accepts for topic${quoted(context.topic)}.`, 'Raise the limit, e.g. `kcl topic create NAME --config max.message.bytes=10485760`.')
    case 'POLICY_VIOLATION':
      return usageError(`Kafka refused by policy: ${cause.message}.`)
    case 'NON_EMPTY_GROUP':
      return usageError(`Group${quoted(context.group)} has active members.`, 'Stop its consumers first.')
    case 'GROUP_ID_NOT_FOUND':
      return usageError(`Group${quoted(context.group)} does not exist.`, '`kcl group list` shows the groups.')
    case 'COORDINATOR_NOT_AVAILABLE':
    case 'GROUP_COORDINATOR_NOT_AVAILABLE':
    case 'COORDINATOR_LOAD_IN_PROGRESS':
    case 'GROUP_LOAD_IN_PROGRESS': // kafkajs' name for COORDINATOR_LOAD_IN_PROGRESS (also the transaction coordinator's)
      return new KclError(`The group coordinator at ${where} is not available yet.`, {
        hint: 'The cluster may still be starting (the __consumer_offsets topic needs its replicas); try again in a few seconds.',
        exitCode: ExitCode.environment,
      })
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
      return new KclError(`Not enough in-sync replicas for topic${quoted(context.topic)} to accept writes with acks=all.`, {
        hint: 'Start the stopped brokers (`kcl status`), or produce with --acks 1.',
        exitCode: ExitCode.environment,
      })
    case 'LEADER_NOT_AVAILABLE':
    case 'NOT_LEADER_FOR_PARTITION':
    case 'NOT_LEADER_OR_FOLLOWER':
      return new KclError(`A partition of topic${quoted(context.topic)} has no leader right now.`, {
        hint: '`kcl topic describe` shows which; wait for the brokers to recover.',
        exitCode: ExitCode.environment,
      })
    case undefined:
      break
    default:
      return new KclError(`Kafka answered ${cause.type}: ${cause.message}.`)
  }
  if (isConnectionFailure(cause)) return unreachable(context.servers, cause)
  if (cause.name === 'KafkaJSRequestTimeoutError' || cause.name === 'KafkaJSTimeout') {
    return new KclError(`Kafka at ${where} did not answer in time.`, {hint: '`kcl status` shows whether the brokers are healthy.', exitCode: ExitCode.environment})
  }
  if (/not implemented/i.test(cause.message ?? '') && /compression|codec/i.test(cause.message ?? '')) {
    return new KclError(`Records use a compression kcl cannot decode (${cause.message}).`, {hint: 'kcl reads uncompressed and gzip records.'})
  }
  return new KclError(`Kafka client error: ${cause.message ?? String(err)}`, {hint: 'Run again with KCL_DEBUG=1 for the client log.'})
}
