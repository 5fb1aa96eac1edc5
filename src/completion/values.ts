// Looks up the values of a DynamicKind where kcl's commands would: saved clusters from KCL_HOME, topics and groups from
// the Kafka the command line points at (-b, KCL_BOOTSTRAP_SERVER, --name, the only running cluster). A TAB must never
// hang: the caller bounds every lookup with a short deadline, and a failure offers nothing.
import {requireSpec, resolveClusterName} from '../cluster/resolve.ts'
import {nodeIds} from '../cluster/spec.ts'
import {savedClusterNames} from '../cluster/store.ts'
import {onKafka, type ConnectionFlagValues} from '../connection/connect.ts'
import {listProfiles} from '../profile/store.ts'
import type {DynamicKind} from './complete.ts'

/** The connection flags of a completed command line, as its command would read them. */
export function connectionFlags(flags: Readonly<Record<string, string>>): ConnectionFlagValues {
  const text = (name: string) => flags[name] || undefined
  return {
    bootstrapServer: text('bootstrap-server'),
    name: text('name'),
    profile: text('profile'),
    commandConfig: text('command-config'),
    tls: flags.tls === 'true',
    tlsCa: text('tls-ca'),
    tlsCert: text('tls-cert'),
    tlsKey: text('tls-key'),
    tlsInsecure: flags['tls-insecure'] === 'true',
    saslMechanism: text('sasl-mechanism'),
    saslUsername: text('sasl-username'),
    saslPassword: text('sasl-password'),
  }
}

// A TAB prints nothing but candidates and never asks for a password.
const SILENT = {warn: () => {}}

export async function dynamicValues(kind: DynamicKind, flags: Readonly<Record<string, string>>): Promise<string[]> {
  switch (kind) {
    case 'cluster':
      return savedClusterNames()
    case 'broker': {
      const spec = await requireSpec(await resolveClusterName(flags.name || undefined))
      return nodeIds(spec).map(String)
    }
    case 'topic':
      return onKafka(connectionFlags(flags), SILENT, async (client) => (await client.topicMetadata()).map((t) => t.name).filter((name) => !name.startsWith('__')))
    case 'group':
      return onKafka(connectionFlags(flags), SILENT, async (client) => (await client.groups()).map((g) => g.groupId))
    case 'profile':
      return (await listProfiles()).profiles.map((profile) => profile.name)
  }
}
