import t from 'tap'
import { onEachDatabase } from '../../helpers/test-app.js'

// GET /health answers without any authentication, in the envelope like every other response.
onEachDatabase(t, async (t, context) => {
  t.test('GET /health without any auth is 200 {status: "ok"} in the envelope', async (t) => {
    const response = await context.call(t, 'getHealth', { method: 'GET', url: '/health' })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { success: true, data: { status: 'ok' }, errors: null, meta: { request_id: String, timestamp: String } })
    t.equal(response.headers['x-request-id'], response.json().meta.request_id, 'the request id is echoed as a header')
  })

  t.test('an invalid token or a tenant header does not matter to /health', async (t) => {
    const response = await context.call(t, 'getHealth', {
      method: 'GET',
      url: '/health',
      headers: { authorization: 'Bearer not.a.token', 'x-tenant-id': 'nonsense' },
    })
    t.equal(response.statusCode, 200)
    t.same(response.json().data, { status: 'ok' })
  })

  t.test('an incoming X-Request-ID is echoed in meta.request_id', async (t) => {
    const response = await context.call(t, 'getHealth', { method: 'GET', url: '/health', headers: { 'x-request-id': 'health-check.1' } })
    t.equal(response.json().meta.request_id, 'health-check.1')
  })
})
