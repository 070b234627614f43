import t from 'tap'
import { createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { onEachDatabase } from '../../helpers/test-app.js'

// An agent's message notifies the tenant with "Agent <id>: <the start of the message>": white space folded
// to single spaces, at most 120 characters (code points, so an emoji is never cut in half), "…" when cut.
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const sessionId = await openSession(t, context, tenantId)
  const reader = {
    authorization: `Bearer ${context.token({ sub: 101, roles: ['TENANT_USER'], tenants: [tenantId] })}`,
    'x-tenant-id': String(tenantId),
  }
  const cases: [string, string][] = [
    ['  Halo,\n\n  ada yang   bisa\tdibantu?  ', 'Agent 1: Halo, ada yang bisa dibantu?'],
    ['😀'.repeat(120), `Agent 1: ${'😀'.repeat(120)}`],
    ['😀'.repeat(121), `Agent 1: ${'😀'.repeat(119)}…`],
    [`${' '.repeat(5000)}hi`, 'Agent 1: hi'],
    [`${'a'.repeat(119)}\n${'b'.repeat(9000)}`, `Agent 1: ${'a'.repeat(119)}…`],
  ]
  for (const [text] of cases) await sendMessage(t, context, tenantId, sessionId, text)
  const response = await context.call(t, 'listNotifications', { method: 'GET', url: '/notifications', query: { limit: '10' }, headers: reader })
  t.equal(response.statusCode, 200)
  const texts = response.json().data.map((notification: { text: string }) => notification.text).reverse()
  t.same(texts, cases.map(([, excerpt]) => excerpt))
})
