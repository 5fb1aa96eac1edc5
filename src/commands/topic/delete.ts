import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags, yesFlag} from '../../flags.ts'
import {deleteTopic} from '../../kafka/topics.ts'
import {confirm} from '../../ui/confirm.ts'

export default class TopicDelete extends KclCommand {
  static summary = 'Delete a topic and all its messages.'
  static description = 'Asks first on a terminal; elsewhere (scripts, CI) it needs --yes.'
  static examples = [
    {description: 'Asks before deleting', command: '<%= config.bin %> topic delete Delivery'},
    {description: 'In a script', command: '<%= config.bin %> topic delete Delivery --yes'},
  ]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'topic name', required: true, ignoreStdin: true})}
  static flags = {yes: yesFlag, ...connectionFlags}

  async run(): Promise<{name: string; deleted: boolean}> {
    const {args, flags} = await this.parse(TopicDelete)
    const deleted = await this.onKafka(connectionFlagValues(flags), (client) =>
      deleteTopic(client, args.name, () => confirm(`Delete topic "${args.name}" and all its messages?`, {yes: flags.yes, what: `delete topic "${args.name}"`})),
    )
    if (!this.jsonEnabled()) this.log(deleted ? `Deleted topic ${args.name}.` : 'Nothing deleted.')
    return {name: args.name, deleted}
  }
}
