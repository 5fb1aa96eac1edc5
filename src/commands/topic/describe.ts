import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {describeTopic, type TopicDescription} from '../../kafka/topics.ts'
import {renderTopicDescription} from '../../ui/kafka-tables.ts'

export default class TopicDescribe extends KclCommand {
  static summary = "Show a topic's partitions (leader, replicas, in-sync replicas, offsets) and its own configs."
  static description = 'Partitions whose in-sync replicas are fewer than their replicas are flagged UNDER-REPLICATED; those without a leader OFFLINE. Configs listed are those set on the topic, i.e. differing from the broker defaults.'
  static examples = [
    {description: 'Where the replicas of weather-updates live', command: '<%= config.bin %> topic describe weather-updates'},
    {description: 'As JSON', command: '<%= config.bin %> topic describe Delivery --json'},
  ]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'topic name', required: true, ignoreStdin: true})}
  static flags = {...connectionFlags}

  async run(): Promise<TopicDescription> {
    const {args, flags} = await this.parse(TopicDescribe)
    const topic = await this.onKafka(connectionFlagValues(flags), (client) => describeTopic(client, args.name))
    if (!this.jsonEnabled()) this.log(renderTopicDescription(topic))
    return topic
  }
}
