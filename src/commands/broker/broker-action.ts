import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {brokerId, brokerSteps, planBrokerAction, type BrokerResult} from '../../cluster/broker-control.ts'
import {resolveClusterName} from '../../cluster/resolve.ts'
import {clusterNameFlag} from '../../flags.ts'
import {renderBroker} from '../../ui/failover-report.ts'
import {progressMode, runProgress} from '../../ui/progress.ts'

export const killFlag = Flags.boolean({description: 'docker kill (no clean shutdown) instead of docker stop'})

/** `kcl broker stop|start|restart ID`: the same command but for the action each subclass names. */
export abstract class BrokerActionCommand extends KclCommand {
  static enableJsonFlag = true
  static args = {id: Args.string({description: 'node id of the broker (kcl status lists them)', required: true})}
  static flags = {name: clusterNameFlag}

  protected abstract readonly action: 'stop' | 'start' | 'restart'

  async run(): Promise<BrokerResult> {
    // oclif's parse spreads the class it is given, which copies only its own statics: name the inherited ones.
    const command = this.constructor as typeof BrokerActionCommand
    const {args, flags} = await this.parse({args: command.args, flags: command.flags, enableJsonFlag: command.enableJsonFlag})
    const kill = (flags as {kill?: boolean}).kill ?? false
    const nodeId = brokerId(args.id)
    const plan = await planBrokerAction({name: await resolveClusterName(flags.name), nodeId, action: this.action, kill})
    const {steps, result, interrupted} = brokerSteps(plan)
    await runProgress(steps, progressMode(this.jsonEnabled()), interrupted)
    const done = result()
    if (!this.jsonEnabled()) this.log(renderBroker(done))
    return done
  }
}
