import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {brokerSteps, planBrokerAction, type BrokerResult} from '../../cluster/broker-control.ts'
import {resolveClusterName} from '../../cluster/resolve.ts'
import {clusterNameFlag} from '../../flags.ts'
import {renderBroker} from '../../ui/failover-report.ts'
import {progressMode, runProgress} from '../../ui/progress.ts'

export default class BrokerRestart extends KclCommand {
  static summary = 'Stop a broker and start it again, waiting until it is registered.'
  static examples = [
    {description: 'Restart broker 2', command: '<%= config.bin %> broker restart 2'},
    {description: 'Crash broker 3 of cluster "ha" and start it again', command: '<%= config.bin %> broker restart 3 --name ha --kill'},
  ]
  static enableJsonFlag = true
  static args = {id: Args.integer({description: 'node id of the broker (kcl status lists them)', required: true, min: 1})}
  static flags = {
    name: clusterNameFlag,
    kill: Flags.boolean({description: 'docker kill (no clean shutdown) instead of docker stop'}),
  }

  async run(): Promise<BrokerResult> {
    const {args, flags} = await this.parse(BrokerRestart)
    const plan = await planBrokerAction({name: await resolveClusterName(flags.name), nodeId: args.id, action: 'restart', kill: flags.kill})
    const {steps, result} = brokerSteps(plan)
    await runProgress(steps, progressMode(this.jsonEnabled()))
    const done = result()
    if (!this.jsonEnabled()) this.log(renderBroker(done))
    return done
  }
}
