import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { createTokenSigner } from '../../../src/platform/tokens.js'
import { EventStreamClient, listening, openStream } from '../../helpers/event-stream.js'
import { agentHeaders, createTenant, openSession, sendMessage, tenantUserHeaders } from '../../helpers/fixtures.js'
import { untypedBody, type RequestBody, type UntypedBody } from '../../helpers/operation-types.js'
import { buildLoggedTestApp, onEachDatabase, type TestApp } from '../../helpers/test-app.js'

// Issue: "Native EventSource cannot send Authorization. POST /livechat/stream-tokens returns a short-lived token
// ({ token, expires_at }, valid 60 s to connect, single use) bound to the user, the stream path and the tenant when
// one was given; the two stream endpoints accept it as ?stream_token= in place of both headers. Query-string
// tokens never appear in logs."

const agentPath = '/livechat/events'
const clientPath = '/livechat/client/events'
const operationOf = { [agentPath]: 'streamAgentEvents', [clientPath]: 'streamClientEvents' } as const
type StreamPath = keyof typeof operationOf

/** POST /livechat/stream-tokens, checked against openapi.yaml. */
const requestToken = (t: Test, context: TestApp, headers: Record<string, string>, payload?: RequestBody<'createStreamToken'> | UntypedBody) =>
  context.call(t, 'createStreamToken', { method: 'POST', url: '/livechat/stream-tokens', headers, ...(payload && { payload }) })

async function issueToken(t: Test, context: TestApp, headers: Record<string, string>, payload?: { path: StreamPath }) {
  const response = await requestToken(t, context, headers, payload)
  t.equal(response.statusCode, 201, 'stream token issued')
  return response.json().data as { token: string; expires_at: string; path: StreamPath; tenant_id: number | null }
}

/** Opens `path` with the stream token in the query string and no credentials in headers unless given. */
const openWithToken = (t: Test, base: string, path: StreamPath, token: string, headers: Record<string, string> = {}) =>
  EventStreamClient.open(t, base, operationOf[path], path, { query: { stream_token: token }, headers })

function assertRefused(t: Test, opened: { status: number; body?: any }) {
  t.equal(opened.status, 401, 'status 401')
  t.match(opened.body, { success: false, message: 'Authentication required', data: null, errors: { authorization: [/stream token/] } })
}

onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const tenantId = await createTenant(t, context, 'Tokens')
  const otherTenantId = await createTenant(t, context, 'Elsewhere')
  const bothTenants = [tenantId, otherTenantId]
  const agentOnly = (agentId = 1, tenants = bothTenants) => ({ authorization: agentHeaders(context, tenantId, agentId, tenants).authorization })

  t.test('an agent gets a token valid for 60 s and opens /livechat/events with it alone, over every tenant of the bearer token', async (t) => {
    const issued = await issueToken(t, context, agentOnly())
    t.match(issued, { token: /^\S{16,}$/, path: agentPath, tenant_id: null }, 'without X-Tenant-ID the token is for every tenant')
    const secondsAhead = (Date.parse(issued.expires_at) - Date.now()) / 1000
    t.ok(secondsAhead > 55 && secondsAhead <= 61, `expires_at is about 60 s ahead (${secondsAhead.toFixed(1)} s)`)

    const stream = await openStream(t, base, 'streamAgentEvents', agentPath, { query: { stream_token: issued.token } })
    const ready = await stream.next(t)
    t.equal(ready.event, 'stream.ready')
    t.same([...ready.data.tenant_ids].sort(), [...bothTenants].sort(), 'the stream covers the tenants of the bearer token')
    const sessionId = await openSession(t, context, otherTenantId, 1)
    const sent = await sendMessage(t, context, otherTenantId, sessionId, 'live over a stream token')
    const received = await stream.next(t, (event) => event.event === 'message.created')
    t.same(received.data.message, sent, 'the live message arrives as the API returned it')
    t.equal(received.data.tenant_id, otherTenantId)
  })

  t.test('a tenant user gets a token for /livechat/client/events bound to the tenant it was made with', async (t) => {
    const issued = await issueToken(t, context, tenantUserHeaders(context, tenantId, 2, bothTenants))
    t.match(issued, { path: clientPath, tenant_id: tenantId }, 'without a body the path is the one of the role; the tenant is bound')

    const stream = await openStream(t, base, 'streamClientEvents', clientPath, { query: { stream_token: issued.token } })
    t.same((await stream.next(t)).data.tenant_ids, [tenantId], 'the stream is for the bound tenant only')
    const elsewhere = await openSession(t, context, otherTenantId, 3)
    await sendMessage(t, context, otherTenantId, elsewhere, 'in the other tenant', 3)
    const sessionId = await openSession(t, context, tenantId, 3)
    const sent = await sendMessage(t, context, tenantId, sessionId, 'in the bound tenant', 3)
    const received = await stream.next(t, (event) => event.event === 'message.created')
    t.same(received.data.message, sent, "the first message is the bound tenant's: the other tenant's never came")
  })

  t.test('a token works once: the second use is 401 in the envelope', async (t) => {
    const { token } = await issueToken(t, context, agentOnly())
    const first = await openWithToken(t, base, agentPath, token)
    t.equal(first.status, 200, 'the first use opens the stream')
    first.stream?.close()
    assertRefused(t, await openWithToken(t, base, agentPath, token))
  })

  t.test('a token used twice at the same moment opens one stream', async (t) => {
    const { token } = await issueToken(t, context, agentOnly())
    const both = await Promise.all([openWithToken(t, base, agentPath, token), openWithToken(t, base, agentPath, token)])
    t.same(both.map((opened) => opened.status).sort(), [200, 401], 'one 200 and one 401')
    assertRefused(t, both.find((opened) => opened.status !== 200)!)
  })

  t.test('an expired token is 401', async (t) => {
    const { token } = await issueToken(t, context, agentOnly())
    await context.app.database.pool.execute(sql`update stream_tokens set expires_at = now() - interval '1 second'`)
    assertRefused(t, await openWithToken(t, base, agentPath, token))
  })

  t.test('a token opens only the stream it was made for; the wrong one is 401 and does not use it up', async (t) => {
    const agentToken = await issueToken(t, context, agentOnly())
    assertRefused(t, await openWithToken(t, base, clientPath, agentToken.token))
    t.equal((await openWithToken(t, base, agentPath, agentToken.token)).status, 200, 'it still opens its own stream')

    const clientToken = await issueToken(t, context, tenantUserHeaders(context, tenantId, 2))
    assertRefused(t, await openWithToken(t, base, agentPath, clientToken.token))
    t.equal((await openWithToken(t, base, clientPath, clientToken.token)).status, 200, 'it still opens its own stream')
  })

  t.test("a token works for its own user only: with another user's Authorization it is 401", async (t) => {
    const { token } = await issueToken(t, context, agentOnly(1))
    assertRefused(t, await openWithToken(t, base, agentPath, token, agentOnly(5)))
    const own = await openWithToken(t, base, agentPath, token, agentOnly(1))
    t.equal(own.status, 200, "with its own user's Authorization it opens (the refusal did not use it up)")
  })

  t.test('a token works for its own tenant only', async (t) => {
    const { token, tenant_id } = await issueToken(t, context, agentHeaders(context, tenantId, 1, bothTenants))
    t.equal(tenant_id, tenantId)
    assertRefused(t, await openWithToken(t, base, agentPath, token, { 'x-tenant-id': String(otherTenantId) }))
    const own = await openWithToken(t, base, agentPath, token, { 'x-tenant-id': String(tenantId) })
    t.equal(own.status, 200, 'with its own X-Tenant-ID it opens (the refusal did not use it up)')
    t.same((await own.stream!.next(t)).data.tenant_ids, [tenantId])

    const foreign = await requestToken(t, context, agentHeaders(context, otherTenantId, 1, [tenantId]))
    t.equal(foreign.statusCode, 403, "a token for a tenant outside the caller's bearer token is not made")
    t.match(foreign.json(), { success: false, data: null, errors: { 'X-Tenant-ID': [String] } })
  })

  t.test('a token is refused for a stream the caller cannot open, an unknown path, and a tenant stream without a tenant', async (t) => {
    const notTenantUser = await requestToken(t, context, agentHeaders(context, tenantId), { path: clientPath })
    t.equal(notTenantUser.statusCode, 403, 'an agent without TENANT_USER gets no token for the tenant stream')
    t.match(notTenantUser.json(), { success: false, errors: { roles: [/TENANT_USER/] } })

    const unknown = await requestToken(t, context, agentHeaders(context, tenantId), untypedBody({ path: '/livechat/sessions' }))
    t.equal(unknown.statusCode, 400, 'an unknown path is 400')
    t.match(unknown.json(), { success: false, errors: { path: [String] } })

    const noTenant = await requestToken(t, context, { authorization: tenantUserHeaders(context, tenantId).authorization })
    t.equal(noTenant.statusCode, 400, 'the tenant stream needs X-Tenant-ID')
    t.match(noTenant.json(), { success: false, errors: { 'X-Tenant-ID': [String] } })

    const anonymous = await requestToken(t, context, {})
    t.equal(anonymous.statusCode, 401, 'a token is made with the normal headers only')
  })

  t.test('a string that is not a token is 401', async (t) => {
    assertRefused(t, await openWithToken(t, base, agentPath, 'not-a-stream-token'))
    assertRefused(t, await openWithToken(t, base, clientPath, ''))
  })

  t.test('a stream token is no credential for other operations', async (t) => {
    const { token } = await issueToken(t, context, agentHeaders(context, tenantId))
    const response = await context.call(t, 'listSessions', {
      method: 'GET',
      url: '/livechat/sessions',
      query: { stream_token: token },
      headers: { 'x-tenant-id': String(tenantId) },
    })
    t.equal(response.statusCode, 401)
    t.equal((await openWithToken(t, base, agentPath, token)).status, 200, 'and it still opens its stream')
  })

  t.test('the stream a token opens ends when the bearer token it was made with expires', async (t) => {
    const shortLived = createTokenSigner(context.config, '2s')({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
    const { token } = await issueToken(t, context, { authorization: `Bearer ${shortLived}`, 'x-tenant-id': String(tenantId) })
    const stream = await openStream(t, base, 'streamAgentEvents', agentPath, { query: { stream_token: token } })
    t.equal((await stream.next(t)).event, 'stream.ready')
    const reconnect = await stream.next(t, (event) => event.event === 'stream.reconnect', 6000)
    t.same(reconnect.data, { type: 'stream.reconnect', reason: 'credentials_expired' })
    await stream.ended
    t.ok(stream.isEnded, 'the server ended the stream')
  })

  t.test('query-string tokens never reach the log', async (t) => {
    const { context: logged, lines } = await buildLoggedTestApp(t, context.kind)
    const loggedBase = await listening(logged)
    const loggedTenant = await createTenant(t, logged, 'Logged')
    const tokens: string[] = []
    const newToken = async () => {
      const { token } = await issueToken(t, logged, agentHeaders(logged, loggedTenant))
      tokens.push(token)
      return token
    }

    const token = await newToken()
    const stream = await openStream(t, loggedBase, 'streamAgentEvents', agentPath, { query: { stream_token: token } })
    t.equal((await stream.next(t)).event, 'stream.ready')
    assertRefused(t, await openWithToken(t, loggedBase, agentPath, token))
    // A refusal is logged too; here the token is for the other stream, and not the only parameter.
    const agentToken = await newToken()
    assertRefused(t, await EventStreamClient.open(t, loggedBase, 'streamClientEvents', `${clientPath}?last_event_id=x&stream_token=${agentToken}`))
    // The parser decodes names as well as values: a percent-encoded name is the same parameter, and the same secret.
    const encodedToken = await newToken()
    const encoded = await EventStreamClient.open(t, loggedBase, 'streamAgentEvents', `${agentPath}?stream%5Ftoken=${encodedToken}`)
    t.equal(encoded.status, 200, 'a percent-encoded parameter name is accepted')
    encoded.stream?.close()
    stream.close()
    await stream.ended

    t.ok(lines.some((line) => line.includes(`"url":"${agentPath}?`)), 'the stream requests are logged, with their path')
    for (const secret of tokens) t.same(lines.filter((line) => line.includes(secret)), [], 'no log line holds the token')
  })
})

