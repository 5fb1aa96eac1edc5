import type {KafkaConfig} from 'kafkajs'
import type {ConnectionSecurity} from '../kafka/security.ts'

let warningFiltered = false

/**
 * Loads kafkajs on first use (it is the heaviest module kcl has, so commands that don't talk to Kafka never
 * pay for it). kafkajs 2.2.4 arms timers with negative delays, which Node ≥ 23 reports as a
 * TimeoutNegativeWarning on stderr; Node runs them after 1 ms, which is what kafkajs means, so that one
 * warning is dropped and every other still shows.
 */
export async function loadKafkajs(): Promise<typeof import('kafkajs')> {
  if (!warningFiltered) {
    warningFiltered = true
    const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const name = typeof warning === 'string' ? (typeof rest[0] === 'string' ? rest[0] : (rest[0] as {type?: string} | undefined)?.type) : warning.name
      if (name === 'TimeoutNegativeWarning') return
      emitWarning(warning, ...rest)
    }) as typeof process.emitWarning
  }
  return import('kafkajs')
}

/** kafkajs' ssl and sasl options for the same security kcl's own connections use (secure.ts). */
export function kafkajsSecurity(security: ConnectionSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const {tls, sasl} = security
  const ssl = tls && {ca: tls.ca, cert: tls.cert, key: tls.key, passphrase: tls.passphrase, ...(tls.insecure ? {rejectUnauthorized: false, checkServerIdentity: () => undefined} : {})}
  if (!sasl) return {ssl}
  if (sasl.mechanism === 'oauthbearer') return {ssl, sasl: {mechanism: 'oauthbearer', oauthBearerProvider: async () => ({value: sasl.token})}}
  return {ssl, sasl: {mechanism: sasl.mechanism, username: sasl.username, password: sasl.password} as KafkaConfig['sasl']}
}
