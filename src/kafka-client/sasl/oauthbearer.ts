import type {SaslExchange} from './mechanism.ts'

const SEPARATOR = '\u0001'

/**
 * SASL OAUTHBEARER (RFC 7628) with a token the user already holds: the GS2 header, then auth=Bearer <token>
 * and any extensions (key=value, as Kafka's OAuthBearerClientInitialResponse reads them), each ended by ^A.
 */
export function oauthBearerExchange(token: string, extensions: Record<string, string> = {}): SaslExchange {
  const fields = [`auth=Bearer ${token}`, ...Object.entries(extensions).map(([key, value]) => `${key}=${value}`)]
  return {
    mechanism: 'OAUTHBEARER',
    first: () => Buffer.from(`n,,${SEPARATOR}${fields.join(SEPARATOR)}${SEPARATOR}${SEPARATOR}`, 'utf8'),
    next: () => undefined,
  }
}
