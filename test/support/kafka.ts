import {execa} from 'execa'

/**
 * Kafka as an independent client sees it: kcat (librdkafka), not kcl. Values are one per line, so they must not
 * contain newlines.
 */

/** Produces values with acks=all and idempotence, creating the topic if the broker allows it. */
export async function produceValues(servers: string[], topic: string, values: string[]): Promise<void> {
  await execa('kcat', ['-P', '-b', servers.join(','), '-t', topic, '-X', 'acks=all', '-X', 'enable.idempotence=true'], {input: `${values.join('\n')}\n`, timeout: 60_000})
}

/** Reads a topic from the beginning without a consumer group, until `count` values arrived or the time is up. */
export async function readValues(servers: string[], topic: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  const {stdout} = await execa('kcat', ['-C', '-b', servers.join(','), '-t', topic, '-o', 'beginning', '-c', String(count), '-q', '-f', '%s\\n'], {timeout: timeoutMs})
  return stdout.split('\n').filter((line) => line !== '')
}
