import type {KafkaClient} from '../kafka/client.ts'
import {withKafka} from '../kafka-client/index.ts'
import {resolveConnection, type ConnectionFlagValues, type ResolveHooks} from '../profile/resolve.ts'

export type {ConnectionFlagValues} from '../profile/resolve.ts'

/** Resolves where and how to connect (flags, environment, profiles, the kcl cluster) and runs `work` with a client. */
export async function onKafka<T>(flags: ConnectionFlagValues, hooks: ResolveHooks, work: (client: KafkaClient) => Promise<T>): Promise<T> {
  const {servers, security} = await resolveConnection(flags, hooks)
  return withKafka(servers, work, {security})
}
