import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {listGroups, type GroupListEntry} from '../../kafka/groups.ts'
import {renderGroupList} from '../../ui/kafka-tables.ts'

export default class GroupList extends KclCommand {
  static summary = 'List groups (classic, consumer, share) with their type, protocol, state and number of members.'
  static examples = [
    {description: 'All groups', command: '<%= config.bin %> group list'},
    {description: 'As JSON', command: '<%= config.bin %> group list --json'},
  ]
  static enableJsonFlag = true
  static flags = {...connectionFlags}

  async run(): Promise<GroupListEntry[]> {
    const {flags} = await this.parse(GroupList)
    const groups = await this.onKafka(connectionFlagValues(flags), (client) => listGroups(client))
    if (!this.jsonEnabled()) this.log(renderGroupList(groups))
    return groups
  }
}
