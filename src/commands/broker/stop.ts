import {clusterNameFlag} from '../../flags.ts'
import {BrokerActionCommand, killFlag} from './broker-action.ts'

export default class BrokerStop extends BrokerActionCommand {
  static summary = "Stop one broker's container: cleanly, or with --kill as if it crashed."
  static examples = [
    {description: 'Stop broker 2 cleanly', command: '<%= config.bin %> broker stop 2'},
    {description: 'Kill broker 3 of cluster "ha"', command: '<%= config.bin %> broker stop 3 --name ha --kill'},
  ]
  static flags = {name: clusterNameFlag, kill: killFlag}
  protected readonly action = 'stop'
}
