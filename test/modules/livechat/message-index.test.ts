import type { PGlite } from '@electric-sql/pglite'
import { sql, type SQL } from 'drizzle-orm'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import type { Sql } from 'postgres'
import t, { type Test } from 'tap'
import { agentHeaders, createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'
import { messageRepository } from '../../../src/modules/livechat/message-repository.js'
import type { PageRequest } from '../../../src/platform/pagination.js'
import type { Executor } from '../../../src/platform/transactions.js'

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
  const result = (await context.app.database.pool.execute(query)) as unknown
  return Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows
}

/** A statement as the driver received it: its text and its parameters. */
type Statement = { text: string; parameters: unknown[] }

/**
 * The statements a repository method sends, as the driver receives them: the method runs on a drizzle over
 * the app's own client whose logger keeps each statement. The plans below are of these, not of a copy.
 */
async function statementsOf(context: TestApp, call: (executor: Executor) => Promise<unknown>): Promise<Statement[]> {
  const statements: Statement[] = []
  const logger = { logQuery: (text: string, parameters: unknown[]) => void statements.push({ text, parameters }) }
  const client = (context.app.database.pool as unknown as { $client: unknown }).$client
  const db = context.app.database.driver === 'postgres' ? drizzlePostgres({ client: client as Sql, logger }) : drizzlePglite({ client: client as PGlite, logger })
  await call(db as unknown as Executor)
  return statements
}

/** Every node of the plan of `statement` as it ran (EXPLAIN ANALYZE), its parameters bound, depth first. */
async function planOf(context: TestApp, statement: Statement): Promise<PlanNode[]> {
  const client = (context.app.database.pool as unknown as { $client: Sql | PGlite }).$client
  const text = `explain (analyze, format json) ${statement.text}`
  const result = 'unsafe' in client ? await client.unsafe(text, statement.parameters as never[]) : await client.query(text, statement.parameters)
  const [row] = (Array.isArray(result) ? result : result.rows) as Record<string, unknown>[]
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

/** The one statement of `messageRepository.page`, as it sends it for this page of 50. */
async function pageStatement(t: Test, context: TestApp, tenantId: number, sessionId: string, page: Omit<PageRequest, 'limit'>): Promise<Statement> {
  const statements = await statementsOf(context, (executor) => messageRepository.page(executor, tenantId, sessionId, { limit: 50, ...page }))
  t.equal(statements.length, 1, 'messageRepository.page sends one statement')
  return statements[0]
}

/** Messages "Pesan 1".."Pesan count" numbered 1..count, one second apart, and the session's counter to match. */
async function insertMessages(context: TestApp, tenantId: number, sessionId: string, senderId: number, count: number) {
  await context.app.database.pool.execute(sql`
    insert into chat_messages (tenant_id, id, session_id, seq, sender_id, message, created_at)
    select ${tenantId}, gen_random_uuid(), ${sessionId}, g, ${senderId}, 'Pesan ' || g,
           timestamptz '2025-09-01 10:00:00+00' + g * interval '1 second'
    from generate_series(1, ${count}::int) as g`)
  await context.app.database.pool.execute(sql`
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
  await context.app.database.pool.execute(sql`analyze chat_messages`)
  const [{ count }] = await rowsOf(context, sql`select count(*)::int as count from chat_messages`)
  t.equal(count, deepRows + otherRows, 'the fixture is in place')

  const pageOf = async (t: Test, direction: 'next' | 'prev', cursorSeq?: number) => {
    const cursor = cursorSeq === undefined ? undefined : await idAt(context, tenantId, sessionId, cursorSeq)
    return planOf(context, await pageStatement(t, context, tenantId, sessionId, { direction, cursor }))
  }

  // The statement joins the session, the cursor's message and the page; it orders the page it returns again
  // (a Sort of those 51 rows at most), which costs the same at any depth.
  const assertIndexPlan = (t: Test, nodes: PlanNode[], direction: 'Forward' | 'Backward') => {
    const plan = describePlan(nodes)
    const read = nodes.find((node) => node['Node Type'] === 'Limit')?.Plans?.[0]
    t.equal(read?.['Node Type'], 'Index Scan', `the page's limit reads an Index Scan, nothing in between (${plan})`)
    t.equal(read?.['Index Name'], 'chat_messages_session_seq', 'of chat_messages_session_seq')
    t.equal(read?.['Scan Direction'], direction, `scanned ${direction}`)
    t.notOk(read?.Filter, 'every condition is an index condition, none a filter')
    t.equal(read?.['Actual Rows'], 51, 'it reads limit + 1 = 51 entries')
    const sorts = nodes.filter((node) => node['Node Type'].includes('Sort'))
    t.ok(sorts.every((node) => node['Actual Rows']! <= 51), `a Sort, if any, orders only the page's rows (${plan})`)
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
    t.test(`${name} forward is an ordered index range scan, only the page sorted`, async (t) => {
      assertIndexPlan(t, await pageOf(t, 'next', cursorSeq), 'Forward')
    })
  }

  t.test('a deep page backwards (direction=prev, seq < 19,900) is a backward index scan with only the page sorted', async (t) => {
    assertIndexPlan(t, await pageOf(t, 'prev', 19_900), 'Backward')
  })

  t.test('the last page (direction=prev, no cursor) is a backward index scan with only the page sorted', async (t) => {
    assertIndexPlan(t, await pageOf(t, 'prev'), 'Backward')
  })

  t.test('a page reads limit + 1 index entries whether it is shallow or deep', async (t) => {
    for (const cursorSeq of [10, 10_000, 19_900]) {
      const nodes = await pageOf(t, 'next', cursorSeq)
      const indexScan = nodes.find((node) => node['Index Name'] === 'chat_messages_session_seq')
      t.equal(indexScan?.['Actual Rows'], 51, `after seq ${cursorSeq}: 51 rows read (${describePlan(nodes)})`)
      t.notOk(indexScan?.['Rows Removed by Filter'], `after seq ${cursorSeq}: no rows read and thrown away`)
    }
  })

  t.test("finding the cursor message, in the page's statement and in seqOf, is an index lookup, not a scan", async (t) => {
    const id = await idAt(context, tenantId, sessionId, 19_900)
    const [seqOf] = await statementsOf(context, (executor) => messageRepository.seqOf(executor, tenantId, sessionId, id))
    for (const [name, nodes] of [
      ['the page', await pageOf(t, 'next', 19_900)],
      ['seqOf', await planOf(context, seqOf)],
    ] as const) {
      const lookup = nodes.find((node) => node['Relation Name'] === 'chat_messages' && node['Index Name'] !== 'chat_messages_session_seq')
      t.match(lookup, { 'Node Type': /^Index/, 'Actual Rows': 1 }, `${name}: an index lookup of one row (${describePlan(nodes)})`)
      t.notOk(nodes.some((node) => node['Node Type'] === 'Seq Scan'), `${name}: no Seq Scan`)
    }
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
