import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createTenant } from '../../helpers/fixtures.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type Status = components['schemas']['TicketStatus']
type Ticket = components['schemas']['Ticket']
type TicketReply = components['schemas']['TicketReply']
type Pagination = components['schemas']['Pagination']

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const statuses: Status[] = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED']
// The workflow of the contract: OPEN → IN_PROGRESS → RESOLVED → CLOSED, and RESOLVED → IN_PROGRESS.
const allowed: Record<Status, Status[]> = {
  OPEN: ['IN_PROGRESS'],
  IN_PROGRESS: ['RESOLVED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  CLOSED: [],
}
// How to reach each status from OPEN.
const pathTo: Record<Status, Status[]> = {
  OPEN: [],
  IN_PROGRESS: ['IN_PROGRESS'],
  RESOLVED: ['IN_PROGRESS', 'RESOLVED'],
  CLOSED: ['IN_PROGRESS', 'RESOLVED', 'CLOSED'],
}

// Issue: "GET /tickets (tenant-scoped, cursor-paginated, filter by status), GET /tickets/{id}, PATCH /tickets/{id}
// (status OPEN → IN_PROGRESS → RESOLVED → CLOSED, assignee; invalid transitions → 400), POST /tickets/{id}/replies
// and GET /tickets/{id}/replies." Tickets are open to SUPPORT_AGENT and TENANT_USER, PATCH to SUPPORT_AGENT only.
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context, 'Tickets A')
  const otherTenantId = await createTenant(t, context, 'Tickets B')

  /** Who calls: an agent (default, user 1) or a tenant user, for `tenant`, with `tenants` in the token. */
  type As = { user?: number; role?: 'SUPPORT_AGENT' | 'TENANT_USER'; tenant?: number; tenants?: number[] }
  const headersOf = ({ user = 1, role = 'SUPPORT_AGENT', tenant = tenantId, tenants = [tenant] }: As = {}) => ({
    authorization: `Bearer ${context.token({ sub: user, roles: [role], tenants })}`,
    'x-tenant-id': String(tenant),
  })
  const asUser = (user: number, tenant = tenantId): As => ({ user, role: 'TENANT_USER', tenant })

  const create = (t: Test, payload: unknown, as?: As) =>
    context.call(t, 'createTicket', { method: 'POST', url: '/tickets', headers: headersOf(as), payload: untypedBody(payload) })
  const list = (t: Test, query: Record<string, string> = {}, as?: As) =>
    context.call(t, 'listTickets', { method: 'GET', url: '/tickets', query, headers: headersOf(as) })
  const get = (t: Test, id: string, as?: As) => context.call(t, 'getTicket', { method: 'GET', url: `/tickets/${id}`, headers: headersOf(as) })
  const update = (t: Test, id: string, payload: unknown, as?: As) =>
    context.call(t, 'updateTicket', { method: 'PATCH', url: `/tickets/${id}`, headers: headersOf(as), payload: untypedBody(payload) })
  const reply = (t: Test, id: string, payload: unknown, as?: As) =>
    context.call(t, 'createTicketReply', { method: 'POST', url: `/tickets/${id}/replies`, headers: headersOf(as), payload: untypedBody(payload) })
  const listReplies = (t: Test, id: string, query: Record<string, string> = {}, as?: As) =>
    context.call(t, 'listTicketReplies', { method: 'GET', url: `/tickets/${id}/replies`, query, headers: headersOf(as) })

  /** A ticket that must be created. */
  async function open(t: Test, subject = 'Tidak bisa login', message = 'Tolong bantu', as?: As): Promise<Ticket> {
    const response = await create(t, { subject, message }, as)
    t.equal(response.statusCode, 201, `ticket "${subject}" opened`)
    return response.json().data
  }

  async function read(t: Test, id: string, as?: As): Promise<Ticket> {
    const response = await get(t, id, as)
    t.equal(response.statusCode, 200, `ticket ${id} read`)
    return response.json().data
  }

  async function move(t: Test, id: string, payload: object): Promise<Ticket> {
    const response = await update(t, id, payload)
    t.equal(response.statusCode, 200, `PATCH ${JSON.stringify(payload)} is 200`)
    return response.json().data
  }

  /** A new ticket as stored (read back: the POST answer may predate its first reply). */
  const stored = async (t: Test, subject?: string, message?: string, as?: As): Promise<Ticket> =>
    read(t, (await open(t, subject, message, as)).id, as)

  /** A new ticket brought to `status` through the allowed moves, as stored. */
  async function ticketIn(t: Test, status: Status, as?: As): Promise<Ticket> {
    const { id } = await open(t, `Menuju ${status}`, 'Mulai', as)
    for (const next of pathTo[status]) await move(t, id, { status: next })
    const ticket = await read(t, id, as)
    t.equal(ticket.status, status)
    return ticket
  }

  async function page(t: Test, query: Record<string, string>, as?: As) {
    const response = await list(t, query, as)
    t.equal(response.statusCode, 200, `list ${JSON.stringify(query)} is 200`)
    const body = response.json()
    return { data: body.data as Ticket[], pagination: body.meta.pagination as Pagination }
  }

  async function repliesPage(t: Test, id: string, query: Record<string, string> = {}, as?: As) {
    const response = await listReplies(t, id, query, as)
    t.equal(response.statusCode, 200, `replies ${JSON.stringify(query)} is 200`)
    const body = response.json()
    return { data: body.data as TicketReply[], pagination: body.meta.pagination as Pagination }
  }

  const allReplies = async (t: Test, id: string) => (await repliesPage(t, id, { limit: '100' })).data
  const idsOf = (items: { id: string }[]) => items.map((item) => item.id)

  t.test('POST /tickets', async (t) => {
    t.test('an agent opens an OPEN DIRECT ticket; its message is the first reply, by the agent', async (t) => {
      const before = Date.now()
      const response = await create(t, { subject: 'Tidak bisa login', message: 'Sejak pagi saya tidak bisa login' }, { user: 7 })
      t.equal(response.statusCode, 201)
      const body = response.json()
      t.match(body, { success: true, message: String, errors: null })
      const ticket: Ticket = body.data
      t.match(ticket, {
        tenant_id: tenantId,
        status: 'OPEN',
        source: 'DIRECT',
        subject: 'Tidak bisa login',
        requester_id: 7,
        agent_id: null,
        assignee_id: null,
      })
      t.match(ticket.id, uuidV7)
      t.ok(Date.parse(ticket.created_at) >= before - 1000 && Date.parse(ticket.created_at) <= Date.now() + 1000, 'created now')
      t.same(await read(t, ticket.id), ticket, 'GET returns what POST returned')
      const replies = await allReplies(t, ticket.id)
      t.equal(replies.length, 1, 'one reply')
      t.match(replies[0], { ticket_id: ticket.id, author_id: 7, message: 'Sejak pagi saya tidak bisa login' })
    })

    t.test('a tenant user opens a ticket as requester, and reads it back', async (t) => {
      const ticket = await open(t, 'Tagihan ganda', 'Saya ditagih dua kali', asUser(501))
      t.match(ticket, { requester_id: 501, source: 'DIRECT', status: 'OPEN', agent_id: null })
      t.match(await read(t, ticket.id, asUser(501)), { id: ticket.id, requester_id: 501, subject: 'Tagihan ganda' })
      t.equal((await get(t, ticket.id, asUser(502))).statusCode, 404, "another tenant user's ticket does not exist for them")
      t.match(await allReplies(t, ticket.id), [{ author_id: 501, message: 'Saya ditagih dua kali' }])
    })

    t.test('invalid bodies are 400 naming the field, and open nothing', async (t) => {
      const tenant = await createTenant(t, context, 'Validation')
      for (const [why, payload, field] of [
        ['subject missing', { message: 'Halo' }, 'subject'],
        ['message missing', { subject: 'Halo' }, 'message'],
        ['subject empty', { subject: '', message: 'Halo' }, 'subject'],
        ['subject blank', { subject: '  \t', message: 'Halo' }, 'subject'],
        ['subject of 201 characters', { subject: 's'.repeat(201), message: 'Halo' }, 'subject'],
        ['subject a number', { subject: 42, message: 'Halo' }, 'subject'],
        ['subject null', { subject: null, message: 'Halo' }, 'subject'],
        ['subject with NUL', { subject: 'Ha\u0000lo', message: 'Halo' }, 'subject'],
        ['message empty', { subject: 'Halo', message: '' }, 'message'],
        ['message blank', { subject: 'Halo', message: '\n \n' }, 'message'],
        ['message of 10,001 characters', { subject: 'Halo', message: 'm'.repeat(10_001) }, 'message'],
        ['message an array', { subject: 'Halo', message: ['Halo'] }, 'message'],
        ['message with NUL', { subject: 'Halo', message: 'Ha\u0000lo' }, 'message'],
        ['an unknown property', { subject: 'Halo', message: 'Halo', priority: 'high' }, 'priority'],
      ] as const) {
        const response = await create(t, payload, { tenant })
        t.equal(response.statusCode, 400, `${why}: 400`)
        const errors = response.json().errors
        t.ok(Array.isArray(errors?.[field]) && errors[field].length > 0, `${why}: errors names ${field} (${JSON.stringify(errors)})`)
      }
      t.same((await page(t, {}, { tenant })).data, [], 'no ticket was opened')
    })

    t.test('200 characters of subject and 10,000 of message are accepted whole', async (t) => {
      const subject = 's'.repeat(199) + 'z'
      const message = 'm'.repeat(9_999) + 'z'
      const ticket = await open(t, subject, message)
      t.equal(ticket.subject, subject)
      t.equal((await allReplies(t, ticket.id))[0].message, message)
    })

    t.test('a caller without an allowed role is 403, without a tenant header 400', async (t) => {
      const response = await context.call(t, 'createTicket', {
        method: 'POST',
        url: '/tickets',
        headers: { authorization: `Bearer ${context.token({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [tenantId] })}`, 'x-tenant-id': String(tenantId) },
        payload: { subject: 'Halo', message: 'Halo' },
      })
      t.equal(response.statusCode, 403)
      const headless = await context.call(t, 'createTicket', {
        method: 'POST',
        url: '/tickets',
        headers: { authorization: headersOf().authorization },
        payload: { subject: 'Halo', message: 'Halo' },
      })
      t.equal(headless.statusCode, 400)
    })
  })

  t.test('GET /tickets', async (t) => {
    const tenant = await createTenant(t, context, 'Listing')
    const other = await createTenant(t, context, 'Listing other')
    const as: As = { tenant, tenants: [tenant, other] }
    const made: Ticket[] = []
    for (let i = 1; i <= 7; i++) made.push(await open(t, `Tiket ${i}`, `Pesan ${i}`, as))
    const theirs = await open(t, 'Milik tenant lain', 'Rahasia', { tenant: other, tenants: [tenant, other] })
    // Statuses: 1 OPEN, 2 IN_PROGRESS, 3 RESOLVED, 4 CLOSED, 5 IN_PROGRESS, 6 OPEN, 7 IN_PROGRESS.
    const wanted: Status[] = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED', 'IN_PROGRESS', 'OPEN', 'IN_PROGRESS']
    for (const [i, status] of wanted.entries()) {
      for (const next of pathTo[status]) {
        const response = await update(t, made[i].id, { status: next }, as)
        t.equal(response.statusCode, 200)
      }
    }
    const newestFirst = idsOf(made).reverse()

    t.test('lists the tenant tickets newest first, and only them', async (t) => {
      const { data, pagination } = await page(t, {}, as)
      t.same(idsOf(data), newestFirst)
      t.same(data.map((ticket) => ticket.status), [...wanted].reverse(), 'with their current status')
      t.notOk(idsOf(data).includes(theirs.id), "the other tenant's ticket is not listed")
      t.match(pagination, { has_next: false, has_prev: false, limit: 50 })
      const { data: otherData } = await page(t, {}, { tenant: other, tenants: [tenant, other] })
      t.same(idsOf(otherData), [theirs.id], 'and the other tenant sees only its own')
    })

    t.test('status filters', async (t) => {
      for (const status of statuses) {
        const { data } = await page(t, { status }, as)
        const expected = made.filter((_, i) => wanted[i] === status).map((ticket) => ticket.id).reverse()
        t.same(idsOf(data), expected, `status=${status}`)
      }
      const bad = await list(t, { status: 'DONE' }, as)
      t.equal(bad.statusCode, 400)
      t.ok(bad.json().errors?.status, 'an unknown status names status')
    })

    t.test('pages forward with next_cursor and back with prev_cursor', async (t) => {
      const first = await page(t, { limit: '3' }, as)
      t.same(idsOf(first.data), newestFirst.slice(0, 3))
      t.match(first.pagination, { has_next: true, has_prev: false, limit: 3, next_cursor: newestFirst[2], prev_cursor: newestFirst[0] })
      const second = await page(t, { limit: '3', cursor: first.pagination.next_cursor! }, as)
      t.same(idsOf(second.data), newestFirst.slice(3, 6))
      t.match(second.pagination, { has_next: true, has_prev: true })
      const third = await page(t, { limit: '3', cursor: second.pagination.next_cursor! }, as)
      t.same(idsOf(third.data), newestFirst.slice(6))
      t.match(third.pagination, { has_next: false, has_prev: true, next_cursor: newestFirst[6] })
      const back = await page(t, { limit: '3', cursor: third.pagination.prev_cursor!, direction: 'prev' }, as)
      t.same(idsOf(back.data), newestFirst.slice(3, 6), 'prev from the third page is the second page')
      t.match(back.pagination, { has_next: true, has_prev: true })
      const front = await page(t, { limit: '3', cursor: back.pagination.prev_cursor!, direction: 'prev' }, as)
      t.same(idsOf(front.data), newestFirst.slice(0, 3), 'and prev again the first')
      t.match(front.pagination, { has_prev: false, has_next: true })
      const latest = await page(t, { limit: '2', direction: 'prev' }, as)
      t.same(idsOf(latest.data), newestFirst.slice(-2), 'prev without a cursor is the last page of the list: the oldest tickets')
      t.match(latest.pagination, { has_next: false, has_prev: true })
    })

    t.test('pages a filtered list', async (t) => {
      const inProgress = made.filter((_, i) => wanted[i] === 'IN_PROGRESS').map((ticket) => ticket.id).reverse()
      const first = await page(t, { status: 'IN_PROGRESS', limit: '2' }, as)
      t.same(idsOf(first.data), inProgress.slice(0, 2))
      t.equal(first.pagination.has_next, true)
      const second = await page(t, { status: 'IN_PROGRESS', limit: '2', cursor: first.pagination.next_cursor! }, as)
      t.same(idsOf(second.data), inProgress.slice(2))
      t.equal(second.pagination.has_next, false)
    })

    t.test('an unknown cursor, or another tenant ticket as cursor, is 400 naming cursor', async (t) => {
      for (const cursor of [randomUUID(), theirs.id]) {
        const response = await list(t, { cursor }, as)
        t.equal(response.statusCode, 400)
        t.match(response.json(), { success: false, errors: { cursor: [String] } })
      }
      const malformed = await list(t, { cursor: 'not-a-uuid' }, as)
      t.equal(malformed.statusCode, 400)
      t.ok(malformed.json().errors?.cursor)
      for (const limit of ['0', '101', 'x']) t.equal((await list(t, { limit }, as)).statusCode, 400, `limit=${limit} is 400`)
    })

    t.test('a tenant user lists the tenant tickets too', async (t) => {
      const { data } = await page(t, {}, { ...asUser(601, tenant) })
      t.same(idsOf(data), newestFirst)
    })
  })

  t.test('GET /tickets/{id}', async (t) => {
    const mine = await open(t, 'Punya A')
    const theirs = await open(t, 'Punya B', 'Pesan', { tenant: otherTenantId })
    const both = [tenantId, otherTenantId]

    t.test('an unknown id is 404', async (t) => {
      const response = await get(t, randomUUID())
      t.equal(response.statusCode, 404)
      t.match(response.json(), { success: false, data: null, errors: { id: [String] } })
    })

    t.test("another tenant's ticket is 404 even when the token lists both tenants", async (t) => {
      const response = await get(t, theirs.id, { tenant: tenantId, tenants: both })
      t.equal(response.statusCode, 404)
      t.equal((await get(t, theirs.id, { tenant: otherTenantId, tenants: both })).statusCode, 200, 'it exists in its own tenant')
      t.equal((await get(t, mine.id, { tenant: otherTenantId, tenants: both })).statusCode, 404, 'and mine is not there')
      t.equal((await get(t, mine.id, { ...asUser(700), tenants: both })).statusCode, 200, 'a tenant user of A reads it')
    })

    t.test('a malformed id is 400', async (t) => {
      t.equal((await get(t, 'tiket-1')).statusCode, 400)
    })

    t.test('a tenant outside the token is 403', async (t) => {
      t.equal((await get(t, theirs.id, { tenant: otherTenantId, tenants: [tenantId] })).statusCode, 403)
    })
  })

  t.test('PATCH /tickets/{id}', async (t) => {
    t.test('every allowed move is 200, returns the new status, and moves updated_at', async (t) => {
      for (const [from, to] of [
        ['OPEN', 'IN_PROGRESS'],
        ['IN_PROGRESS', 'RESOLVED'],
        ['RESOLVED', 'IN_PROGRESS'],
        ['RESOLVED', 'CLOSED'],
      ] as const) {
        const before = await ticketIn(t, from)
        await sleep(5)
        const after = await move(t, before.id, { status: to })
        t.equal(after.status, to, `${from} → ${to}`)
        t.ok(Date.parse(after.updated_at) > Date.parse(before.updated_at), `${from} → ${to} moves updated_at`)
        t.equal(after.created_at, before.created_at, 'created_at stays')
        t.same(await read(t, before.id), after, 'GET agrees')
      }
    })

    t.test('the full walk OPEN → IN_PROGRESS → RESOLVED → IN_PROGRESS → RESOLVED → CLOSED', async (t) => {
      const ticket = await open(t, 'Jalan penuh')
      for (const status of ['IN_PROGRESS', 'RESOLVED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'] as const) {
        t.equal((await move(t, ticket.id, { status })).status, status)
      }
      t.equal((await read(t, ticket.id)).status, 'CLOSED')
    })

    t.test('setting the current status is a 200 no-op: updated_at stays', async (t) => {
      for (const status of statuses) {
        const before = await ticketIn(t, status)
        await sleep(5)
        const after = await move(t, before.id, { status })
        t.same(after, before, `${status} → ${status} changes nothing`)
        t.same(await read(t, before.id), before, 'GET agrees')
      }
    })

    t.test('every disallowed move is 400 naming status and the allowed moves, and changes nothing', async (t) => {
      for (const from of statuses) {
        const before = await ticketIn(t, from)
        for (const to of statuses.filter((to) => to !== from && !allowed[from].includes(to))) {
          const response = await update(t, before.id, { status: to })
          t.equal(response.statusCode, 400, `${from} → ${to} is 400`)
          const body = response.json()
          t.match(body, { success: false, data: null, errors: { status: [String] } })
          const reason: string = body.errors?.status?.join(' ') ?? ''
          for (const next of allowed[from]) t.match(reason, new RegExp(`\\b${next}\\b`), `${from} → ${to}: names the allowed ${next}`)
          const named = statuses.filter((status) => new RegExp(`\\b${status}\\b`).test(reason))
          t.same(
            named.filter((status) => status !== from && status !== to && !allowed[from].includes(status)),
            [],
            `${from} → ${to}: names no other move as allowed ("${reason}")`,
          )
          t.same(await read(t, before.id), before, `${from} → ${to}: the ticket is unchanged`)
        }
      }
    })

    t.test('a move together with a disallowed status changes no assignee either', async (t) => {
      const before = await stored(t, 'Atomik')
      const response = await update(t, before.id, { status: 'CLOSED', assignee_id: 9 })
      t.equal(response.statusCode, 400)
      t.same(await read(t, before.id), before)
    })

    t.test('assignee_id is set, changed and cleared with null', async (t) => {
      const before = await stored(t, 'Penugasan')
      await sleep(5)
      const assigned = await move(t, before.id, { assignee_id: 42 })
      t.match(assigned, { assignee_id: 42, status: 'OPEN' })
      t.ok(Date.parse(assigned.updated_at) > Date.parse(before.updated_at), 'updated_at moves')
      t.same(await move(t, before.id, { assignee_id: 42 }), assigned, 'the same assignee again changes nothing')
      t.equal((await move(t, before.id, { assignee_id: 43, status: 'IN_PROGRESS' })).assignee_id, 43, 'with a move at once')
      const cleared = await move(t, before.id, { assignee_id: null })
      t.match(cleared, { assignee_id: null, status: 'IN_PROGRESS' })
      t.same(await read(t, before.id), cleared)
    })

    t.test('invalid bodies are 400 naming the field, and change nothing', async (t) => {
      const before = await stored(t, 'Badan salah')
      for (const [why, payload, field] of [
        ['an empty object', {}, undefined],
        ['an unknown property', { priority: 'high' }, 'priority'],
        ['an unknown property beside a valid one', { status: 'IN_PROGRESS', priority: 'high' }, 'priority'],
        ['an unknown status', { status: 'DONE' }, 'status'],
        ['status null', { status: null }, 'status'],
        ['assignee_id 0', { assignee_id: 0 }, 'assignee_id'],
        ['assignee_id a string', { assignee_id: 'sembilan' }, 'assignee_id'],
        ['assignee_id 1.5', { assignee_id: 1.5 }, 'assignee_id'],
      ] as const) {
        const response = await update(t, before.id, payload)
        t.equal(response.statusCode, 400, `${why}: 400`)
        if (field) t.ok(response.json().errors?.[field], `${why}: errors names ${field} (${JSON.stringify(response.json().errors)})`)
      }
      t.same(await read(t, before.id), before, 'nothing changed')
    })

    t.test('a TENANT_USER may not PATCH: 403, nothing changes', async (t) => {
      const before = await stored(t, 'Milik pengguna', 'Halo', asUser(801))
      const response = await update(t, before.id, { status: 'IN_PROGRESS' }, asUser(801))
      t.equal(response.statusCode, 403)
      t.match(response.json(), { success: false, errors: { roles: [String] } })
      t.same(await read(t, before.id), before)
    })

    t.test("an unknown or another tenant's ticket is 404", async (t) => {
      t.equal((await update(t, randomUUID(), { status: 'IN_PROGRESS' })).statusCode, 404)
      const theirs = await open(t, 'Tenant lain', 'Halo', { tenant: otherTenantId })
      const response = await update(t, theirs.id, { status: 'IN_PROGRESS' }, { tenant: tenantId, tenants: [tenantId, otherTenantId] })
      t.equal(response.statusCode, 404)
      t.equal((await read(t, theirs.id, { tenant: otherTenantId })).status, 'OPEN', 'it stays OPEN')
    })

    t.test('racing OPEN → IN_PROGRESS and IN_PROGRESS → RESOLVED never breaks the workflow', async (t) => {
      const tickets = await Promise.all(Array.from({ length: 8 }, (_, i) => open(t, `Balapan ${i}`)))
      await Promise.all(
        tickets.map(async (ticket, i) => {
          // Even tickets send IN_PROGRESS first, odd ones RESOLVED first.
          const [toInProgress, toResolved] =
            i % 2 === 0
              ? await Promise.all([update(t, ticket.id, { status: 'IN_PROGRESS' }), update(t, ticket.id, { status: 'RESOLVED' })])
              : await Promise.all([update(t, ticket.id, { status: 'RESOLVED' }), update(t, ticket.id, { status: 'IN_PROGRESS' })]).then(
                  ([resolved, inProgress]) => [inProgress, resolved],
                )
          const final = await read(t, ticket.id)
          t.equal(toInProgress.statusCode, 200, `${ticket.subject}: OPEN → IN_PROGRESS always succeeds`)
          t.ok([200, 400].includes(toResolved.statusCode), `${ticket.subject}: the move to RESOLVED is 200 or 400`)
          if (toResolved.statusCode === 200) {
            // It ran after IN_PROGRESS: the chain OPEN → IN_PROGRESS → RESOLVED.
            t.equal(final.status, 'RESOLVED', `${ticket.subject}: RESOLVED after a successful move`)
            t.equal(toResolved.json().data.status, 'RESOLVED')
          } else {
            // It ran first, from OPEN, and was refused: only IN_PROGRESS happened.
            t.match(toResolved.json(), { errors: { status: [/OPEN/] } }, `${ticket.subject}: refused from OPEN`)
            t.equal(final.status, 'IN_PROGRESS', `${ticket.subject}: IN_PROGRESS when RESOLVED was refused`)
          }
        }),
      )
    })

    t.test('many concurrent moves on one ticket leave a reachable state that GET agrees with', async (t) => {
      const ticket = await open(t, 'Kerumunan')
      const moves: Status[] = ['IN_PROGRESS', 'RESOLVED', 'CLOSED', 'IN_PROGRESS', 'RESOLVED', 'OPEN', 'CLOSED', 'IN_PROGRESS', 'RESOLVED']
      const responses = await Promise.all(moves.map((status) => update(t, ticket.id, { status })))
      const final = await read(t, ticket.id)
      // Replay the successful moves in the order their transactions must have run: each 200 is allowed from
      // the state left by the ones before it. Any order in which the successes chain from OPEN to the final
      // state proves the history was a valid walk.
      const succeeded = moves.filter((_, i) => responses[i].statusCode === 200)
      t.ok(succeeded.includes('IN_PROGRESS'), 'a move to IN_PROGRESS succeeded: from OPEN it is always allowed')
      for (const [i, response] of responses.entries()) {
        t.ok([200, 400].includes(response.statusCode), `${moves[i]}: 200 or 400`)
        if (response.statusCode === 200) t.equal(response.json().data.status, moves[i], `${moves[i]}: a 200 reports the status asked for`)
      }
      t.ok(chainExists('OPEN', succeeded, final.status), `the successes ${succeeded.join(', ')} form a valid walk to ${final.status}`)
    })
  })

  t.test('POST /tickets/{id}/replies', async (t) => {
    t.test('201 with the caller as author, for agents and tenant users alike', async (t) => {
      const ticket = await open(t, 'Balasan', 'Pertanyaan', asUser(901))
      await sleep(5)
      const byAgent = await reply(t, ticket.id, { message: 'Jawaban agen' }, { user: 77 })
      t.equal(byAgent.statusCode, 201)
      t.match(byAgent.json(), { success: true, errors: null, data: { ticket_id: ticket.id, author_id: 77, message: 'Jawaban agen' } })
      t.match(byAgent.json().data.id, uuidV7)
      const byUser = await reply(t, ticket.id, { message: 'Terima kasih' }, asUser(901))
      t.equal(byUser.statusCode, 201)
      t.match(byUser.json().data, { author_id: 901, message: 'Terima kasih' })
      t.same(
        (await allReplies(t, ticket.id)).map((stored) => [stored.author_id, stored.message]),
        [
          [901, 'Pertanyaan'],
          [77, 'Jawaban agen'],
          [901, 'Terima kasih'],
        ],
      )
      t.equal((await read(t, ticket.id)).status, 'OPEN', 'a reply does not move the status')
    })

    t.test('replies are taken in every status but CLOSED', async (t) => {
      for (const status of ['OPEN', 'IN_PROGRESS', 'RESOLVED'] as const) {
        const ticket = await ticketIn(t, status)
        t.equal((await reply(t, ticket.id, { message: `Di ${status}` })).statusCode, 201, `${status} takes replies`)
      }
    })

    t.test('a CLOSED ticket takes no reply: 400, nothing stored', async (t) => {
      const ticket = await ticketIn(t, 'CLOSED')
      const stored = await allReplies(t, ticket.id)
      const response = await reply(t, ticket.id, { message: 'Terlambat' })
      t.equal(response.statusCode, 400)
      t.match(response.json(), { success: false, data: null })
      t.same(await allReplies(t, ticket.id), stored)
      t.same(await read(t, ticket.id), ticket, 'the ticket is unchanged')
    })

    t.test("an unknown or another tenant's ticket is 404", async (t) => {
      const unknown = await reply(t, randomUUID(), { message: 'Halo' })
      t.equal(unknown.statusCode, 404)
      t.match(unknown.json(), { errors: { id: [String] } })
      const theirs = await open(t, 'Tenant lain', 'Halo', { tenant: otherTenantId })
      const crossed = await reply(t, theirs.id, { message: 'Menyusup' }, { tenant: tenantId, tenants: [tenantId, otherTenantId] })
      t.equal(crossed.statusCode, 404)
      t.equal((await listReplies(t, theirs.id, {}, { tenant: tenantId, tenants: [tenantId, otherTenantId] })).statusCode, 404, 'nor are its replies')
      const own = await repliesPage(t, theirs.id, {}, { tenant: otherTenantId })
      t.same(own.data.map((stored) => stored.message), ['Halo'], 'nothing was added to it')
    })

    t.test('invalid bodies are 400 naming message, nothing stored', async (t) => {
      const ticket = await open(t, 'Balasan salah', 'Awal')
      for (const payload of [{}, { message: '' }, { message: '  ' }, { message: 'm'.repeat(10_001) }, { message: 5 }, { message: 'Ha\u0000lo' }]) {
        const response = await reply(t, ticket.id, payload)
        t.equal(response.statusCode, 400, `${JSON.stringify(payload).slice(0, 40)}: 400`)
        t.ok(response.json().errors?.message, 'names message')
      }
      const extra = await reply(t, ticket.id, { message: 'Halo', urgent: true })
      t.equal(extra.statusCode, 400)
      t.ok(extra.json().errors?.urgent)
      t.same((await allReplies(t, ticket.id)).map((stored) => stored.message), ['Awal'])
    })
  })

  t.test('GET /tickets/{id}/replies', async (t) => {
    const ticket = await open(t, 'Banyak balasan', 'Balasan 1')
    for (let i = 2; i <= 7; i++) {
      const response = await reply(t, ticket.id, { message: `Balasan ${i}` }, i % 2 === 0 ? asUser(950) : { user: 3 })
      t.equal(response.statusCode, 201)
    }
    const all = await allReplies(t, ticket.id)

    t.test('oldest first', async (t) => {
      t.same(
        all.map((stored) => stored.message),
        Array.from({ length: 7 }, (_, i) => `Balasan ${i + 1}`),
      )
      for (let i = 1; i < all.length; i++) {
        t.ok(Date.parse(all[i - 1].created_at) <= Date.parse(all[i].created_at), `reply ${i + 1} is not older than reply ${i}`)
      }
      t.ok(all.every((stored) => stored.ticket_id === ticket.id))
    })

    t.test('pages forward and back', async (t) => {
      const ids = idsOf(all)
      const first = await repliesPage(t, ticket.id, { limit: '3' })
      t.same(idsOf(first.data), ids.slice(0, 3))
      t.match(first.pagination, { has_next: true, has_prev: false, next_cursor: ids[2], prev_cursor: ids[0], limit: 3 })
      const second = await repliesPage(t, ticket.id, { limit: '3', cursor: first.pagination.next_cursor! })
      t.same(idsOf(second.data), ids.slice(3, 6))
      const third = await repliesPage(t, ticket.id, { limit: '3', cursor: second.pagination.next_cursor! })
      t.same(idsOf(third.data), ids.slice(6))
      t.match(third.pagination, { has_next: false, has_prev: true })
      const back = await repliesPage(t, ticket.id, { limit: '3', cursor: third.pagination.prev_cursor!, direction: 'prev' })
      t.same(idsOf(back.data), ids.slice(3, 6))
      t.match(back.pagination, { has_next: true, has_prev: true })
      const front = await repliesPage(t, ticket.id, { limit: '3', cursor: back.pagination.prev_cursor!, direction: 'prev' })
      t.same(idsOf(front.data), ids.slice(0, 3))
      t.equal(front.pagination.has_prev, false)
      const latest = await repliesPage(t, ticket.id, { limit: '2', direction: 'prev' })
      t.same(idsOf(latest.data), ids.slice(5), 'prev without a cursor is the latest page')
    })

    t.test('an unknown cursor, or a reply of another ticket, is 400 naming cursor', async (t) => {
      const elsewhere = await open(t, 'Lain', 'Balasan lain')
      const [foreign] = await allReplies(t, elsewhere.id)
      for (const cursor of [randomUUID(), foreign.id, ticket.id]) {
        const response = await listReplies(t, ticket.id, { cursor })
        t.equal(response.statusCode, 400, `cursor ${cursor} is 400`)
        t.match(response.json(), { errors: { cursor: [String] } })
      }
      t.equal((await listReplies(t, ticket.id, { cursor: 'abc' })).statusCode, 400, 'a malformed cursor is 400')
    })

    t.test("an unknown or another tenant's ticket is 404", async (t) => {
      t.equal((await listReplies(t, randomUUID())).statusCode, 404)
      t.equal((await listReplies(t, ticket.id, {}, { tenant: otherTenantId, tenants: [tenantId, otherTenantId] })).statusCode, 404)
    })

    t.test('a tenant user reads them too', async (t) => {
      t.same(idsOf((await repliesPage(t, ticket.id, { limit: '100' }, asUser(960))).data), idsOf(all))
    })
  })
})

/** Whether the moves, taken in some order, each allowed or a no-op from the state before, lead from `from` to `to`. */
function chainExists(from: Status, moves: Status[], to: Status): boolean {
  if (moves.length === 0) return from === to
  return moves.some((next, i) => {
    if (next !== from && !allowed[from].includes(next)) return false
    return chainExists(next, [...moves.slice(0, i), ...moves.slice(i + 1)], to)
  })
}
