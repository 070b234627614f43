import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import type { Test } from 'tap'
import { listening } from './event-stream.js'
import { buildTestApp, type DatabaseKind, type TestApp } from './test-app.js'

// CHROMIUM_PATH when set; else Debian's `chromium` package: its binary (the /usr/bin wrapper only adds the flags of
// /etc/chromium.d, whose scripts misread a large /dev/shm), or the wrapper.
const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/lib/chromium/chromium', '/usr/bin/chromium']

const chromiumPath = (): string | undefined => candidates.find((path) => existsSync(path))

const missing = `chromium not installed (looked at ${candidates.join(', ')}): apt-get install -y chromium`

/**
 * Why browser tests are skipped (`t.test(name, { skip: browserSkipReason() }, …)`): Chromium is missing. Under CI
 * (`CI` set) they are never skipped, so a missing Chromium fails them in `launchChromium` instead of passing unseen.
 */
export function browserSkipReason(): string | false {
  return chromiumPath() === undefined && !process.env.CI ? missing : false
}

/** Headless Chromium, closed on teardown. */
export async function launchChromium(t: Test): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!executablePath) throw new Error(missing)
  // Playwright turns Chromium's sandbox off by default (it cannot start as root, nor without user namespaces);
  // a container's /dev/shm is often 64 MB, too small for Chromium's shared memory.
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  return browser
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

/**
 * Serves pages on 127.0.0.1 at a port of its own, so they are of another origin than the API; stopped on teardown.
 * `files` maps URL paths to contents, or names a directory (a built single-page app: paths without an extension
 * get its index.html). Returns the origin, e.g. `http://127.0.0.1:41234`.
 */
export async function servePages(t: Test, files: Record<string, string> | string): Promise<string> {
  const read = async (path: string): Promise<Buffer | string | undefined> => {
    if (typeof files !== 'string') return files[path]
    const file = join(files, normalize(extname(path) ? path : '/index.html'))
    return file.startsWith(files) ? readFile(file).catch(() => undefined) : undefined
  }
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname
    read(path === '/' ? '/index.html' : path).then((body) => {
      if (body === undefined) return void response.writeHead(404).end()
      response.writeHead(200, { 'content-type': contentTypes[extname(path)] ?? contentTypes['.html'] }).end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The app on a real socket at 127.0.0.1 (closed on teardown), `CORS_ORIGINS` set to the pages' origins; `url` is its base. */
export async function startApiForPages(
  t: Test,
  origins: string[],
  kind: DatabaseKind = 'pglite',
  environment: Record<string, string> = {},
): Promise<TestApp & { url: string }> {
  const context = await buildTestApp(t, kind, { CORS_ORIGINS: origins.join(','), ...environment })
  return { ...context, url: await listening(context) }
}
