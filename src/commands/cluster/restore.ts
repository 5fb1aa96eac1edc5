import {Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {resolveClusterName} from '../../cluster/resolve.ts'
import {DEFAULT_RESTORE_TIMEOUT_SECONDS, planRestore, restoreSteps, type RestoreResult} from '../../cluster/restore.ts'
import {validateWaitSeconds} from '../../cluster/wait-limit.ts'
import {clusterNameFlag} from '../../flags.ts'
import {renderRestore} from '../../ui/failover-report.ts'
import {progressMode, runProgress} from '../../ui/progress.ts'

export default class ClusterRestore extends KclCommand {
  static summary = 'Start every stopped broker and wait until all are back in every ISR.'
  static description =
    'Starts the containers of the stopped brokers (they keep their configuration and data), waits until each is registered with the controller and every partition has all its replicas in sync again, and reports how long that took.'
  static examples = [
    {description: 'After `kcl cluster failover`', command: '<%= config.bin %> cluster restore'},
    {description: 'Cluster "ha", waiting up to 5 minutes', command: '<%= config.bin %> cluster restore --name ha --timeout 300'},
  ]
  static enableJsonFlag = true
  static flags = {
    name: clusterNameFlag,
    timeout: Flags.integer({description: 'seconds to wait until every partition is in sync', default: DEFAULT_RESTORE_TIMEOUT_SECONDS, helpValue: 'S'}),
  }

  async run(): Promise<RestoreResult> {
    const {flags} = await this.parse(ClusterRestore)
    const timeout = validateWaitSeconds(flags.timeout)
    const plan = await planRestore(await resolveClusterName(flags.name), timeout)
    const {steps, result, interrupted} = restoreSteps(plan)
    await runProgress(steps, progressMode(this.jsonEnabled()), interrupted)
    const done = result()
    if (!this.jsonEnabled()) this.log(renderRestore(done))
    return done
  }
}
