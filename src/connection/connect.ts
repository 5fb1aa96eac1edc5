import type {KafkaClient} from '../kafka/client.ts'
import {withKafka} from '../kafka-client/index.ts'
import type {ConnectionFlagValues, ResolveHooks} from '../profile/flag-settings.ts'
import {resolveConnection} from './resolve.ts'

export type {ConnectionFlagValues} from '../profile/flag-settings.ts'

/** Resolves where and how to connect (flags, environment, profiles, the kcl cluster) and runs `work` with a client. */
export async function onKafka<T>(flags: ConnectionFlagValues, hooks: ResolveHooks, work: (client: KafkaClient) => Promise<T>): Promise<T> {
  const {servers, security} = await resolveConnection(flags, hooks)
  return withKafka(servers, work, {security})
}
