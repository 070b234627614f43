import { and, asc, desc, eq, gt, lt, sql, type SQL } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { chatMessages } from '../../../src/modules/livechat/livechat-tables.js'
import { agentHeaders, createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'

type PlanNode = {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Scan Direction'?: string
  'Actual Rows'?: number
  'Rows Removed by Filter'?: number
  Filter?: string
  Plans?: PlanNode[]
}

const deepRows = 20_000
const otherRows = 5_000

/** Rows of `db.execute`: postgres.js answers an array, PGlite `{ rows }`. */
async function rowsOf(context: TestApp, query: SQL): Promise<Record<string, unknown>[]> {
  const result = (await context.app.database.db.execute(query)) as unknown
  return Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows
}

/** Every node of the plan of `query`, depth first. */
async function planOf(context: TestApp, query: SQL, analyze = false): Promise<PlanNode[]> {
  const [row] = await rowsOf(context, sql`explain (${sql.raw(analyze ? 'analyze, ' : '')}format json) ${query}`)
  const raw = row['QUERY PLAN']
  const document = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[]
  const nodes: PlanNode[] = []
  const walk = (node: PlanNode) => {
    nodes.push(node)
    node.Plans?.forEach(walk)
  }
  walk(document[0].Plan)
  return nodes
}

const describePlan = (nodes: PlanNode[]) =>
  nodes.map((node) => [node['Node Type'], node['Index Name'] ?? node['Relation Name'], node['Scan Direction']].filter(Boolean).join(' ')).join(' > ')

/** The page query of the message repository: `limit + 1` rows beyond a seq, in reading direction, by (tenant, session, seq). */
function pageQuery(context: TestApp, tenantId: number, sessionId: string, direction: 'next' | 'prev', cursorSeq?: number) {
  const forward = direction === 'next'
  const beyond = cursorSeq === undefined ? undefined : forward ? gt(chatMessages.seq, cursorSeq) : lt(chatMessages.seq, cursorSeq)
  return context.app.database.db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.sessionId, sessionId), beyond))
    .orderBy(forward ? asc(chatMessages.seq) : desc(chatMessages.seq))
    .limit(51)
    .getSQL()
}

/** Messages "Pesan 1".."Pesan count" numbered 1..count, one second apart, and the session's counter to match. */
async function insertMessages(context: TestApp, tenantId: number, sessionId: string, senderId: number, count: number) {
  await context.app.database.db.execute(sql`
    insert into chat_messages (tenant_id, id, session_id, seq, sender_id, message, created_at)
    select ${tenantId}, gen_random_uuid(), ${sessionId}, g, ${senderId}, 'Pesan ' || g,
           timestamptz '2025-09-01 10:00:00+00' + g * interval '1 second'
    from generate_series(1, ${count}::int) as g`)
  await context.app.database.db.execute(sql`
    update chat_sessions set last_message_seq = ${count}::int where tenant_id = ${tenantId} and id = ${sessionId}`)
}

async function idAt(context: TestApp, tenantId: number, sessionId: string, seq: number): Promise<string> {
  const [row] = await rowsOf(
    context,
    sql`select id from chat_messages where tenant_id = ${tenantId} and session_id = ${sessionId} and seq = ${seq}::int`,
  )
  return row.id as string
}

// Keyset paging: "a page costs the same at message 10 and message 1,000,000" (livechat-tables.ts).
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const sessionId = await openSession(t, context, tenantId, 1)
  const otherSession = await openSession(t, context, tenantId, 2)
  await insertMessages(context, tenantId, sessionId, 1, deepRows)
  await insertMessages(context, tenantId, otherSession, 2, otherRows)
  await context.app.database.db.execute(sql`analyze chat_messages`)
  const [{ count }] = await rowsOf(context, sql`select count(*)::int as count from chat_messages`)
  t.equal(count, deepRows + otherRows, 'the fixture is in place')

  const assertIndexPlan = (t: Test, nodes: PlanNode[], direction: 'Forward' | 'Backward') => {
    const plan = describePlan(nodes)
    const indexScan = nodes.find((node) => node['Node Type'] === 'Index Scan' && node['Index Name'] === 'chat_messages_session_seq')
    t.ok(indexScan, `an Index Scan on chat_messages_session_seq (${plan})`)
    t.equal(indexScan?.['Scan Direction'], direction, `scanned ${direction}`)
    t.notOk(indexScan?.Filter, 'every condition is an index condition, none a filter')
    t.notOk(nodes.some((node) => node['Node Type'].includes('Sort')), `no Sort node (${plan})`)
    t.notOk(
      nodes.some((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'chat_messages'),
      `no Seq Scan on chat_messages (${plan})`,
    )
  }

  for (const [name, cursorSeq] of [
    ['the first page (no cursor)', undefined],
    ['a shallow page (seq > 10)', 10],
    ['a deep page (seq > 19,900)', 19_900],
  ] as const) {
    t.test(`${name} forward is an ordered index range scan without a sort`, async (t) => {
      assertIndexPlan(t, await planOf(context, pageQuery(context, tenantId, sessionId, 'next', cursorSeq)), 'Forward')
    })
  }

  t.test('a deep page backwards (direction=prev, seq < 19,900) is a backward index scan without a sort', async (t) => {
    assertIndexPlan(t, await planOf(context, pageQuery(context, tenantId, sessionId, 'prev', 19_900)), 'Backward')
  })

  t.test('the last page (direction=prev, no cursor) is a backward index scan without a sort', async (t) => {
    assertIndexPlan(t, await planOf(context, pageQuery(context, tenantId, sessionId, 'prev')), 'Backward')
  })

  t.test('a page reads limit + 1 index entries whether it is shallow or deep', async (t) => {
    for (const cursorSeq of [10, 10_000, 19_900]) {
      const nodes = await planOf(context, pageQuery(context, tenantId, sessionId, 'next', cursorSeq), true)
      const indexScan = nodes.find((node) => node['Index Name'] === 'chat_messages_session_seq')
      t.equal(indexScan?.['Actual Rows'], 51, `after seq ${cursorSeq}: 51 rows read (${describePlan(nodes)})`)
      t.notOk(indexScan?.['Rows Removed by Filter'], `after seq ${cursorSeq}: no rows read and thrown away`)
    }
  })

  t.test('finding the cursor message is an index lookup, not a scan', async (t) => {
    const id = await idAt(context, tenantId, sessionId, 19_900)
    const nodes = await planOf(
      context,
      context.app.database.db
        .select({ seq: chatMessages.seq })
        .from(chatMessages)
        .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.sessionId, sessionId), eq(chatMessages.id, id)))
        .getSQL(),
    )
    t.ok(
      nodes.some((node) => node['Node Type'].startsWith('Index') && node['Relation Name'] === 'chat_messages'),
      `an index scan (${describePlan(nodes)})`,
    )
    t.notOk(nodes.some((node) => node['Node Type'] === 'Seq Scan'), 'no Seq Scan')
  })

  t.test('through the API, pages deep in a 20,000-message session hold the right messages', async (t) => {
    const headers = agentHeaders(context, tenantId, 1)
    const list = (t: Test, query: Record<string, string>) =>
      context.call(t, 'listMessages', { method: 'GET', url: `/livechat/sessions/${sessionId}/messages`, query, headers })
    const texts = (data: { message: string }[]) => data.map((message) => message.message)
    const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `Pesan ${from + i}`)

    // The counter was set with the fixture, so a message sent now is number 20,001 and comes last.
    const latest = await sendMessage(t, context, tenantId, sessionId, 'Pesan terakhir lewat API', 1)
    const [stored] = await rowsOf(context, sql`select seq from chat_messages where tenant_id = ${tenantId} and id = ${latest.id}`)
    t.equal(stored.seq, deepRows + 1, 'the API numbered its message after the fixture')

    const deep = await list(t, { limit: '100', cursor: await idAt(context, tenantId, sessionId, 19_900) })
    t.equal(deep.statusCode, 200)
    t.same(texts(deep.json().data), numbered(19_901, 20_000), 'after message 19,900 come 19,901..20,000')
    t.match(deep.json().meta.pagination, { has_next: true, has_prev: true, limit: 100 })

    const last = await list(t, { limit: '100', cursor: deep.json().meta.pagination.next_cursor! })
    t.equal(last.statusCode, 200)
    t.same(texts(last.json().data), ['Pesan terakhir lewat API'], 'then the message sent through the API')
    t.match(last.json().meta.pagination, { has_next: false, has_prev: true })

    const back = await list(t, { limit: '3', direction: 'prev', cursor: await idAt(context, tenantId, sessionId, 15_000) })
    t.equal(back.statusCode, 200)
    t.same(texts(back.json().data), numbered(14_997, 14_999), 'before message 15,000 come 14,997..14,999, ascending')
    t.match(back.json().meta.pagination, { has_next: true, has_prev: true, limit: 3 })

    const tail = await list(t, { limit: '4', direction: 'prev' })
    t.same(texts(tail.json().data), [...numbered(19_998, 20_000), 'Pesan terakhir lewat API'], 'the last page ends with the newest message')

    const foreign = await list(t, { limit: '5', cursor: await idAt(context, tenantId, otherSession, 100) })
    t.equal(foreign.statusCode, 400, 'a message of the other session is no cursor here')
  })
})
