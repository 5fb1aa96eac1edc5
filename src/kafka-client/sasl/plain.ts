import type {SaslExchange} from './mechanism.ts'

/** SASL PLAIN (RFC 4616): one message, [authzid] NUL authcid NUL password; Kafka answers with nothing more to say. */
export function plainExchange(username: string, password: string): SaslExchange {
  return {
    mechanism: 'PLAIN',
    first: () => Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'),
    next: () => undefined,
  }
}
