import {readFile} from 'node:fs/promises'
import {getAsset, isSea} from 'node:sea'
import {packageFileUrl} from '../package-files.ts'

/** The page's files, built from web/ by bin/build-web.mjs into dist/web/ (and into the binary as SEA assets). */
export const ASSET_FILES = ['index.html', 'app.js', 'app.css'] as const
export type AssetFile = (typeof ASSET_FILES)[number]

const CONTENT_TYPES: Record<AssetFile, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
}

export interface Asset {
  body: Buffer
  contentType: string
}

const BUILT_DIR = packageFileUrl('dist/web/')

/** Reads every asset once, at start: a missing build fails `kcl ui` at once rather than the first page. */
export async function loadAssets(): Promise<Map<AssetFile, Asset>> {
  const assets = new Map<AssetFile, Asset>()
  for (const file of ASSET_FILES) {
    const body = isSea() ? Buffer.from(getAsset(`web/${file}`)) : await readFile(new URL(file, BUILT_DIR))
    assets.set(file, {body, contentType: CONTENT_TYPES[file]})
  }
  return assets
}
