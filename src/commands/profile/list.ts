import {KclCommand} from '../../base-command.ts'
import {profileViews, type ProfileView} from '../../profile/profiles.ts'
import {table} from '../../ui/table.ts'

export default class ProfileList extends KclCommand {
  static summary = 'List the connection profiles; * marks the current one.'
  static examples = [
    {description: 'All profiles', command: '<%= config.bin %> profile list'},
    {description: 'As JSON (no secrets)', command: '<%= config.bin %> profile list --json'},
  ]
  static enableJsonFlag = true

  async run(): Promise<ProfileView[]> {
    await this.parse(ProfileList)
    const profiles = await profileViews()
    if (!this.jsonEnabled()) {
      this.log(
        profiles.length === 0
          ? 'No profiles yet: `kcl up` saves one for its cluster, `kcl profile create NAME` one for any Kafka.'
          : table(['', 'NAME', 'BOOTSTRAP', 'SECURITY', 'CLUSTER'], profiles.map((p) => [p.current ? '*' : '', p.name, p.bootstrapServers.join(','), p.security, p.cluster ?? ''])),
      )
    }
    return profiles
  }
}
