import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {deleteGroup, type DeleteResult} from '../../kafka/groups.ts'
import {renderGroupDeleted} from '../../ui/kafka-tables.ts'

export default class GroupDelete extends KclCommand {
  static summary = 'Delete a group of any type (classic, consumer, share) with its committed offsets or share state.'
  static description = 'Refuses while the group has members: stop its consumers first.'
  static examples = [
    {description: 'Forget consumer group 1 and where it was', command: '<%= config.bin %> group delete 1'},
    {description: 'A share group: the next one of that name starts afresh', command: '<%= config.bin %> group delete orders-workers'},
  ]
  static enableJsonFlag = true
  static args = {group: Args.string({description: 'group id', required: true, ignoreStdin: true})}
  static flags = {...connectionFlags}

  async run(): Promise<DeleteResult> {
    const {args, flags} = await this.parse(GroupDelete)
    const result = await this.onKafka(connectionFlagValues(flags), (client) => deleteGroup(client, args.group))
    if (!this.jsonEnabled()) this.log(renderGroupDeleted(result))
    return result
  }
}
