import {Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {failoverSteps, planFailover, type FailoverResult} from '../../cluster/failover.ts'
import {resolveClusterName} from '../../cluster/resolve.ts'
import {clusterNameFlag} from '../../flags.ts'
import {renderFailover} from '../../ui/failover-report.ts'
import {progressMode, runProgress} from '../../ui/progress.ts'

export default class ClusterFailover extends KclCommand {
  static summary = 'Stop the active controller and watch another broker take over, with proof that the cluster still serves.'
  static description = `Finds the active controller (the KRaft metadata quorum leader, asked with DescribeQuorum), stops its container, waits for a new quorum leader and times it, then proves the cluster still takes writes: a probe produced with acks=all to every partition of kcl's replicated topic __kcl_probe, and read back. Ends with a before/after table of partition leaders and ISRs.

--broker stops another broker instead; --kill stops it uncleanly (docker kill: no controlled shutdown, so its partitions wait for the broker session timeout). Refused when the controller quorum would lose its majority, e.g. on a 1-broker cluster. \`kcl cluster restore\` brings the broker back.`
  static examples = [
    {description: 'Fail over the active controller of the running cluster', command: '<%= config.bin %> cluster failover'},
    {description: 'Kill broker 2 of cluster "ha" without a clean shutdown', command: '<%= config.bin %> cluster failover --name ha --broker 2 --kill'},
    {description: 'Timings and partitions as JSON', command: '<%= config.bin %> cluster failover --json'},
  ]
  static enableJsonFlag = true
  static flags = {
    name: clusterNameFlag,
    broker: Flags.integer({description: 'node id of the broker to stop [default: the active controller]', helpValue: 'ID', min: 1}),
    kill: Flags.boolean({description: 'docker kill instead of a clean docker stop'}),
  }

  async run(): Promise<FailoverResult> {
    const {flags} = await this.parse(ClusterFailover)
    const plan = await planFailover({name: await resolveClusterName(flags.name), broker: flags.broker, kill: flags.kill})
    const {steps, result, interrupted} = await failoverSteps(plan)
    await runProgress(steps, progressMode(this.jsonEnabled()), interrupted)
    const done = result()
    if (!this.jsonEnabled()) this.log(renderFailover(done))
    return done
  }
}
