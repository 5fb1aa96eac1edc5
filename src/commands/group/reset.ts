import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {resetGroup, type ResetResult} from '../../kafka/groups.ts'
import {renderResetPlan} from '../../ui/kafka-tables.ts'

export default class GroupReset extends KclCommand {
  static summary = "Move a group's committed offsets on a topic: shows the plan, changes nothing without --execute."
  static description = 'Refuses while the group has members: stop its consumers first. Offsets outside a partition are clamped to its first or last offset.'
  static examples = [
    {description: 'See what replaying Delivery from the start would do', command: '<%= config.bin %> group reset 1 --topic Delivery --to earliest'},
    {description: 'Do it', command: '<%= config.bin %> group reset 1 --topic Delivery --to earliest --execute'},
    {description: 'Back to where the group was at a moment', command: '<%= config.bin %> group reset 1 --topic Delivery --to @2024-05-01T12:00:00Z --execute'},
  ]
  static enableJsonFlag = true
  static args = {group: Args.string({description: 'group id', required: true, ignoreStdin: true})}
  static flags = {
    topic: Flags.string({char: 't', description: 'topic whose offsets to move', required: true, helpValue: 'TOPIC'}),
    to: Flags.string({description: 'earliest, latest, an OFFSET or @TIMESTAMP (ms or ISO date)', required: true, helpValue: 'POSITION'}),
    execute: Flags.boolean({description: 'apply the plan'}),
    ...connectionFlags,
  }

  async run(): Promise<ResetResult> {
    const {args, flags} = await this.parse(GroupReset)
    const result = await this.onKafka(connectionFlagValues(flags), (client) =>
      resetGroup(client, {groupId: args.group, topic: flags.topic, to: flags.to, execute: flags.execute}),
    )
    if (!this.jsonEnabled()) this.log(renderResetPlan(result))
    return result
  }
}
