import {Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {listTopics, type TopicSummary} from '../../kafka/topics.ts'
import {renderTopicList} from '../../ui/kafka-tables.ts'

export default class TopicList extends KclCommand {
  static summary = 'List topics with their partition count and replication factor.'
  static examples = [
    {description: 'Your topics', command: '<%= config.bin %> topic list'},
    {description: "Kafka's internal topics too, as JSON", command: '<%= config.bin %> topic list --internal --json'},
  ]
  static enableJsonFlag = true
  static flags = {
    internal: Flags.boolean({description: 'include internal topics such as __consumer_offsets'}),
    ...connectionFlags,
  }

  async run(): Promise<TopicSummary[]> {
    const {flags} = await this.parse(TopicList)
    const topics = await this.onKafka(connectionFlagValues(flags), (client) => listTopics(client, {internal: flags.internal}))
    if (!this.jsonEnabled()) this.log(renderTopicList(topics))
    return topics
  }
}
