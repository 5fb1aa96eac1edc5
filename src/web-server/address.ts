import {usageError} from '../errors.ts'

/** Where kcl ui listens unless told otherwise: only this machine can reach it. */
export const DEFAULT_HOST = '127.0.0.1'

/** Loopback addresses and names: the only hosts whose server nobody else can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host)
}

export function validateHost(host: string): string {
  if (!/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/.test(host)) {
    throw usageError(`--host "${host}" is not a host name or IP address.`, 'For example --host 127.0.0.1 (the default) or --host 0.0.0.0 to open it to the network.')
  }
  return host
}

export function validatePort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be 0 to 65535, not ${port}.`, '0 picks a free port.')
  return port
}
