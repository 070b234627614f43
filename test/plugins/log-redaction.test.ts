import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { createSigner } from 'fast-jwt'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { serializeError } from '../../src/platform/error-serializer.js'
import { agentHeaders, createTenant, openSession } from '../helpers/fixtures.js'
import { buildLoggedTestApp, databaseKinds, testOn, type TestApp } from '../helpers/test-app.js'

// Issue 7: "A token passed in a query string is written to the log with the URL"; "pino `redact` for authorization
// material and query-string tokens; database errors logged without their parameters (chat text stays out of logs)".

type LogLine = { msg?: string; code?: string; cause?: string; err?: { type: string; message: string; stack: string; query?: string; cause?: { code?: string; constraint?: string } } }


function assertNowhere(t: Test, lines: string[], secrets: Record<string, string>) {
  for (const [label, secret] of Object.entries(secrets)) {
    t.same(lines.filter((line) => line.includes(secret)), [], `no log line holds ${label}`)
  }
}

/** The log lines carrying an error from a query on chat_messages. */
const queryErrorLines = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.err?.query?.includes('"chat_messages"'))

const sendMessage = (t: Test, context: TestApp, tenantId: number, sessionId: string, message: string, agentId = 1) =>
  context.call(t, 'sendMessage', {
    method: 'POST',
    url: `/livechat/sessions/${sessionId}/messages`,
    headers: agentHeaders(context, tenantId, agentId),
    payload: { message },
  })

/** Holds an ACCESS EXCLUSIVE lock on chat_messages from another connection while `during` runs; cancels whatever waits for it. */
async function whileMessagesLocked<T>(t: Test, databaseUrl: string, during: () => Promise<T>): Promise<T> {
  const holder = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  t.teardown(() => holder.end())
  const lock = await holder.reserve()
  await lock`begin`
  await lock`lock table chat_messages in access exclusive mode`
  let done = false
  const running = during().finally(() => (done = true))
  // A query that waits for the lock is canceled, as a statement timeout or an operator would.
  while (!done) {
    await lock`select pg_cancel_backend(pid) from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await lock`rollback`
  lock.release()
  return running
}

for (const kind of databaseKinds) {
  testOn(t, kind, kind, async (t) => {
    const { context, lines } = await buildLoggedTestApp(t, kind)
    const tenantId = await createTenant(t, context)
    const headers = agentHeaders(context, tenantId)

    t.test('credentials in the query string never reach the log, however their name is written or encoded', async (t) => {
      const secrets = {
        'a bearer token as ?token=': context.token({ sub: 71, tenants: [tenantId] }),
        'an access_token': `access-${randomUUID()}`,
        'a percent-encoded token name (%74oken)': `encoded-${randomUUID()}`,
        'a doubly encoded name (%2574oken)': `double-${randomUUID()}`,
        'an API key': `key-${randomUUID()}`,
        'a password': `password-${randomUUID()}`,
        'a JWT under an innocent name': context.token({ sub: 72, tenants: [tenantId] }),
      }
      const values = Object.values(secrets)
      const queries = [
        `token=${values[0]}`,
        `ACCESS_TOKEN=${values[1]}`,
        `%74oken=${values[2]}`,
        `%2574oken=${values[3]}`,
        `Api%5FKey=${values[4]}`,
        `limit=5&password=${values[5]}`,
        `note=${values[6]}`,
      ]
      for (const query of queries) await context.call(t, 'listSessions', { method: 'GET', url: `/livechat/sessions?${query}`, headers })
      t.ok(lines.some((line) => line.includes('"url":"/livechat/sessions?limit=5&password=[redacted]"')), 'the requests are logged, other parameters kept')
      assertNowhere(t, lines, secrets)
    })

    t.test('the Authorization header of a failing request never reaches the log', async (t) => {
      const forged = createSigner({ key: 'another-secret-that-is-long-enough-for-hs256-000', expiresIn: '1h' })({ sub: '73', roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
      const refused = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers: { authorization: `Bearer ${forged}`, 'x-tenant-id': String(tenantId) } })
      t.equal(refused.statusCode, 401, 'a token with a bad signature is refused')
      t.ok(lines.some((line) => line.includes('token refused')), 'the refusal is logged, with its reason')
      const valid = context.token({ sub: 74, tenants: [tenantId] })
      const missing = await context.call(t, 'getSession', { method: 'GET', url: `/livechat/sessions/${randomUUID()}`, headers: { authorization: `Bearer ${valid}`, 'x-tenant-id': String(tenantId) } })
      t.equal(missing.statusCode, 404)
      assertNowhere(t, lines, { 'the refused token': forged, 'the valid token': valid })
    })

    t.test('credentials a log call names by hand are [redacted]', async (t) => {
      const secrets = { header: `h-${randomUUID()}`, cookie: `c-${randomUUID()}`, nested: `n-${randomUUID()}`, password: `p-${randomUUID()}`, token: `t-${randomUUID()}` }
      context.app.log.info(
        {
          headers: { authorization: `Bearer ${secrets.header}`, cookie: secrets.cookie },
          upstream: { authorization: secrets.nested, password: secrets.password },
          token: secrets.token,
        },
        'a hand-written line',
      )
      const line = lines.find((line) => line.includes('a hand-written line'))
      t.ok(line?.includes('[redacted]'), 'the line says what was hidden')
      assertNowhere(t, lines, secrets)
    })

    t.test('a query canceled while it waits for a lock logs its SQL and SQLSTATE, never the chat text', { skip: kind !== 'postgres' && 'PostgreSQL only' }, async (t) => {
      const sessionId = await openSession(t, context, tenantId, 2)
      const privateWords = `private-${randomUUID()}`
      const response = await whileMessagesLocked(t, context.config.DATABASE_URL!, () =>
        sendMessage(t, context, tenantId, sessionId, `meet me at 5, ${privateWords}`, 2),
      )
      t.ok(response.statusCode >= 500, `the request fails (${response.statusCode})`)
      assertNowhere(t, lines, { 'the chat text': privateWords })
      // Logged as a failure (with the error) or as "database unavailable" (its code DATABASE_UNAVAILABLE, the SQLSTATE as its cause), as the error handler decides.
      const failures = lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.err?.cause?.code === '57014' || line.cause === '57014')
      t.equal(failures.length, 1, 'the failure is logged once, with its SQLSTATE 57014 (canceled)')
      for (const { err } of failures.filter((line) => line.err)) t.match(err?.message, /^Failed query:\s+insert into "chat_messages"/, 'with the SQL of the insert')
    })

    t.test('a failed insert logs its SQL and SQLSTATE, never the chat text it carried', async (t) => {
      const sessionId = await openSession(t, context, tenantId)
      // Every new message now breaks a constraint; PostgreSQL's `detail` then quotes the row, chat text included.
      await context.app.database.pool.execute(sql`alter table chat_messages add constraint refuse_every_message check (false) not valid`)
      const privateWords = `private-${randomUUID()}`
      const response = await sendMessage(t, context, tenantId, sessionId, `my card is 4111 1111 1111 1111, ${privateWords}`)
      t.equal(response.statusCode, 500)
      assertNowhere(t, lines, { 'the chat text': privateWords })
      const logged = queryErrorLines(lines).filter((line) => line.err?.cause?.code === '23514')
      t.equal(logged.length, 1, 'the error is logged once, with the SQL of the insert')
      t.match(logged[0]?.err, { type: 'DrizzleQueryError', message: /^Failed query:\s+insert into "chat_messages"/, cause: { code: '23514', constraint: 'refuse_every_message' } })
      t.match(logged[0]?.err?.stack, /^Error: Failed query:\s+insert into "chat_messages"[\s\S]*?\n\s+at /, 'the stack keeps its frames')
    })
  })
}

// Review of issue 7: a handler that answers after the response deadline's 503 makes Fastify log
// FST_ERR_REP_ALREADY_SENT, whose message quotes the request's URL, query string and all.
t.test('an error whose message quotes a URL is logged with its credentials redacted', async (t) => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'
  const error = new Error(`Reply was already sent, did you forget to "return reply" in "/admin/tenants?access_token=${jwt}&page=2" (GET)?`)
  const logged = serializeError(error)
  t.notMatch(JSON.stringify(logged), jwt, 'the token is in neither message nor stack')
  t.match(logged.message, '/admin/tenants?access_token=[redacted]&page=2')
  t.match(logged.stack, /at /, 'the stack keeps its frames')
})
