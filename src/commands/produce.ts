import {createReadStream, fstatSync} from 'node:fs'
import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../flags.ts'
import type {Acks, Compression} from '../kafka/client.ts'
import {produce} from '../kafka/produce.ts'
import {produceSummary} from '../ui/produce-report.ts'

export default class Produce extends KclCommand {
  static summary = 'Send messages to a topic: from the arguments, one per line from stdin, or generated.'
  static description =
    'Messages given as arguments are sent one by one and each is reported with its partition and offset. Otherwise stdin is read line by line and sent in batches (millions of lines go through in bounded memory) and the count and rate are reported. By default acks=all with an idempotent producer: no message is lost or duplicated by retries.'
  static examples = [
    {description: "The weather lesson's message", command: '<%= config.bin %> produce weather-updates "it has started raining"'},
    {description: 'A file, one message per line, key before the first ":"', command: '<%= config.bin %> produce Delivery --key-separator : < deliveries.txt'},
    {description: 'Copy a topic with keys and headers', command: '<%= config.bin %> consume Delivery --output json --exit-at-end | <%= config.bin %> produce Delivery-copy --input json'},
    {description: '10,000 random deliveries at 500 a second', command: '<%= config.bin %> produce Delivery --generate 10000 --rate 500'},
  ]
  static strict = false
  static args = {
    topic: Args.string({description: 'topic to send to', required: true, ignoreStdin: true}),
    message: Args.string({description: 'messages to send (else stdin is read)', ignoreStdin: true}),
  }
  static flags = {
    key: Flags.string({char: 'k', description: 'key for every message', helpValue: 'KEY'}),
    'key-separator': Flags.string({char: 'K', description: "split each line at the first SEP: key before it, value after (kcat's -K)", helpValue: 'SEP'}),
    header: Flags.string({char: 'H', description: 'header key=value for every message (repeatable)', multiple: true, default: [], helpValue: 'KEY=VALUE'}),
    partition: Flags.integer({char: 'p', description: 'send to this partition instead of choosing by key', helpValue: 'N'}),
    acks: Flags.option({options: ['all', '1', '0'] as const, description: 'acknowledgement to wait for; all (the default) uses the idempotent producer', default: 'all'})(),
    compression: Flags.option({options: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const, description: 'compress batches', default: 'none'})(),
    input: Flags.option({options: ['text', 'json'] as const, description: 'text: one value per line; json: the lines `consume --output json` writes', default: 'text'})(),
    generate: Flags.integer({description: 'send N random delivery messages (JSON, keyed by delivery id)', helpValue: 'N'}),
    rate: Flags.integer({description: 'with --generate: messages per second', helpValue: 'R'}),
    ...connectionFlags,
  }

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(Produce)
    const messages = (argv as string[]).slice(1)
    // The first SIGINT or SIGTERM stops reading and lets produce send what it read; a second one stops waiting.
    const interrupted = new AbortController()
    const stop = (signal: NodeJS.Signals): void => {
      if (!interrupted.signal.aborted) return interrupted.abort(signal)
      this.logToStderr('Stopped without waiting for acknowledgements: the last messages may or may not be in the topic.')
      process.exit(EXIT_CODES[signal])
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    try {
      const result = await this.onKafka(connectionFlagValues(flags), (client) =>
        produce(client, {
          topic: args.topic,
          messages,
          input: flags.input,
          key: flags.key,
          keySeparator: flags['key-separator'],
          headers: flags.header,
          partition: flags.partition,
          acks: flags.acks as Acks,
          compression: flags.compression as Compression,
          generate: flags.generate,
          rate: flags.rate,
          stdin: standardInput(),
          onDelivered: (d) => this.log(`Produced to ${args.topic}[${d.partition}] at offset ${d.offset}`),
          signal: interrupted.signal,
        }),
      )
      if (messages.length === 0 || result.interrupted) this.logToStderr(produceSummary(result))
      if (result.interrupted) {
        process.stdin.destroy() // a terminal or an open pipe would keep kcl waiting for input
        this.exit(EXIT_CODES[result.interrupted as NodeJS.Signals] ?? 130)
      }
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}

/**
 * stdin, read in 1 MiB chunks when it is a file (`< lines.txt`): process.stdin reads 64 KiB at a time, and on a
 * 100 MB file those reads cost more CPU than writing the records.
 */
function standardInput(): AsyncIterable<Buffer | string> {
  let isFile = false
  try {
    isFile = fstatSync(0).isFile()
  } catch {
    // No stdin at all (closed): process.stdin reads it as empty.
  }
  return isFile ? createReadStream('', {fd: 0, highWaterMark: 1 << 20, autoClose: false}) : process.stdin
}

/** 128 + the signal's number, as shells report a command a signal ended. */
const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = {SIGINT: 130, SIGTERM: 143}
