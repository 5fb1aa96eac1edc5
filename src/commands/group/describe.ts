import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {describeGroup, type GroupView} from '../../kafka/groups.ts'
import {renderGroupDescription} from '../../ui/kafka-tables.ts'

export default class GroupDescribe extends KclCommand {
  static summary = "Show a group's state, members and their partitions, and per partition the committed offset, end offset and lag."
  static examples = [
    {description: 'Who reads what, and how far behind', command: '<%= config.bin %> group describe 1'},
    {description: 'Total lag in a script', command: "<%= config.bin %> group describe 1 --json | jq .totalLag"},
  ]
  static enableJsonFlag = true
  static args = {group: Args.string({description: 'group id', required: true, ignoreStdin: true})}
  static flags = {...connectionFlags}

  async run(): Promise<GroupView> {
    const {args, flags} = await this.parse(GroupDescribe)
    const group = await this.onKafka(connectionFlagValues(flags), (client) => describeGroup(client, args.group))
    if (!this.jsonEnabled()) this.log(renderGroupDescription(group))
    return group
  }
}
