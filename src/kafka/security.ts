/**
 * How a connection to Kafka is secured: types only, shared by the client (src/kafka-client/) that applies them
 * and the profiles and flags (src/profile/) that produce them. Certificates and keys are PEM text, already read
 * from their files.
 */

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

export interface TlsSettings {
  /** CA certificates to trust instead of the system's, PEM. */
  ca?: string
  /** Client certificate and its private key for mutual TLS, PEM. */
  cert?: string
  key?: string
  /** The private key's passphrase, when it is encrypted. */
  passphrase?: string
  /** Skip certificate and host name verification (kcl warns each time). */
  insecure?: boolean
}

export type SaslSettings =
  | {mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string}
  /** A token the user already holds (OAUTHBEARER without a token endpoint). */
  | {mechanism: 'oauthbearer'; token: string}

export interface ConnectionSecurity {
  /** TLS on every connection when present. */
  tls?: TlsSettings
  sasl?: SaslSettings
}

/** Kafka's names for the mechanisms, as brokers list them. */
export const saslMechanismName = (mechanism: SaslMechanism): string => mechanism.toUpperCase()
