import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {brokerSteps, planBrokerAction, type BrokerResult} from '../../cluster/broker-control.ts'
import {resolveClusterName} from '../../cluster/resolve.ts'
import {clusterNameFlag} from '../../flags.ts'
import {renderBroker} from '../../ui/failover-report.ts'
import {progressMode, runProgress} from '../../ui/progress.ts'

export default class BrokerStart extends KclCommand {
  static summary = 'Start a stopped broker again and wait until it is registered.'
  static examples = [
    {description: 'Start broker 2 again', command: '<%= config.bin %> broker start 2'},
    {description: 'Broker 3 of cluster "ha"', command: '<%= config.bin %> broker start 3 --name ha'},
  ]
  static enableJsonFlag = true
  static args = {id: Args.integer({description: 'node id of the broker (kcl status lists them)', required: true, min: 1})}
  static flags = {
    name: clusterNameFlag,
  }

  async run(): Promise<BrokerResult> {
    const {args, flags} = await this.parse(BrokerStart)
    const plan = await planBrokerAction({name: await resolveClusterName(flags.name), nodeId: args.id, action: 'start', kill: false})
    const {steps, result} = brokerSteps(plan)
    await runProgress(steps, progressMode(this.jsonEnabled()))
    const done = result()
    if (!this.jsonEnabled()) this.log(renderBroker(done))
    return done
  }
}
