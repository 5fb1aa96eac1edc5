import {usageError} from '../errors.ts'
import type {AcquiredRange, ConsumedRecord, KafkaClient, ShareAck} from './client.ts'
import {consumeUntilDone, renderer, type ConsumeOptions, type ConsumeResult} from './consume.ts'
import {parsePosition} from './positions.ts'
import {requireTopic} from './topics.ts'

/**
 * Consuming as a member of a share group (KIP-932, "queues for Kafka"): the group's members share the records,
 * not the partitions, so more consumers than partitions all work. Each record comes with its delivery count and
 * is acknowledged once it reached the output: accept, release (it comes back, to any member, one delivery
 * later) or reject.
 */

export const SHARE_ACKS = ['accept', 'release', 'reject'] as const satisfies readonly ShareAck[]
/** The group config that says where a share group starts reading a partition it never read. */
const AUTO_OFFSET_RESET = 'share.auto.offset.reset'

/** `kcl consume --share-group`: consume's options, with the group to join and how records are acknowledged (accept when absent). */
export type ShareConsumeOptions = ConsumeOptions & {shareGroup: string; ack?: ShareAck}

export function validateShareOptions(options: ShareConsumeOptions): void {
  const conflict = (flag: string, why: string): never => {
    throw usageError(`${flag} cannot be used with --share-group: ${why}.`, `Drop ${flag}.`)
  }
  if (options.shareGroup.trim() === '') throw usageError('--share-group cannot be empty.')
  if (options.group !== undefined) conflict('--group', 'a consumer joins one group, a consumer group or a share group')
  if (options.groupProtocol !== undefined) conflict('--group-protocol', 'share groups have their own protocol')
  if (options.partition !== undefined) conflict('--partition', 'the share group decides where its members fetch from')
  if (options.exitAtEnd) conflict('--exit-at-end', 'records are shared, so no member has an end of its own; use --max-messages or Ctrl-C')
  if (options.from !== 'beginning' && options.from !== 'end') {
    throw usageError(`--from ${options.from} cannot be used with --share-group.`, 'A share group starts at the beginning or the end of partitions it never read: --from beginning or --from end.')
  }
}

const rangeText = (topic: string, r: AcquiredRange): string =>
  `${topic}[${r.partition}] ${r.firstOffset === r.lastOffset ? `offset ${r.firstOffset}` : `offsets ${r.firstOffset}-${r.lastOffset}`} (delivery ${r.deliveryCount})`

export async function consumeShared(client: KafkaClient, options: ShareConsumeOptions): Promise<ConsumeResult> {
  validateShareOptions(options)
  if (options.maxMessages !== undefined && (!Number.isInteger(options.maxMessages) || options.maxMessages < 1)) {
    throw usageError(`--max-messages must be 1 or more, not ${options.maxMessages}.`)
  }
  if (options.format !== undefined && options.output !== 'text') throw usageError('--format and --output json/raw cannot be used together.')
  const group = options.shareGroup
  const ack = options.ack ?? 'accept'
  const render = renderer(options.output, options.format)
  parsePosition(options.from, '--from', {allowLast: false})
  await requireTopic(client, options.topic)
  // Group names are one namespace for every type: Kafka would refuse the join, kcl says why first.
  const existing = await client.describeGroup(group)
  if (existing.type !== 'share' && existing.state !== 'Dead') {
    throw usageError(`Group "${group}" is a ${existing.type} group, not a share group.`, `Pick another name, or delete it once it is empty (\`kcl group delete ${group}\`).`)
  }
  // Where the group starts on partitions it never read: only set while it has read none of this topic, so an
  // existing group's setting stays as it is.
  const started = (await client.shareGroupOffsets(group)).some((o) => o.topic === options.topic && o.startOffset >= 0)
  if (!started) await client.alterGroupConfigs(group, {[AUTO_OFFSET_RESET]: options.from === 'end' ? 'latest' : 'earliest'})

  let count = 0
  let finish: () => void = () => {}
  const done = new Promise<void>((resolve) => (finish = resolve))
  const session = await client.consumeShared({
    topic: options.topic,
    group,
    ack,
    onAssignment: (partitions) =>
      options.notice(
        `share group ${group}: ${partitions.length === 0 ? 'assigned nothing yet' : `fetching from ${partitions.map((p) => `${options.topic}[${p}]`).join(', ')}`}`,
      ),
    onAcquired: (ranges) => {
      for (const range of ranges) options.notice(`share group ${group}: acquired ${rangeText(options.topic, range)}`)
    },
    onRecords: async (records: ConsumedRecord[]) => {
      const remaining = options.maxMessages === undefined ? records.length : options.maxMessages - count
      const taken = records.slice(0, Math.max(0, remaining))
      if (taken.length === 0) return 0
      // A record counts (and is acknowledged as --ack says) only once it reached the output; the rest are released.
      if (!(await options.out.write(taken.map(render).join('')))) return 0
      count += taken.length
      if (options.maxMessages !== undefined && count >= options.maxMessages) finish()
      return taken.length
    },
  })
  await consumeUntilDone(session, done, options)
  return {count}
}
