import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {brokerSteps, planBrokerAction, type BrokerResult} from '../../cluster/broker-control.ts'
import {resolveClusterName} from '../../cluster/resolve.ts'
import {clusterNameFlag} from '../../flags.ts'
import {renderBroker} from '../../ui/failover-report.ts'
import {progressMode, runProgress} from '../../ui/progress.ts'

export default class BrokerStop extends KclCommand {
  static summary = "Stop one broker's container: cleanly, or with --kill as if it crashed."
  static examples = [
    {description: 'Stop broker 2 cleanly', command: '<%= config.bin %> broker stop 2'},
    {description: 'Kill broker 3 of cluster "ha"', command: '<%= config.bin %> broker stop 3 --name ha --kill'},
  ]
  static enableJsonFlag = true
  static args = {id: Args.integer({description: 'node id of the broker (kcl status lists them)', required: true, min: 1})}
  static flags = {
    name: clusterNameFlag,
    kill: Flags.boolean({description: 'docker kill (no clean shutdown) instead of docker stop'}),
  }

  async run(): Promise<BrokerResult> {
    const {args, flags} = await this.parse(BrokerStop)
    const plan = await planBrokerAction({name: await resolveClusterName(flags.name), nodeId: args.id, action: 'stop', kill: flags.kill})
    const {steps, result} = brokerSteps(plan)
    await runProgress(steps, progressMode(this.jsonEnabled()))
    const done = result()
    if (!this.jsonEnabled()) this.log(renderBroker(done))
    return done
  }
}
