import type {SaslSettings} from '../../kafka/security.ts'
import type {SaslExchange} from './mechanism.ts'
import {oauthBearerExchange} from './oauthbearer.ts'
import {plainExchange} from './plain.ts'
import {scramExchange} from './scram.ts'

export {SaslFailure, type SaslExchange} from './mechanism.ts'

/** A fresh exchange for one connection (SCRAM nonces must never repeat). */
export function saslExchange(settings: SaslSettings): SaslExchange {
  switch (settings.mechanism) {
    case 'plain':
      return plainExchange(settings.username, settings.password)
    case 'scram-sha-256':
      return scramExchange('sha256', settings.username, settings.password)
    case 'scram-sha-512':
      return scramExchange('sha512', settings.username, settings.password)
    case 'oauthbearer':
      return oauthBearerExchange(settings.token)
  }
}
