import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { build } from 'vite'
import { browserSkipReason, launchChromium, servePages, startApiForPages } from '../helpers/browser.js'
import { adminHeaders, agentHeaders, createTenant, openSession, sendMessage } from '../helpers/fixtures.js'
import { assertResponseFitsSpec } from '../helpers/spec-validator.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { testNeeding } from '../helpers/test-needing.js'

// Issue 9, the agent console in headless Chromium: "an agent and a tenant user in two browser contexts, on
// different origins from the API where CORS matters, exchange messages and see each other's messages and typing
// appear live; a network cut and reconnect loses nothing; the agent goes ONLINE and stays ONLINE." The console is
// built from web/ for this test, and each page is served from an origin of its own.

const root = fileURLToPath(new URL('../../', import.meta.url))
const screenshots = join(root, 'test-results')

/** The console built from the current source, as paths under /console/ to what they serve. */
async function builtConsole(t: Test): Promise<Record<string, string>> {
  const outDir = mkdtempSync(join(tmpdir(), 'livechat-console-'))
  t.teardown(() => rmSync(outDir, { recursive: true, force: true }))
  await build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } })
  const files: Record<string, string> = { '/console/': readFileSync(join(outDir, 'index.html'), 'utf8') }
  for (const asset of readdirSync(join(outDir, 'assets'))) files[`/console/assets/${asset}`] = readFileSync(join(outDir, 'assets', asset), 'utf8')
  return files
}

/** Every JSON answer the pages receive, checked against openapi.yaml as injected answers are; misfits are kept. */
function checkAnswers(context: BrowserContext, answers: { checked: number; misfits: string[] }): BrowserContext {
  context.on('response', async (response) => {
    if (!response.headers()['content-type']?.startsWith('application/json')) return
    const request = response.request()
    try {
      const body = await response.text()
      assertResponseFitsSpec(request.method(), new URL(request.url()).pathname, { statusCode: response.status(), headers: await response.allHeaders(), body })
      answers.checked += 1
    } catch (error) {
      answers.misfits.push(`${request.method()} ${request.url()}: ${(error as Error).message}`)
    }
  })
  return context
}

async function signIn(context: BrowserContext, origin: string, api: string, token: string, tenantId: number): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${origin}/console/#token=${token}&tenant=${tenantId}&api=${encodeURIComponent(api)}`)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('status', { name: 'Connection' }).getByText('Live').waitFor()
  return page
}

const messages = (page: Page) => page.getByRole('log', { name: 'Messages' })
const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true })
const axeScript = join(root, 'node_modules/axe-core/axe.min.js')

/**
 * The screen's screenshot, after axe-core checks it against WCAG 2 A and AA (labels, names, roles, contrast):
 * "plain, accessible (labels, keyboard, contrast)".
 */
async function screen(t: Test, page: Page, name: string) {
  await page.addScriptTag({ path: axeScript })
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe
    const results = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)
  })
  t.same(violations, [], `${name}: no WCAG 2.1 A/AA violations`)
  await page.screenshot({ path: join(screenshots, `${name}.png`) })
}

async function send(page: Page, text: string) {
  await composer(page).fill(text)
  await composer(page).press('Enter')
  await messages(page).getByText(text, { exact: true }).waitFor()
}

t.test('the console: an agent and a tenant user chat live across origins', { skip: browserSkipReason() }, async (t) => {
  mkdirSync(screenshots, { recursive: true })
  const files = await builtConsole(t)
  const agentOrigin = await servePages(t, files)
  const tenantOrigin = await servePages(t, files)
  // A short presence TTL, so "stays ONLINE" means renewed; a fast heartbeat, so a silent stream is noticed soon.
  const api = await startApiForPages(t, [agentOrigin, tenantOrigin], 'pglite', { PRESENCE_TTL_SECONDS: '3', STREAM_HEARTBEAT_SECONDS: '1' })
  const tenantId = await createTenant(t, api)
  const agentToken = api.token({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
  const tenantUserToken = api.token({ sub: 2, roles: ['TENANT_USER'], tenants: [tenantId] })
  // The tenant user reaches the API through a proxy that can cut the network.
  const apiAddress = new URL(api.url)
  const proxy = await startTcpProxy({ host: apiAddress.hostname, port: Number(apiAddress.port) })
  t.teardown(() => proxy.close())

  const browser = await launchChromium(t)
  const answers = { checked: 0, misfits: [] as string[] }
  const newContext = async () => checkAnswers(await browser.newContext({ viewport: { width: 1200, height: 760 } }), answers)
  const agent = await signIn(await newContext(), agentOrigin, api.url, agentToken, tenantId)
  await agent.getByRole('status', { name: 'Presence' }).getByText('ONLINE').waitFor()

  await t.test('the agent starts a session and writes first: the tenant user sees it unread, then live', async (t) => {
    await agent.getByRole('button', { name: 'Start session' }).click()
    await send(agent, 'Halo, ada yang bisa dibantu?')

    const tenant = await signIn(await newContext(), tenantOrigin, `http://${proxy.address}`, tenantUserToken, tenantId)
    const sessions = tenant.getByRole('list', { name: 'Sessions' })
    await sessions.getByText('1 unread', { exact: true }).waitFor()
    t.pass('the session shows one unread message')
    await sessions.getByRole('button').first().click()
    await messages(tenant).getByText('Halo, ada yang bisa dibantu?').waitFor()
    t.equal(await sessions.getByText('1 unread', { exact: true }).count(), 0, 'opened: nothing unread')

    await composer(tenant).pressSequentially('Saya tidak bisa masuk', { delay: 10 })
    await agent.getByText('Tenant user 2 is typing…').waitFor()
    t.pass("the agent sees the tenant user's typing")
    await composer(tenant).press('Enter')
    await messages(agent).getByText('Saya tidak bisa masuk').waitFor()
    t.pass("the agent sees the tenant user's message live")

    await composer(agent).pressSequentially('Sebentar', { delay: 10 })
    await tenant.getByText('Agent 1 is typing…').waitFor()
    t.pass("the tenant user sees the agent's typing")
    await composer(agent).press('Enter')
    await messages(tenant).getByText('Sebentar', { exact: true }).waitFor()
    t.pass("the tenant user sees the agent's message live")
    await screen(t, agent, 'console-agent')
    await screen(t, tenant, 'console-tenant')

    await t.test('a network cut and reconnect loses nothing', async (t) => {
      proxy.cut('reset')
      await tenant.getByRole('status', { name: 'Connection' }).getByText('Reconnecting…').waitFor()
      const during = ['Coba sekarang', 'Atau hapus cache', 'Lalu masuk lagi']
      for (const text of during) await send(agent, text)
      proxy.restore()
      await tenant.getByRole('status', { name: 'Connection' }).getByText('Live').waitFor({ timeout: 15_000 })
      for (const text of during) await messages(tenant).getByText(text, { exact: true }).waitFor()
      const shown = await messages(tenant).locator('.text').allTextContents()
      t.same(shown.filter((text) => during.includes(text)), during, 'every message sent during the cut, in order, once')
    })

    await t.test('the agent stays ONLINE while the page is open', async (t) => {
      await new Promise((resolve) => setTimeout(resolve, 4000))
      const presence = await api.call(t, 'getAgentPresence', { method: 'GET', url: '/livechat/agents/1/presence', headers: agentHeaders(api, tenantId) })
      t.equal(presence.json().data.status, 'ONLINE', 'ONLINE past the 3 s presence TTL')
    })

    await t.test('the tenant user reads notifications and marks them all read', async (t) => {
      const tab = tenant.getByRole('button', { name: /^Notifications/ })
      await tab.click()
      const unread = tenant.getByRole('status').filter({ hasText: / unread$/ })
      await unread.filter({ hasText: /^[1-9]/ }).waitFor()
      t.ok(parseInt((await unread.textContent()) ?? '', 10) >= 4, `${await unread.textContent()}: one per agent message`)
      await screen(t, tenant, 'console-notifications')
      await tenant.getByRole('button', { name: 'Mark all read' }).click()
      await unread.filter({ hasText: /^0 unread$/ }).waitFor()
      const counted = await api.call(t, 'getUnreadNotificationCount', { method: 'GET', url: '/notifications/unread-count', headers: { authorization: `Bearer ${tenantUserToken}`, 'x-tenant-id': String(tenantId) } })
      t.equal(counted.json().data.unread, 0, 'none unread in the API either')
      await send(agent, 'Satu lagi')
      await unread.filter({ hasText: /^1 unread$/ }).waitFor()
      await tenant.getByRole('button', { name: /Agent 1: Satu lagi/ }).waitFor()
      t.pass('a new notification shows at once, and is counted once')
      await tenant.getByRole('button', { name: 'Sessions' }).click()
    })

    await t.test('the agent closes the session: the tenant user sees it closed', async () => {
      await agent.getByRole('button', { name: 'Close session' }).click()
      await tenant.getByText('This session is closed.').waitFor()
      await agent.getByText('This session is closed.').waitFor()
    })

    await t.test('a long history loads page by page as the reader scrolls up', async (t) => {
      const sessionId = await openSession(t, api, tenantId, 3)
      const texts = Array.from({ length: 75 }, (_, index) => `Pesan ${index + 1}`)
      for (const text of texts) await sendMessage(t, api, tenantId, sessionId, text, 3)
      await tenant.getByRole('list', { name: 'Sessions' }).getByRole('button').filter({ hasText: sessionId.slice(-8) }).click()
      const log = messages(tenant)
      await log.getByText('Pesan 75', { exact: true }).waitFor()
      t.equal(await log.locator('.text').count(), 30, 'the latest page first')
      for (const oldest of ['Pesan 16', 'Pesan 1']) {
        await log.evaluate((element) => element.scrollTo(0, 0))
        await log.getByText(oldest, { exact: true }).waitFor()
      }
      t.same(await log.locator('.text').allTextContents(), texts, 'the whole history, in order, each message once')
    })
  })

  await t.test('offline, a start files a ticket; the agent sees it and replies', async (t) => {
    await agent.getByRole('button', { name: 'Go offline' }).click()
    await agent.getByRole('status', { name: 'Presence' }).getByText('OFFLINE').waitFor()
    await agent.getByRole('button', { name: 'Start session' }).click()
    await agent.getByRole('alert').getByText(/offline/).waitFor()
    t.pass('the start is refused, and says why')
    await agent.getByRole('button', { name: 'Tickets', exact: true }).click()
    await agent.getByRole('list', { name: 'Tickets' }).getByText('Filed while offline').click()
    await agent.getByRole('textbox', { name: 'Reply' }).fill('Kami cek dulu ya')
    await agent.getByRole('button', { name: 'Send' }).click()
    await agent.getByRole('list', { name: 'Replies' }).getByText('Kami cek dulu ya').waitFor()
    await agent.getByLabel('Status').selectOption('IN_PROGRESS')
    await agent.getByRole('button', { name: 'Update status' }).click()
    await agent.getByRole('list', { name: 'Tickets' }).getByText('IN_PROGRESS').waitFor()
    t.pass('the ticket moved to IN_PROGRESS')
    await screen(t, agent, 'console-tickets')
    t.pass('the reply is shown')
  })

  await t.test('a customer waits in the queue while the agent is full, and is served when a seat frees', async (t) => {
    const routedTenantId = await createTenant(t, api, 'Routed')
    const capacity = await api.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${routedTenantId}`, headers: adminHeaders(api), payload: { agent_capacity: 1 } })
    t.equal(capacity.statusCode, 200, 'agent_capacity is 1')
    const customerToken = api.token({ sub: 5, roles: ['TENANT_USER'], tenants: [routedTenantId] })
    const customer = await signIn(await newContext(), tenantOrigin, api.url, customerToken, routedTenantId)
    await customer.getByRole('button', { name: 'Start a chat' }).click()
    await customer.getByRole('alert').getByText(/^No agent is online .* ticket [0-9a-f-]{36};/).waitFor()
    t.pass('with no agent online, the customer is told which ticket keeps the request')

    const agentToken = api.token({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [routedTenantId] })
    const routedAgent = await signIn(await newContext(), agentOrigin, api.url, agentToken, routedTenantId)
    await routedAgent.getByRole('button', { name: 'Start session' }).click()
    await composer(routedAgent).waitFor()
    t.pass('the agent has one open chat: no free seat at agent_capacity 1')

    await customer.getByLabel('Subject').fill('Tidak bisa masuk')
    await customer.getByLabel('First message').fill('Halo, saya menunggu')
    await customer.getByRole('button', { name: 'Start a chat' }).click()
    await customer.getByRole('status', { name: 'Queue position' }).getByText('number 1 in the queue').waitFor()
    await messages(customer).getByText('Halo, saya menunggu').waitFor()
    t.pass('the customer waits with their first message, and sees their place in the queue')

    const queued = routedAgent.getByRole('list', { name: 'Queued chats' })
    await queued.getByText('User 5').waitFor()
    await queued.getByRole('button', { name: 'Take' }).click()
    await routedAgent.getByRole('alert').getByText('You have as many open chats as this tenant allows: close one first.').waitFor()
    t.pass('the agent sees the queue, and a take past capacity is refused in words')
    await screen(t, routedAgent, 'console-queue')
    await screen(t, customer, 'console-queued')

    await routedAgent.getByRole('button', { name: 'Close session' }).click()
    await customer.getByRole('heading', { name: /OPEN with Agent 1$/ }).waitFor()
    await composer(customer).waitFor()
    t.pass('a seat frees: the customer’s chat is open with the agent')
    await routedAgent.getByText('Nobody is waiting.').waitFor()
    await routedAgent.getByRole('list', { name: 'Sessions' }).getByRole('button', { name: /OPEN/ }).click()
    await messages(routedAgent).getByText('Halo, saya menunggu').waitFor()
    t.pass('the agent has the chat, with what the customer wrote while waiting')

    await routedAgent.getByLabel('Transfer to agent').fill('99')
    await routedAgent.getByRole('button', { name: 'Transfer' }).click()
    await routedAgent.getByRole('alert').getByText('Agent 99 is offline.').waitFor()
    t.pass('a transfer to an offline agent is refused in words')

    await customer.getByRole('button', { name: 'Leave chat' }).click()
    await customer.getByText('This session is closed.').waitFor()
    await routedAgent.getByText('This session is closed.').waitFor()
    t.pass('the customer leaves, and the agent sees the chat closed')
  })

  t.same(answers.misfits, [], `every answer the console received fits openapi.yaml (${answers.checked} checked)`)
  t.ok(answers.checked > 20, 'the console’s answers were seen')
})

const servedConsole = join(root, 'web/dist/index.html')
const notBuilt = !existsSync(servedConsole) && 'web/dist is not built: npm run console:build (npm ci and npm run build build it)'

testNeeding(t, 'the API serves the built console at /console, calling its own origin', browserSkipReason() || notBuilt, async (t) => {
  const api = await startApiForPages(t, [])
  const tenantId = await createTenant(t, api)
  const redirect = await api.app.inject('/console')
  t.same([redirect.statusCode, redirect.headers.location], [302, '/console/'], '/console leads to /console/')
  const index = await api.app.inject('/console/')
  t.same([index.statusCode, index.headers['cache-control']], [200, 'no-cache'], 'index.html is asked for anew')
  const script = /\/console\/assets\/[^"]+\.js/.exec(index.body)?.[0]
  const asset = await api.app.inject(script ?? '/console/assets/missing.js')
  t.same([asset.statusCode, asset.headers['cache-control']], [200, 'public, max-age=31536000, immutable'], 'hashed assets are kept')

  const browser = await launchChromium(t)
  const page = await browser.newPage()
  await page.goto(`${api.url}/console/`)
  t.equal(await page.getByLabel('API address').inputValue(), api.url, 'the API address defaults to the page’s own origin')
  await page.getByLabel('Token').fill(api.token({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] }))
  await page.getByLabel('Tenant ID').fill(String(tenantId))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('status', { name: 'Connection' }).getByText('Live').waitFor()
  t.pass('signed in and live, same origin')

  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('Token').fill(api.token({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId + 1] }))
  await page.getByLabel('Tenant ID').fill(String(tenantId))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('alert').getByText(/not active or not available/).waitFor()
  await screen(t, page, 'console-sign-in')
  t.pass('a token without the tenant is refused at sign-in, saying why')
})
