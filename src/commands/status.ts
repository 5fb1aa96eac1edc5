import {KclCommand} from '../base-command.ts'
import {resolveClusterName} from '../cluster/resolve.ts'
import {statusOf, type ClusterStatus} from '../cluster/status.ts'
import {ExitCode} from '../errors.ts'
import {clusterNameFlag} from '../flags.ts'
import {renderStatus} from '../ui/cluster-report.ts'

export default class Status extends KclCommand {
  static summary = "Show a cluster's brokers, their containers and the active controller."
  static description =
    'Per broker: container state and health, node id, host port, roles, whether it is the active controller (the KRaft metadata quorum leader) and the Kafka release it runs. Exits 4 when no broker of the cluster is running.'
  static examples = [
    {description: 'The running cluster', command: '<%= config.bin %> status'},
    {description: 'A named cluster, as JSON', command: '<%= config.bin %> status --name dev --json'},
  ]
  static enableJsonFlag = true
  static flags = {name: clusterNameFlag}

  async run(): Promise<ClusterStatus> {
    const {flags} = await this.parse(Status)
    const status = await statusOf(await resolveClusterName(flags.name))
    if (!this.jsonEnabled()) this.log(renderStatus(status))
    if (status.state === 'stopped') process.exitCode = ExitCode.notRunning
    return status
  }
}
