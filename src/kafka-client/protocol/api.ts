/**
 * What every Kafka API kcl speaks looks like (the generated descriptors in messages/ fit it), and the request and
 * response headers around each message. Both directions are here, so tests can play the broker with them.
 */

import type {Reader, Writer} from './primitives.ts'

export interface Api<Request, RequestInput, Response, ResponseInput> {
  readonly name: string
  readonly key: number
  /** The versions kcl can write and read. */
  readonly minVersion: number
  readonly maxVersion: number
  /** Request header v2 (tagged fields) from this version on. */
  readonly flexibleFrom: number
  /** Response header v1 (tagged fields) from this version on. */
  readonly responseFlexibleFrom: number
  writeRequest(w: Writer, version: number, data: RequestInput): void
  readRequest(r: Reader, version: number): Request
  writeResponse(w: Writer, version: number, data: ResponseInput): void
  readResponse(r: Reader, version: number): Response
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApi = Api<any, any, any, any>
export type RequestOf<A extends AnyApi> = Parameters<A['writeRequest']>[2]
export type ResponseOf<A extends AnyApi> = ReturnType<A['readResponse']>

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

/** Request header v1, or v2 with tagged fields for flexible versions. */
export function writeRequestHeader(w: Writer, api: AnyApi, version: number, correlationId: number, clientId: string): void {
  w.int16(api.key).int16(version).int32(correlationId).string(clientId)
  if (version >= api.flexibleFrom) w.uvarint(0)
}

/** Reads a request header (the broker's side); the caller knows from the API key whether tagged fields follow. */
export function readRequestHeader(r: Reader, flexible: (apiKey: number, version: number) => boolean): RequestHeader {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const clientId = r.nullableString()
  if (flexible(apiKey, apiVersion)) r.skipTaggedFields()
  return {apiKey, apiVersion, correlationId, clientId}
}

export function writeResponseHeader(w: Writer, api: AnyApi, version: number, correlationId: number): void {
  w.int32(correlationId)
  if (version >= api.responseFlexibleFrom) w.uvarint(0)
}

/** Reads a response header; returns its correlation id. */
export function readResponseHeader(r: Reader, api: AnyApi, version: number): number {
  const correlationId = r.int32()
  if (version >= api.responseFlexibleFrom) r.skipTaggedFields()
  return correlationId
}
