import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {oauthBearerExchange} from '../../src/kafka-client/sasl/oauthbearer.ts'
import {plainExchange} from '../../src/kafka-client/sasl/plain.ts'
import {scramExchange} from '../../src/kafka-client/sasl/scram.ts'
import {saslExchange, SaslFailure} from '../../src/kafka-client/sasl/index.ts'

const text = (b: Buffer | undefined): string | undefined => b?.toString('utf8')

describe('SASL PLAIN', () => {
  it('sends NUL user NUL password and is done after the broker answers', () => {
    const exchange = plainExchange('admin', 'pä55')
    assert.equal(exchange.mechanism, 'PLAIN')
    assert.deepEqual(exchange.first(), Buffer.from('\u0000admin\u0000pä55', 'utf8'))
    assert.equal(exchange.next(Buffer.alloc(0)), undefined)
  })
})

describe('SASL OAUTHBEARER', () => {
  it('sends the RFC 7628 initial response with the token and extensions', () => {
    const exchange = oauthBearerExchange('eyJ.abc.def', {traceId: '42'})
    assert.equal(exchange.mechanism, 'OAUTHBEARER')
    assert.equal(text(exchange.first()), 'n,,\u0001auth=Bearer eyJ.abc.def\u0001traceId=42\u0001\u0001')
    assert.equal(exchange.next(Buffer.alloc(0)), undefined)
  })
})

describe('SASL SCRAM', () => {
  // RFC 5802 section 5: the example exchange (SCRAM-SHA-1), user "user", password "pencil".
  it('replays the RFC 5802 example exchange', () => {
    const exchange = scramExchange('sha1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL')
    assert.equal(text(exchange.first()), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')
    const final = exchange.next(Buffer.from('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'))
    assert.equal(text(final), 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=')
    assert.equal(exchange.next(Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')), undefined)
  })

  // RFC 7677 section 3: the example exchange for SCRAM-SHA-256.
  it('replays the RFC 7677 SCRAM-SHA-256 example exchange', () => {
    const exchange = scramExchange('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO')
    assert.equal(exchange.mechanism, 'SCRAM-SHA-256')
    assert.equal(text(exchange.first()), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    const final = exchange.next(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))
    assert.equal(text(final), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')
    assert.equal(exchange.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), undefined)
  })

  it('refuses a server signature made without the password', () => {
    const exchange = scramExchange('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO')
    exchange.first()
    exchange.next(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'))
    assert.throws(() => exchange.next(Buffer.from('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), SaslFailure)
  })

  it('refuses a nonce the server did not extend, too few iterations and a server error', () => {
    const first = (): ReturnType<typeof scramExchange> => {
      const exchange = scramExchange('sha512', 'user', 'pencil', 'abc')
      exchange.first()
      return exchange
    }
    assert.throws(() => first().next(Buffer.from('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096')), /did not extend/)
    assert.throws(() => first().next(Buffer.from('r=abc123,s=QSXCR+Q6sek8bf92,i=1000')), /unsafe/)
    assert.throws(() => first().next(Buffer.from('e=unknown-user')), /refused: unknown-user/)
  })

  it('escapes = and , in user names and names SHA-512 as Kafka does', () => {
    const exchange = saslExchange({mechanism: 'scram-sha-512', username: 'a=b,c', password: 'x'})
    assert.equal(exchange.mechanism, 'SCRAM-SHA-512')
    assert.match(text(exchange.first()) ?? '', /^n,,n=a=3Db=2Cc,r=[A-Za-z0-9+/]{32}$/)
  })

  it('never repeats a nonce', () => {
    const settings = {mechanism: 'scram-sha-256', username: 'u', password: 'p'} as const
    assert.notEqual(text(saslExchange(settings).first()), text(saslExchange(settings).first()))
  })
})

describe('TLS failures a user can fix', async () => {
  const {securityFailure, looksLikeTls} = await import('../../src/kafka-client/secure.ts')
  const address = {host: 'localhost', port: 9093}
  const failure = (code: string) => securityFailure(address, Object.assign(new Error(code), {code}))?.message

  it('names each in one line, whatever OpenSSL calls its alerts', () => {
    assert.match(failure('SELF_SIGNED_CERT_IN_CHAIN') ?? '', /not signed by a CA kcl trusts/)
    assert.match(failure('CERT_HAS_EXPIRED') ?? '', /has expired/)
    assert.match(failure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') ?? '', /requires a client certificate/)
    assert.match(failure('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN') ?? '', /refused kcl's client certificate/)
    assert.match(failure('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED') ?? '', /it has expired/)
    assert.match(failure('ERR_SSL_WRONG_VERSION_NUMBER') ?? '', /does not speak TLS/)
    assert.equal(failure('ECONNREFUSED'), undefined)
  })

  it('knows a TLS record where a Kafka answer size should be', () => {
    assert.equal(looksLikeTls(Buffer.from([0x15, 0x03, 0x03, 0x00])), true)
    assert.equal(looksLikeTls(Buffer.from([0x00, 0x00, 0x01, 0x00])), false)
  })
})
