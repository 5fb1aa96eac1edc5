import {KclCommand} from '../../base-command.ts'
import {bootstrapServerFlag, clusterNameFlag} from '../../flags.ts'
import {onKafka} from '../../cluster/connect.ts'
import {listGroups, type GroupListEntry} from '../../kafka/groups.ts'
import {renderGroupList} from '../../ui/kafka-tables.ts'

export default class GroupList extends KclCommand {
  static summary = 'List consumer groups with their state and number of members.'
  static examples = [
    {description: 'All groups', command: '<%= config.bin %> group list'},
    {description: 'As JSON', command: '<%= config.bin %> group list --json'},
  ]
  static enableJsonFlag = true
  static flags = {'bootstrap-server': bootstrapServerFlag, name: clusterNameFlag}

  async run(): Promise<GroupListEntry[]> {
    const {flags} = await this.parse(GroupList)
    const groups = await onKafka({bootstrapServer: flags['bootstrap-server'], name: flags.name}, (client) => listGroups(client))
    if (!this.jsonEnabled()) this.log(renderGroupList(groups))
    return groups
  }
}
