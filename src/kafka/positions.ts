import {usageError} from '../errors.ts'
import type {KafkaClient, PartitionOffsets} from './client.ts'

/** A place in a partition, as `consume --from` and `group reset --to` name it. */
export type Position =
  | {kind: 'beginning'}
  | {kind: 'end'}
  | {kind: 'offset'; offset: number}
  | {kind: 'last'; count: number}
  | {kind: 'timestamp'; timestamp: number}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/
/** 9999-12-31T23:59:59.999Z: later timestamps are no date a record has. */
const LATEST_TIMESTAMP = 253_402_300_799_999

export function parsePosition(text: string, flag: string, options: {allowLast: boolean}): Position {
  const value = text.trim()
  if (value === 'beginning' || value === 'earliest' || value === 'start' || value === 'oldest') return {kind: 'beginning'}
  if (value === 'end' || value === 'latest' || value === 'newest') return {kind: 'end'}
  if (/^\d+$/.test(value)) return {kind: 'offset', offset: Number(value)}
  if (options.allowLast && /^-\d+$/.test(value) && value !== '-0') return {kind: 'last', count: Number(value.slice(1))}
  if (value.startsWith('@')) {
    const rest = value.slice(1)
    // Date.parse alone takes "-5" or " 5" for dates: only digits (ms) or an ISO date, from 1970 to the year 9999.
    const timestamp = /^\d{1,15}$/.test(rest) ? Number(rest) : ISO_DATE.test(rest) ? Date.parse(rest) : NaN
    if (Number.isFinite(timestamp) && timestamp >= 0 && timestamp <= LATEST_TIMESTAMP) return {kind: 'timestamp', timestamp}
    throw usageError(`${flag} ${text}: "${rest}" is not a timestamp from 1970 to 9999.`, 'Use milliseconds since the epoch or an ISO date, e.g. @2024-05-01T12:00:00Z.')
  }
  const forms = options.allowLast ? 'beginning, end, an offset, -N (the last N records) or @TIMESTAMP' : 'earliest, latest, an offset or @TIMESTAMP'
  throw usageError(`${flag} "${text}" is not a position.`, `Use ${forms}.`)
}

/** The offset each partition starts at for a position; offsets outside the log are clamped to it. */
export async function resolvePosition(client: KafkaClient, topic: string, position: Position, offsets?: PartitionOffsets[]): Promise<Map<number, number>> {
  const ranges = offsets ?? (await client.topicOffsets(topic))
  const result = new Map<number, number>()
  const byTimestamp = position.kind === 'timestamp' ? await client.offsetsForTimestamp(topic, position.timestamp) : []
  for (const {partition, low, high} of ranges) {
    const clamp = (offset: number): number => Math.min(Math.max(offset, low), high)
    switch (position.kind) {
      case 'beginning':
        result.set(partition, low)
        break
      case 'end':
        result.set(partition, high)
        break
      case 'offset':
        result.set(partition, clamp(position.offset))
        break
      case 'last':
        result.set(partition, clamp(high - position.count))
        break
      case 'timestamp': {
        const found = byTimestamp.find((p) => p.partition === partition)?.offset
        result.set(partition, found === undefined || found < 0 ? high : clamp(found))
        break
      }
    }
  }
  return result
}
