/**
 * kcl's Kafka client: the one implementation of the KafkaClient interface (src/kafka/client.ts), and the
 * per-broker probes that cluster status, `up` and doctor make before (or without) a client. Code outside
 * src/kafka-client/ imports from here only.
 */

import type {ConnectOptions, KafkaClient} from '../kafka/client.ts'

export {parseAddress, type BrokerAddress} from './connection.ts'
export {firstAnswer, type MetadataAnswer, type PartitionState} from './cluster.ts'
export {brokerMetadata, clientRoundTrip, clusterMetadata, describeQuorum, topicPartitions, type BrokerMetadata, type QuorumInfo} from './probes.ts'

/** Connects lazily: the client code is only loaded (and the network only touched) when a command needs Kafka. */
export async function connectKafka(servers: string[], options: ConnectOptions = {}): Promise<KafkaClient> {
  const {KclKafkaClient} = await import('./kafka-client.ts')
  return new KclKafkaClient(servers, options)
}

/** Runs `work` with a client and always closes it. */
export async function withKafka<T>(servers: string[], work: (client: KafkaClient) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const client = await connectKafka(servers, options)
  try {
    return await work(client)
  } finally {
    await client.close().catch(() => {})
  }
}
