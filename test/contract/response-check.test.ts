import t from 'tap'
import { assertResponseFitsSpec, operationOf } from '../helpers/spec-validator.js'
import { agentHeaders, createTenant } from '../helpers/fixtures.js'
import { buildTestApp } from '../helpers/test-app.js'

// test/helpers/test-app.ts checks every injected response against openapi.yaml by the route it reaches
// (assertResponseFitsSpec). These tests show that check can fail, and what it leaves alone.

const json = { 'content-type': 'application/json; charset=utf-8' }
const meta = { request_id: 'r', timestamp: '2026-11-27T10:00:00.000Z' }

t.test('a request is matched to its operation as the router matches it', async (t) => {
  t.equal(operationOf('GET', '/livechat/sessions/01a21d2e-b09b-7768-8a2e-90b4717b67d4/messages?limit=5'), 'listMessages')
  t.equal(operationOf('post', '/livechat/sessions/abc/messages'), 'sendMessage')
  t.equal(operationOf('PUT', '/livechat/agents/me/presence'), 'setMyPresence', 'a static path before a parameter')
  t.equal(operationOf('DELETE', '/livechat/sessions'), undefined, 'no such operation')
  t.equal(operationOf('GET', '/nowhere'), undefined)
})

t.test('a response that does not fit its operation fails; what fits, or is not JSON of an operation, passes', async (t) => {
  const page = { success: true, message: 'Sessions', data: [], meta: { ...meta, pagination: { has_next: false, has_prev: false, limit: 50 } }, errors: null }
  const withId = { ...json, 'x-request-id': 'r' }
  t.doesNotThrow(() => assertResponseFitsSpec('GET', '/livechat/sessions', { statusCode: 200, headers: withId, body: JSON.stringify(page) }))
  t.throws(() => assertResponseFitsSpec('GET', '/livechat/sessions', { statusCode: 200, headers: json, body: JSON.stringify(page) }), /the x-request-id header is missing/)
  t.throws(
    () => assertResponseFitsSpec('GET', '/livechat/sessions', { statusCode: 200, headers: withId, body: JSON.stringify({ ...page, meta }) }),
    /GET \/livechat\/sessions answered 200, which does not fit openapi.yaml for listSessions: \/meta must have required property 'pagination'/,
  )
  t.throws(() => assertResponseFitsSpec('GET', '/livechat/sessions', { statusCode: 418, headers: withId, body: '{}' }), /does not document 418/)
  t.doesNotThrow(() => assertResponseFitsSpec('GET', '/nowhere', { statusCode: 200, headers: json, body: '{"anything":1}' }), 'no operation')
  t.doesNotThrow(() => assertResponseFitsSpec('GET', '/livechat/stream', { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body: 'data: x\n\n' }), 'not JSON')
  t.doesNotThrow(() => assertResponseFitsSpec('HEAD', '/livechat/sessions', { statusCode: 200, headers: json, body: '' }), 'no body')
})

t.test('an app built for tests checks what it answers without being told the operation', async (t) => {
  const context = await buildTestApp(t, 'pglite')
  const tenantId = await createTenant(t, context)
  const listed = await context.app.inject({ method: 'GET', url: '/livechat/sessions', headers: agentHeaders(context, tenantId) })
  t.equal(listed.statusCode, 200, 'checked on the way, and it fits')
})
