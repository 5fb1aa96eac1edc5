import {clusterNameFlag} from '../../flags.ts'
import {BrokerActionCommand, killFlag} from './broker-action.ts'

export default class BrokerRestart extends BrokerActionCommand {
  static summary = 'Stop a broker and start it again, waiting until it is registered.'
  static examples = [
    {description: 'Restart broker 2', command: '<%= config.bin %> broker restart 2'},
    {description: 'Crash broker 3 of cluster "ha" and start it again', command: '<%= config.bin %> broker restart 3 --name ha --kill'},
  ]
  static flags = {name: clusterNameFlag, kill: killFlag}
  protected readonly action = 'restart'
}
