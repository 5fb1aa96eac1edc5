import {Args} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {useProfileNamed, type ProfileView} from '../../profile/profiles.ts'

export default class ProfileUse extends KclCommand {
  static summary = 'Make a profile the current one: Kafka commands use it when no other connection is given.'
  static description = '-b, KCL_BOOTSTRAP_SERVER, --profile, KCL_PROFILE and --name still win over the current profile.'
  static examples = [{description: 'Work with Confluent Cloud from now on', command: '<%= config.bin %> profile use ccloud'}]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'profile name', required: true, ignoreStdin: true})}

  async run(): Promise<ProfileView> {
    const {args} = await this.parse(ProfileUse)
    const profile = await useProfileNamed(args.name)
    if (!this.jsonEnabled()) this.log(`Profile ${profile.name} is now current: ${profile.bootstrapServers.join(',')} (${profile.security}).`)
    return profile
  }
}
