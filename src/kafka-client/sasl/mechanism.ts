/**
 * One SASL exchange, as Kafka's SaslAuthenticate requests carry it: the client speaks first, then answers each
 * server message until it has nothing more to say. Pure: no sockets, so each mechanism is tested on its own.
 */
export interface SaslExchange {
  /** Kafka's name for the mechanism, as SaslHandshake sends it (PLAIN, SCRAM-SHA-512, …). */
  readonly mechanism: string
  /** The client's first message. */
  first(): Buffer
  /**
   * The client's answer to a server message, or undefined when the exchange is complete. Throws SaslFailure
   * when the server's message is wrong (a forged SCRAM signature, a nonce it did not extend).
   */
  next(serverMessage: Buffer): Buffer | undefined
}

/** The server's part of an exchange did not check out: authentication did not happen, whatever the broker said. */
export class SaslFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SaslFailure'
  }
}
