import {resolveConnection} from './resolve.ts'
import type {KafkaClient} from '../kafka/client.ts'
import {withKafka} from '../kafka-client/index.ts'

export interface ConnectionFlags {
  bootstrapServer?: string
  name?: string
}

/** Resolves where to connect (-b, $KCL_BOOTSTRAP_SERVER, the kcl cluster) and runs `work` with a client. */
export async function onKafka<T>(flags: ConnectionFlags, work: (client: KafkaClient) => Promise<T>): Promise<T> {
  const {servers} = await resolveConnection({bootstrapServer: flags.bootstrapServer, name: flags.name})
  return withKafka(servers, work)
}
