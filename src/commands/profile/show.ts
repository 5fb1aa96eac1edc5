import {Args, Flags} from '@oclif/core'
import {KclCommand} from '../../base-command.ts'
import {CLIENT_CONFIG_FORMATS} from '../../profile/client-config.ts'
import {profileClientConfig, showProfile, type ProfileView} from '../../profile/profiles.ts'

export default class ProfileShow extends KclCommand {
  static summary = "Show a profile's settings, or print it as a client config file for other tools."
  static description =
    'Secrets are never shown, only whether one is saved. --client-config prints a complete config file, password included, for kcat (-F) and librdkafka clients, or for Kafka\'s Java tools (--command-config): write it to a file only you can read.'
  static examples = [
    {description: 'What the profile holds', command: '<%= config.bin %> profile show local'},
    {description: 'Read a topic with kcat through the same connection', command: '(umask 077; <%= config.bin %> profile show local --client-config librdkafka > kcat.conf) && kcat -F kcat.conf -C -t Delivery -e'},
    {description: "Kafka's own tools", command: '<%= config.bin %> profile show local --client-config java > client.properties && kafka-topics.sh --bootstrap-server localhost:9092 --command-config client.properties --list'},
  ]
  static enableJsonFlag = true
  static args = {name: Args.string({description: 'profile name', required: true, ignoreStdin: true})}
  static flags = {
    'client-config': Flags.option({options: CLIENT_CONFIG_FORMATS, description: 'print a config file for librdkafka (kcat -F) or the Java client, secret included'})(),
  }

  async run(): Promise<ProfileView | {clientConfig: string}> {
    const {args, flags} = await this.parse(ProfileShow)
    if (flags['client-config']) {
      const config = await profileClientConfig(args.name, flags['client-config'])
      if (!this.jsonEnabled()) process.stdout.write(config)
      return {clientConfig: config}
    }
    const profile = await showProfile(args.name)
    if (!this.jsonEnabled()) {
      const rows: [string, string | undefined][] = [
        ['Profile', `${profile.name}${profile.current ? ' (current)' : ''}`],
        ['Bootstrap servers', profile.bootstrapServers.join(',')],
        ['Security', profile.security],
        ['TLS CA', profile.tls?.ca ?? (profile.tls ? 'the system CAs' : undefined)],
        ['TLS client certificate', profile.tls?.cert],
        ['TLS client key', profile.tls?.key],
        ['SASL password', profile.sasl ? `${profile.sasl.password} (never shown)` : undefined],
        ['kcl cluster', profile.cluster],
      ]
      this.log(rows.filter(([, value]) => value !== undefined).map(([key, value]) => `${`${key}:`.padEnd(24)}${value}`).join('\n'))
    }
    return profile
  }
}
