import {ExitCode, KclError, usageError} from '../errors.ts'
import {ConnectionError, ProtocolViolation, UnsupportedApi} from './connection.ts'
import {KafkaProtocolError} from './protocol/error-codes.ts'

/** What was being done when an error came back, so the message can name it. */
export interface ErrorContext {
  servers: string[]
  topic?: string
  group?: string
}

function connectionReason(error: ConnectionError): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host'
    case 'ETIMEDOUT':
      return 'no answer in time'
    default:
      return error.message.replace(/^[^ ]+: /, '') || 'no answer'
  }
}

/** No bootstrap server answered. */
export function unreachable(servers: string[], cause: ConnectionError): KclError {
  return new KclError(`Cannot reach Kafka at ${servers.join(',')} (${connectionReason(cause)}).`, {
    hint: 'Is the cluster running? `kcl status` shows it; `kcl up` starts one; -b points at another.',
    exitCode: ExitCode.environment,
  })
}

const quoted = (name: string | undefined): string => (name === undefined ? '' : ` "${name}"`)

/** The broker's own words about an error, when it sent any (the part after the error's name). */
const brokerSays = (error: KafkaProtocolError): string => error.message.replace(/^.*?\(Kafka error code -?\d+\)(: )?/, '').replace(/\.$/, '') || error.type

/** Turns whatever kcl's Kafka client threw into one clear KclError with a hint. KclErrors pass through. */
export function translateKafkaError(error: unknown, context: ErrorContext): KclError {
  if (error instanceof KclError) return error
  const where = context.servers.join(',')
  if (error instanceof ProtocolViolation) {
    const hint = error.notKafka ? 'Check the address: -b (or the cluster) must name a Kafka listener, host:port.' : 'The broker sent data kcl cannot read; please report it with the Kafka version.'
    return new KclError(`${error.message}.`, {hint, exitCode: ExitCode.environment})
  }
  if (error instanceof UnsupportedApi) {
    return new KclError(`Kafka at ${where} is too old for kcl: ${error.message}.`, {hint: 'kcl works with Kafka 3.0 and newer.', exitCode: ExitCode.environment})
  }
  if (error instanceof ConnectionError) {
    if (error.code === 'ETIMEDOUT' && /no answer to/.test(error.message)) {
      return new KclError(`Kafka at ${where} did not answer in time (${error.message}).`, {hint: '`kcl status` shows whether the brokers are healthy.', exitCode: ExitCode.environment})
    }
    return unreachable(context.servers, error)
  }
  if (!(error instanceof KafkaProtocolError)) {
    return new KclError(`Kafka client error: ${(error as Error)?.message ?? String(error)}`, {hint: 'Run again with KCL_DEBUG=1 for the stack trace.'})
  }
  switch (error.type) {
    case 'TOPIC_ALREADY_EXISTS':
      return usageError(`Topic${quoted(context.topic)} already exists.`, 'Pass --if-not-exists to accept an existing topic.')
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'UNKNOWN_TOPIC_ID':
      return usageError(`Topic${quoted(context.topic)} does not exist.`, '`kcl topic list` shows the topics; `kcl topic create NAME` makes one.')
    case 'INVALID_REPLICATION_FACTOR':
      return usageError(`Invalid replication factor: ${brokerSays(error)}.`, 'It must be between 1 and the number of brokers.')
    case 'INVALID_PARTITIONS':
      return usageError(`Invalid number of partitions: ${brokerSays(error)}.`, 'Use --partitions 1 or more.')
    case 'INVALID_CONFIG':
      return usageError(`Kafka rejected a topic config: ${brokerSays(error)}.`, 'See https://kafka.apache.org/documentation/#topicconfigs for names and values.')
    case 'INVALID_TOPIC_EXCEPTION':
      return usageError(`Kafka rejected the topic name${quoted(context.topic)}.`, 'Use 1 to 249 characters of a-z, A-Z, 0-9, ".", "_" and "-".')
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
      return usageError(`A message is larger than the broker accepts for topic${quoted(context.topic)}.`, 'Raise the limit, e.g. `kcl topic create NAME --config max.message.bytes=10485760`.')
    case 'POLICY_VIOLATION':
      return usageError(`Kafka refused by policy: ${brokerSays(error)}.`)
    case 'NON_EMPTY_GROUP':
      return usageError(`Group${quoted(context.group)} has active members.`, 'Stop its consumers first.')
    case 'GROUP_ID_NOT_FOUND':
      return usageError(`Group${quoted(context.group)} does not exist.`, '`kcl group list` shows the groups.')
    case 'INVALID_GROUP_ID':
      return usageError(`Kafka rejected the group name${quoted(context.group)}.`)
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'GROUP_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return new KclError(`Kafka at ${where} refused: ${error.message.replace(/\.$/, '')}.`, {hint: 'The user kcl connects as lacks an ACL for this.', exitCode: ExitCode.environment})
    case 'COORDINATOR_NOT_AVAILABLE':
    case 'COORDINATOR_LOAD_IN_PROGRESS':
    case 'NOT_COORDINATOR':
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
    case 'NOT_LEADER_OR_FOLLOWER':
      return new KclError(`A partition of topic${quoted(context.topic)} has no leader right now.`, {
        hint: `\`kcl topic describe${context.topic === undefined ? '' : ` ${context.topic}`}\` shows which; wait for the brokers to recover (\`kcl status\` shows them).`,
        exitCode: ExitCode.environment,
      })
    case 'REQUEST_TIMED_OUT':
      return new KclError(`Kafka at ${where} did not answer in time (${error.message.replace(/\.$/, '')}).`, {hint: '`kcl status` shows whether the brokers are healthy.', exitCode: ExitCode.environment})
    default:
      return new KclError(`${error.message.replace(/\.$/, '')}.`, {exitCode: ExitCode.environment})
  }
}
