import {readFileSync} from 'node:fs'
import {getAsset, isSea} from 'node:sea'

const PACKAGE_ROOT = new URL('../', import.meta.url)

/**
 * A data file kcl ships (compose templates, completion scripts), by its path in the package: read from the npm install
 * or checkout, or from the standalone binary, which carries each one as an asset of that name (bin/build-binary.mjs).
 */
export function readPackageFile(path: string): string {
  if (isSea()) return getAsset(path, 'utf8')
  return readFileSync(new URL(path, PACKAGE_ROOT), 'utf8')
}
