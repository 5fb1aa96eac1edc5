import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {connectionFlagValues, connectionFlags} from '../../flags.ts'
import {createProfile, type ProfileView} from '../../profile/profiles.ts'
import {askSecret} from '../../ui/prompt.ts'

const {name: _clusterName, profile: _profile, ...settingFlags} = connectionFlags

export default class ProfileCreate extends KclCommand {
  static summary = 'Save a connection to a Kafka cluster as a named profile.'
  static description =
    'Takes the same connection flags as every Kafka command, or a Java client properties file (--command-config). The password comes from KCL_SASL_PASSWORD or a prompt; it is stored apart from the settings in a file only you can read (0600) and never shown. Use the profile with --profile NAME, KCL_PROFILE, or make it the current one with --use.'
  static examples = [
    {description: 'Confluent Cloud, from the client.properties it hands out', command: '<%= config.bin %> profile create ccloud --command-config client.properties --use'},
    {description: 'Amazon MSK with SCRAM (the password is asked for)', command: '<%= config.bin %> profile create msk -b b-1.example.kafka.us-east-1.amazonaws.com:9096 --tls --sasl-mechanism scram-sha-512 --sasl-username alice'},
    {description: 'Mutual TLS with a private CA', command: '<%= config.bin %> profile create prod -b kafka.internal:9093 --tls-ca ca.pem --tls-cert me.pem --tls-key me-key.pem'},
  ]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'profile name', required: true, ignoreStdin: true})}
  static flags = {
    ...settingFlags,
    use: Flags.boolean({description: 'make it the current profile, used when no other connection is given'}),
  }

  async run(): Promise<ProfileView> {
    const {args, flags} = await this.parse(ProfileCreate)
    const profile = await createProfile(args.name, connectionFlagValues(flags), {warn: (line) => this.warn(line), askSecret}, {use: flags.use})
    if (!this.jsonEnabled()) {
      this.log(`Saved profile ${profile.name}: ${profile.bootstrapServers.join(',')} (${profile.security})${profile.current ? ', now the current profile' : ''}.`)
      if (!profile.current) this.log(`Use it with --profile ${profile.name}, or \`kcl profile use ${profile.name}\`.`)
    }
    return profile
  }
}
