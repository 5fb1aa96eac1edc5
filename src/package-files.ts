import {readFileSync} from 'node:fs'
import {getAsset, isSea} from 'node:sea'

// This file's compiled form, and the dist/kcl.cjs bundle it is part of, sit one level below the package's root.
const PACKAGE_ROOT = new URL('../', import.meta.url)

/**
 * A data file kcl ships (compose templates, completion scripts), by its path in the package: read from the npm install
 * or checkout, or from the standalone binary, which carries each one as an asset of that name (bin/build-binary.mjs).
 */
export function readPackageFile(path: string): string {
  if (isSea()) return getAsset(path, 'utf8')
  return readFileSync(packageFileUrl(path), 'utf8')
}

/** Where a file of the npm install or checkout is, by its path in the package. */
export function packageFileUrl(path: string): URL {
  return new URL(path, PACKAGE_ROOT)
}
