import {Flags} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../flags.ts'
import {canOpenBrowser, openBrowser} from '../ui/browser.ts'
import {DEFAULT_HOST, isLoopback, validateHost} from '../web-server/address.ts'

export default class Ui extends KclCommand {
  static summary = 'Open a live web view of the cluster: brokers, the real KRaft controller, topics, groups, messages.'
  static description = `Serves a page on ${DEFAULT_HOST} that follows the cluster as it changes, without a reload: brokers and their containers, the KRaft metadata quorum (the active controller from DescribeQuorum, its epoch, voters and observers with their lag), topics with each partition's leader, replicas, ISR and offsets, consumer groups with members and lag over time, the latest records of a partition, and a timeline of what changed. Creating a topic and producing a record ask for confirmation; everything else is read-only.

kcl polls Kafka once for all open pages: one Metadata and one DescribeQuorum request a second, offsets, groups and containers every 2 seconds. The page and its assets come from kcl itself: no internet, no container. Ctrl-C stops the server (exit 0).`
  static examples = [
    {description: 'The running cluster, in your browser', command: '<%= config.bin %> ui'},
    {description: 'A fixed port, without opening a browser', command: '<%= config.bin %> ui --port 8080 --no-open'},
    {description: 'Any Kafka', command: '<%= config.bin %> ui -b broker1:9092,broker2:9092'},
  ]
  static flags = {
    ...connectionFlags,
    port: Flags.integer({char: 'p', description: 'port to serve on; 0 or a busy port picks a free one', default: 0, helpValue: 'PORT'}),
    host: Flags.string({description: `address to serve on; anything but loopback opens the page to your network`, default: DEFAULT_HOST, helpValue: 'HOST'}),
    'no-open': Flags.boolean({description: 'do not open the page in a browser (never opened in CI or without a display)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Ui)
    const target = await this.resolveConnection(connectionFlagValues(flags))
    if (!isLoopback(validateHost(flags.host))) {
      this.warn(`--host ${flags.host} opens kcl ui to the network: anyone who can reach this machine can read your topics, create topics and produce records.`)
    }
    // Listening from the start: a Ctrl-C while the server starts stops it as cleanly as one later.
    const interrupted = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    // The server and the live model load only for this command, not at every kcl start.
    const {startUiServer} = await import('../web-server/server.ts')
    const server = await startUiServer(target, {host: flags.host, port: flags.port})
    if (server.portWasBusy) this.logToStderr(`kcl ui: port ${flags.port} is in use; serving on ${server.port} instead.`)
    this.log(`kcl ui: ${server.url}`)
    if (!flags['no-open'] && canOpenBrowser() && !(await openBrowser(server.url))) this.logToStderr('kcl ui: could not open a browser; open the address above.')
    this.logToStderr('Press Ctrl-C to stop.')
    await interrupted
    await server.close()
    this.logToStderr('kcl ui: stopped.')
  }
}
