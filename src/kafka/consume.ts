import type {Writable} from 'node:stream'
import {usageError} from '../errors.ts'
import type {ConsumedRecord, ConsumeSession, GroupProtocol, KafkaClient} from './client.ts'
import {parsePosition, resolvePosition} from './positions.ts'
import {compileFormat, formatText, toJsonRecord, valueLines} from './records.ts'
import {requireTopic} from './topics.ts'

export type OutputFormat = 'text' | 'json' | 'raw'

export interface ConsumeOptions {
  topic: string
  group?: string
  /** With a group: its protocol (the client picks when absent). */
  groupProtocol?: GroupProtocol
  /** beginning | end | OFFSET | -N | @TIMESTAMP */
  from: string
  maxMessages?: number
  exitAtEnd: boolean
  partition?: number
  output: OutputFormat
  format?: string
  /** Where records go; awaited, so a slow reader slows consumption instead of filling memory. */
  out: RecordSink
  /** Progress lines for the user (partition assignments), meant for stderr. */
  notice(line: string): void
  /** Aborting (Ctrl-C) stops consuming, commits what was printed (with a group) and leaves the group. */
  signal?: AbortSignal
}

export interface ConsumeResult {
  count: number
}

export interface RecordSink {
  /** Resolves true once the chunk was handed on, false when the reader went away first (then it never arrives). */
  write(chunk: string | Buffer): Promise<boolean>
  /** Resolves when the reader went away (a closed pipe): then consuming stops quietly. */
  readonly closed: Promise<void>
}

/** A sink over a stream such as stdout, honouring its backpressure and noticing a closed pipe. */
export function streamSink(stream: Writable): RecordSink {
  let markClosed: () => void = () => {}
  const closed = new Promise<void>((resolve) => (markClosed = resolve))
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') markClosed()
  })
  return {
    closed,
    // Handed on means written: the write's callback came without an error. A pipe closed meanwhile (`| head`)
    // answers EPIPE there, and what it could not take is not counted, so a group does not commit it.
    write: (chunk) =>
      Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => {
          stream.write(chunk, (error) => resolve(!error))
        }),
      ]),
  }
}

export function renderer(output: OutputFormat, format: string | undefined): (record: ConsumedRecord) => string {
  if (format !== undefined) return compileFormat(format)
  switch (output) {
    case 'json':
      return (record) => `${JSON.stringify(toJsonRecord(record))}\n`
    case 'raw':
      return (record) => `${record.value?.toString('utf8') ?? ''}\n`
    case 'text':
      return formatText
  }
}

const describePartitions = (topic: string, partitions: number[]): string => partitions.map((p) => `${topic}[${p}]`).join(', ')

export function validateConsumeOptions(options: ConsumeOptions): void {
  if (options.partition !== undefined && options.group !== undefined) {
    throw usageError('--partition cannot be used with --group: the group decides which partitions each consumer reads.', 'Drop one of them.')
  }
  if (options.partition !== undefined && (!Number.isInteger(options.partition) || options.partition < 0)) {
    throw usageError(`--partition must be 0 or more, not ${options.partition}.`)
  }
  if (options.maxMessages !== undefined && (!Number.isInteger(options.maxMessages) || options.maxMessages < 1)) {
    throw usageError(`--max-messages must be 1 or more, not ${options.maxMessages}.`)
  }
  if (options.format !== undefined && options.output !== 'text') throw usageError('--format and --output json/raw cannot be used together.')
  if (options.group !== undefined && options.group.trim() === '') throw usageError('--group cannot be empty.')
  if (options.groupProtocol !== undefined && options.group === undefined) throw usageError('--group-protocol only applies with --group.')
}

export async function consume(client: KafkaClient, options: ConsumeOptions): Promise<ConsumeResult> {
  validateConsumeOptions(options)
  const render = renderer(options.output, options.format)
  // One write per fetched batch; values are copied once into a single buffer.
  const renderAll = (records: ConsumedRecord[]): string | Buffer =>
    options.output === 'json' || options.format !== undefined ? records.map(render).join('') : valueLines(records, options.output)
  const position = parsePosition(options.from, '--from', {allowLast: true})
  const partitions = await requireTopic(client, options.topic)
  if (options.partition !== undefined && options.partition >= partitions.length) {
    throw usageError(`Topic "${options.topic}" has partitions 0 to ${partitions.length - 1}; there is no partition ${options.partition}.`)
  }
  const leaderless = partitions.filter((p) => p.leader < 0 && (options.partition === undefined || p.partition === options.partition))
  if (leaderless.length > 0) options.notice(`${describePartitions(options.topic, leaderless.map((p) => p.partition))} without a leader: waiting up to 30 s for one`)
  const ranges = await client.topicOffsets(options.topic)
  const ends = new Map(ranges.map((r) => [r.partition, r.high]))
  const lows = new Map(ranges.map((r) => [r.partition, r.low]))
  const {group} = options
  // A group starts where it committed, or at beginning/end when it has not; other positions override that.
  const explicitStart = group === undefined || (position.kind !== 'beginning' && position.kind !== 'end')
  const startOffsets = explicitStart ? await resolvePosition(client, options.topic, position, ranges) : undefined
  const fromBeginning = position.kind !== 'end'

  let count = 0
  // Records can arrive before the assignment is handled (a group's join event is not awaited): until then the end is unknown.
  let assigned: number[] | undefined
  const next = new Map<number, number>()
  let finish: () => void = () => {}
  const done = new Promise<void>((resolve) => (finish = resolve))
  const atEnd = (): boolean => assigned !== undefined && assigned.every((p) => (next.get(p) ?? -1) >= (ends.get(p) ?? 0))
  const checkDone = (): void => {
    if (options.maxMessages !== undefined && count >= options.maxMessages) finish()
    else if (options.exitAtEnd && atEnd()) finish()
  }

  const onAssignment = async (partitions: number[]): Promise<void> => {
    if (group === undefined) {
      options.notice(`reading ${describePartitions(options.topic, partitions)}`)
    } else {
      const revoked = (assigned ?? []).filter((p) => !partitions.includes(p))
      if (revoked.length > 0) options.notice(`group ${group}: revoked ${describePartitions(options.topic, revoked)}`)
      options.notice(`group ${group}: ${partitions.length === 0 ? 'assigned nothing (the group has more consumers than partitions)' : `assigned ${describePartitions(options.topic, partitions)}`}`)
    }
    if (options.exitAtEnd) {
      const committed = group !== undefined && !startOffsets ? await client.committedOffsets(group, [options.topic]) : []
      for (const p of partitions) {
        if (next.has(p)) continue
        const fromCommit = committed.find((c) => c.partition === p)?.offset ?? -1
        next.set(p, startOffsets?.get(p) ?? (fromCommit >= 0 ? fromCommit : fromBeginning ? (lows.get(p) ?? 0) : (ends.get(p) ?? 0)))
      }
    }
    assigned = partitions
    checkDone()
  }

  const onRecords = async (records: ConsumedRecord[]): Promise<number> => {
    const remaining = options.maxMessages === undefined ? records.length : options.maxMessages - count
    const taken = records.slice(0, Math.max(0, remaining))
    if (taken.length === 0) return 0
    // Records count as consumed (and a group commits them) only once they reached the output.
    if (!(await options.out.write(renderAll(taken)))) return 0
    count += taken.length
    next.set(taken[0]!.partition, taken[taken.length - 1]!.offset + 1)
    checkDone()
    return taken.length
  }

  const onPosition = (partition: number, offset: number): void => {
    next.set(partition, offset)
    checkDone()
  }

  const session = await client.consume({
    topic: options.topic,
    group,
    groupProtocol: options.groupProtocol,
    partitions: options.partition === undefined ? undefined : [options.partition],
    fromBeginning,
    startOffsets,
    onAssignment,
    onRecords,
    onPosition,
  })
  await consumeUntilDone(session, done, options)
  return {count}
}

/**
 * Lets a consume session run until the records wanted are in (done), Ctrl-C (the signal), the output closing or
 * the session ending on its own; then stops it and passes on its failure, if it failed.
 */
export async function consumeUntilDone(session: ConsumeSession, done: Promise<void>, options: Pick<ConsumeOptions, 'signal' | 'out'>): Promise<void> {
  const aborted = new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve()
    options.signal?.addEventListener('abort', () => resolve(), {once: true})
  })
  try {
    await Promise.race([done, aborted, options.out.closed, session.finished])
  } finally {
    await session.stop()
  }
  await session.finished
}
