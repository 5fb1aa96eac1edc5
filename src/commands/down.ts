import {Flags} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {downCluster, downLeft, type DownResult} from '../cluster/down.ts'
import {resolveClusterName} from '../cluster/resolve.ts'
import {clusterNameFlag, yesFlag} from '../flags.ts'
import {whileInterruptible} from '../interrupt.ts'
import {renderDown} from '../ui/cluster-report.ts'
import {confirm} from '../ui/confirm.ts'

export default class Down extends KclCommand {
  static summary = 'Stop a cluster and remove its containers; keep its data unless told otherwise.'
  static description = 'Removes the containers and network of a kcl cluster. Its volumes (topics, messages, offsets) stay, so `kcl up` brings everything back; --volumes deletes them too, after asking.'
  static examples = [
    {description: 'Stop the cluster, keep its data', command: '<%= config.bin %> down'},
    {description: 'Delete the cluster and all its data, without asking', command: '<%= config.bin %> down --name dev --volumes --yes'},
  ]
  static enableJsonFlag = true
  static flags = {
    name: clusterNameFlag,
    volumes: Flags.boolean({description: "also delete the cluster's volumes: all its topics and messages"}),
    yes: yesFlag,
  }

  async run(): Promise<DownResult | {name: string; cancelled: true}> {
    const {flags} = await this.parse(Down)
    const name = await resolveClusterName(flags.name)
    if (flags.volumes && !(await confirm(`Delete cluster "${name}" and all its data?`, {yes: flags.yes, what: `delete the data of cluster "${name}"`}))) {
      this.log('Nothing deleted.')
      return {name, cancelled: true}
    }
    const options = {volumes: flags.volumes}
    const result = await whileInterruptible(() => downCluster(name, options), (signal) => downLeft(name, options, signal))
    if (!this.jsonEnabled()) this.log(renderDown(result, options))
    return result
  }
}
