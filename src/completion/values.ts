// Looks up the values of a DynamicKind where kcl's commands would: saved clusters from KCL_HOME, topics and groups from
// the Kafka the command line points at (-b, KCL_BOOTSTRAP_SERVER, --name, the only running cluster). A TAB must never
// hang: the caller bounds every lookup with a short deadline, and a failure offers nothing.
import {requireSpec, resolveClusterName} from '../cluster/resolve.ts'
import {nodeIds} from '../cluster/spec.ts'
import {savedClusterNames} from '../cluster/store.ts'
import {onKafka, type ConnectionFlags} from '../cluster/connect.ts'
import type {DynamicKind} from './complete.ts'

/** The connection flags of a completed command line, as its command would read them. */
export function connectionFlags(flags: Readonly<Record<string, string>>): ConnectionFlags {
  // Profiles (--profile, issue 12) join -b and --name here once commands accept them.
  return {bootstrapServer: flags['bootstrap-server'] || undefined, name: flags.name || undefined}
}

export async function dynamicValues(kind: DynamicKind, flags: Readonly<Record<string, string>>): Promise<string[]> {
  switch (kind) {
    case 'cluster':
      return savedClusterNames()
    case 'broker': {
      const spec = await requireSpec(await resolveClusterName(flags.name || undefined))
      return nodeIds(spec).map(String)
    }
    case 'topic':
      return onKafka(connectionFlags(flags), async (client) => (await client.topicMetadata()).map((t) => t.name).filter((name) => !name.startsWith('__')))
    case 'group':
      return onKafka(connectionFlags(flags), async (client) => (await client.groups()).map((g) => g.groupId))
  }
}
