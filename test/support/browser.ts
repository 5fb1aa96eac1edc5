import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chromium, type BrowserContext, type Page} from 'playwright-core'
import {REPO_ROOT} from './kcl.ts'

/** Debian's chromium, installed by test/env/setup.sh; playwright-core never downloads a browser of its own. */
export const CHROMIUM = process.env.KCL_TEST_CHROMIUM ?? '/usr/bin/chromium'
/** Where the browser tests leave their screenshots (gitignored). */
export const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'screenshots')

export interface Browser {
  page: Page
  close(): Promise<void>
}

/** One headless chromium with a fresh profile and nothing that talks to the internet. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'kcl-chromium-'))
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: {width: 1400, height: 1000},
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const page = context.pages()[0] ?? (await context.newPage())
  return {
    page,
    async close() {
      await context.close()
      rmSync(profile, {recursive: true, force: true})
    },
  }
}

/** The whole page, or with `viewport` only what a person sees first. */
export async function screenshot(page: Page, name: string, options: {viewport?: boolean} = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, {recursive: true})
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({path, fullPage: !options.viewport})
  return path
}

/** The body rows of the table with this caption, as text cells (row header first). */
export async function tableRows(page: Page, caption: string): Promise<string[][]> {
  const rows = page.getByRole('table', {name: caption, exact: true}).locator('tbody tr')
  return Promise.all((await rows.all()).map(async (row) => (await row.locator('th, td').allTextContents()).map((cell) => cell.trim())))
}
