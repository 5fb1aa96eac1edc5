import {BrokerActionCommand} from './broker-action.ts'

export default class BrokerStart extends BrokerActionCommand {
  static summary = 'Start a stopped broker again and wait until it is registered.'
  static examples = [
    {description: 'Start broker 2 again', command: '<%= config.bin %> broker start 2'},
    {description: 'Broker 3 of cluster "ha"', command: '<%= config.bin %> broker start 3 --name ha'},
  ]
  protected readonly action = 'start'
}
