import {loadKafkajs} from '../../src/kafka-client/kafkajs.ts'

async function client(servers: string[]) {
  const {Kafka, logLevel} = await loadKafkajs()
  return new Kafka({clientId: 'kcl-e2e', brokers: servers, logLevel: logLevel.NOTHING})
}

/** Produces values with acks=all, as an independent client would (kafkajs directly, not kcl). */
export async function produceValues(servers: string[], topic: string, values: string[]): Promise<void> {
  const producer = (await client(servers)).producer({idempotent: true, allowAutoTopicCreation: true})
  await producer.connect()
  try {
    await producer.send({topic, acks: -1, messages: values.map((value) => ({value}))})
  } finally {
    await producer.disconnect()
  }
}

/** Reads a topic from the beginning without a consumer group, until `count` values arrived or the time is up. */
export async function readValues(servers: string[], topic: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  const kafka = await client(servers)
  const admin = kafka.admin()
  await admin.connect()
  const partitions = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())
  const consumer = kafka.consumer({groupId: `kcl-e2e-reader-${process.pid}-${Date.now()}`})
  const values: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({topic, fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${count} values from ${topic} (${partitions.length} partitions)`)), timeoutMs)
      void consumer.run({
        eachMessage: async ({message}) => {
          values.push(message.value?.toString() ?? '')
          if (values.length >= count) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return values
}
