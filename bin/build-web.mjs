#!/usr/bin/env node
// The third step of `npm run build`: kcl ui's page. esbuild bundles web/src/main.tsx (Preact) into dist/web/app.js;
// index.html and app.css are copied beside it. kcl serves these files itself (from dist/web/, or from the
// standalone binary's assets), so the page needs no internet.
// Usage: node bin/build-web.mjs
import {copyFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'

const REPO = fileURLToPath(new URL('..', import.meta.url))
export const WEB_OUT = join(REPO, 'dist', 'web')

export async function buildWeb() {
  mkdirSync(WEB_OUT, {recursive: true})
  await build({
    entryPoints: [join(REPO, 'web', 'src', 'main.tsx')],
    outfile: join(WEB_OUT, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox111', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  for (const file of ['index.html', 'app.css']) copyFileSync(join(REPO, 'web', file), join(WEB_OUT, file))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb()
