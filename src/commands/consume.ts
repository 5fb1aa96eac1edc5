import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../flags.ts'
import {consume, streamSink, type ConsumeOptions, type OutputFormat} from '../kafka/consume.ts'
import {FORMAT_HELP} from '../kafka/records.ts'
import {SHARE_ACKS, consumeShared} from '../kafka/share-consume.ts'

export default class Consume extends KclCommand {
  static summary = 'Print the records of a topic, as a member of a consumer group, of a share group, or on your own.'
  static description = `With --group, the group's committed offsets are used and committed, and the partitions this consumer gets are shown on stderr as they change: run it twice to watch the group split the partitions. Without --group kcl reads the partitions directly, like kcat: no group is joined and nothing is committed. Ctrl-C leaves cleanly.

With --share-group (Kafka 4 share groups, KIP-932) the group's members share the records instead of the partitions: every member works, however many there are. Each record shows its delivery count and is acknowledged once printed (--ack accept, the default; release hands it back to be delivered again; reject drops it). The records each answer acquired are shown on stderr.

--output json prints one object per line: topic, partition, offset, timestamp, key, value, headers (a list of [name, value] pairs, in order), deliveryCount with --share-group; text as UTF-8, anything else as {"base64": "…"}. --format fields: ${FORMAT_HELP}.`
  static examples = [
    {description: 'Everything in the topic, then keep waiting', command: '<%= config.bin %> consume weather-updates'},
    {description: 'As consumer group "1"', command: '<%= config.bin %> consume Delivery --group 1'},
    {description: 'As a member of a classic-protocol group (as Java consumers before Kafka 4 join)', command: '<%= config.bin %> consume Delivery --group 1 --group-protocol classic'},
    {description: 'As a member of share group "1": run it three times on a 2-partition topic, all three get records', command: '<%= config.bin %> consume Delivery --share-group 1'},
    {description: 'Hand every record back and watch it come again, one delivery later', command: '<%= config.bin %> consume Delivery --share-group 1 --ack release --max-messages 20'},
    {description: 'The last 10 records of partition 0, then exit', command: '<%= config.bin %> consume Delivery --partition 0 --from -10 --exit-at-end'},
    {description: 'Keys and values', command: "<%= config.bin %> consume Delivery --format '%k => %v (partition %p, offset %o)'"},
  ]
  static args = {topic: Args.string({description: 'topic to read', required: true, ignoreStdin: true})}
  static flags = {
    group: Flags.string({char: 'g', description: 'consumer group to join; its offsets are used and committed', helpValue: 'GROUP'}),
    'group-protocol': Flags.option({
      options: ['consumer', 'classic'] as const,
      description: 'with --group: consumer (KIP-848, the coordinator assigns) or classic (JoinGroup/SyncGroup); default consumer where the broker runs it, else classic',
    })(),
    'share-group': Flags.string({description: 'share group to join (Kafka 4.2+): its members share the records, not the partitions', helpValue: 'GROUP', exclusive: ['group']}),
    ack: Flags.option({
      options: SHARE_ACKS,
      description: 'with --share-group: what each printed record gets; accept (done), release (delivered again) or reject (never again)',
      dependsOn: ['share-group'],
    })(),
    from: Flags.string({
      char: 'o',
      description:
        'where to start: beginning, end, an OFFSET, -N (the last N per partition) or @TIMESTAMP (ms or ISO date); with --group, beginning/end apply where the group has no committed offset, the others the first time this consumer gets a partition',
      default: 'beginning',
      helpValue: 'POSITION',
    }),
    'max-messages': Flags.integer({char: 'm', description: 'exit after N records', helpValue: 'N'}),
    'exit-at-end': Flags.boolean({char: 'e', description: 'exit once the end of every partition (as it was at start) is reached'}),
    partition: Flags.integer({char: 'p', description: 'read only this partition (not with --group)', helpValue: 'N'}),
    output: Flags.option({options: ['text', 'json', 'raw'] as const, description: 'text: values (binary as base64:…); json: one object per record; raw: value bytes unchanged', default: 'text'})(),
    format: Flags.string({char: 'f', description: 'template per record, e.g. "%k %v"', helpValue: 'TEMPLATE'}),
    ...connectionFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Consume)
    const interrupted = new AbortController()
    const stop = (): void => interrupted.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const options: ConsumeOptions = {
        topic: args.topic,
        group: flags.group,
        groupProtocol: flags['group-protocol'],
        from: flags.from,
        maxMessages: flags['max-messages'],
        exitAtEnd: flags['exit-at-end'],
        partition: flags.partition,
        output: flags.output as OutputFormat,
        format: flags.format,
        out: streamSink(process.stdout),
        notice: (line) => this.logToStderr(line),
        signal: interrupted.signal,
      }
      const shareGroup = flags['share-group']
      await this.onKafka(connectionFlagValues(flags), (client) =>
        shareGroup === undefined ? consume(client, options) : consumeShared(client, {...options, shareGroup, ack: flags.ack}),
      )
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}
