import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {missingProfile} from '../../profile/store.ts'
import {deleteProfileNamed} from '../../profile/profiles.ts'

export default class ProfileDelete extends KclCommand {
  static summary = 'Delete a profile and its saved secrets.'
  static examples = [{description: 'Forget a cluster', command: '<%= config.bin %> profile delete ccloud'}]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'profile name', required: true, ignoreStdin: true})}

  async run(): Promise<{name: string; deleted: boolean}> {
    const {args} = await this.parse(ProfileDelete)
    const result = await deleteProfileNamed(args.name)
    if (!result.deleted) throw missingProfile(args.name)
    if (!this.jsonEnabled()) this.log(`Deleted profile ${args.name} and its secrets.`)
    return result
  }
}
