import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {createTopic, type CreateTopicResult} from '../../kafka/topics.ts'
import {renderTopicCreated} from '../../ui/kafka-tables.ts'

export default class TopicCreate extends KclCommand {
  static summary = 'Create a topic.'
  static description =
    'Partitions and replication factor default to the broker defaults (1 partition; replication factor 3 on clusters of 3 or more brokers, else 1). The replication factor cannot exceed the number of brokers.'
  static examples = [
    {description: 'The consumer-groups lesson: two partitions', command: '<%= config.bin %> topic create Delivery --partitions 2'},
    {description: 'Replicated to three brokers, kept for a day', command: '<%= config.bin %> topic create weather-updates --replication-factor 3 --config retention.ms=86400000'},
    {description: 'In a script: fine if it exists', command: '<%= config.bin %> topic create events --if-not-exists'},
  ]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'topic name: 1-249 characters of a-z A-Z 0-9 . _ -', required: true, ignoreStdin: true})}
  static flags = {
    partitions: Flags.integer({char: 'p', description: 'number of partitions', helpValue: 'N'}),
    'replication-factor': Flags.integer({char: 'r', description: 'copies of each partition, at most the number of brokers', helpValue: 'N'}),
    config: Flags.string({char: 'c', description: 'topic config key=value (repeatable)', multiple: true, default: [], helpValue: 'KEY=VALUE'}),
    'if-not-exists': Flags.boolean({description: 'succeed when the topic already exists'}),
    ...connectionFlags,
  }

  async run(): Promise<CreateTopicResult> {
    const {args, flags} = await this.parse(TopicCreate)
    const result = await this.onKafka(connectionFlagValues(flags), (client) =>
      createTopic(client, {
        name: args.name,
        partitions: flags.partitions,
        replicationFactor: flags['replication-factor'],
        configs: flags.config,
        ifNotExists: flags['if-not-exists'],
      }),
    )
    if (!this.jsonEnabled()) this.log(renderTopicCreated(result))
    return result
  }
}
