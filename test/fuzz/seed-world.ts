import { createSigner } from 'fast-jwt'
import type { Test } from 'tap'
import { agentHeaders, allPages, closeSession, createTenant, openSession, sendClientMessage, sendMessage, tenantUserHeaders } from '../helpers/fixtures.js'
import type { RequestBody } from '../helpers/operation-types.js'
import { testSecret, type TestApp } from '../helpers/test-app.js'
import type { FuzzWorld, Role, TenantIds } from './fuzz-world.js'

const usersByRole: Record<Role, number[]> = { SUPPORT_AGENT: [1, 2, 3, 4], TENANT_USER: [101, 102], PLATFORM_ADMIN: [9000] }

async function created<K extends 'createTicket' | 'createTicketReply'>(t: Test, context: TestApp, operationId: K, url: string, headers: Record<string, string>, payload: RequestBody<K>): Promise<string> {
  const response = await context.call(t, operationId, { method: 'POST', url, headers, payload })
  t.equal(response.statusCode, 201, `${operationId} for the fuzz seed`)
  return response.json().data.id
}

const idsOf = (items: { id: string }[]) => items.map((item) => item.id)

/**
 * A tenant with data of every kind, written through the API by the same users in every tenant: sessions kept
 * open, one to close, one closed, two that tenant users asked for; messages from both sides; tickets with replies (agent replies notify the
 * tenant); and an offline-agent ticket.
 */
async function seedTenant(t: Test, context: TestApp, tenantId: number, text: string): Promise<TenantIds> {
  const agent = (agentId: number) => agentHeaders(context, tenantId, agentId)
  const user = (userId: number) => tenantUserHeaders(context, tenantId, userId)
  const closed = await openSession(t, context, tenantId, 3)
  await sendMessage(t, context, tenantId, closed, `${text} before closing`, 3)
  await closeSession(t, context, tenantId, closed, 3)
  const kept = [await openSession(t, context, tenantId, 1), await openSession(t, context, tenantId, 2)]
  const closable = await openSession(t, context, tenantId, 3)
  for (const [index, sessionId] of [...kept, closable].entries()) {
    await sendMessage(t, context, tenantId, sessionId, `${text} from agent`, index + 1)
    await sendClientMessage(t, context, tenantId, sessionId, `${text} from the tenant`, 101)
  }
  const tickets = {
    kept: await created(t, context, 'createTicket', '/tickets', user(101), { subject: `${text} subject`, message: `${text} ticket` }),
    mutable: [
      await created(t, context, 'createTicket', '/tickets', agent(1), { subject: `${text} subject`, message: `${text} ticket` }),
      await created(t, context, 'createTicket', '/tickets', user(102), { subject: `${text} subject`, message: `${text} ticket` }),
    ],
  }
  for (const ticketId of [tickets.kept, ...tickets.mutable]) {
    await created(t, context, 'createTicketReply', `/tickets/${ticketId}/replies`, agent(2), { message: `${text} reply` })
  }
  // Tenant users ask for chats; the least busy ONLINE agents (1, 2, 3, then 1) get them. Users 103 and 104 never
  // call in the fuzz, so their chats stay open for agents to keep or transfer.
  const askedBy = async (userId: number) =>
    (await context.call(t, 'startClientSession', { method: 'POST', url: '/livechat/client/sessions', headers: user(userId), payload: { message: `${text} chat` } })).json(201).data.id
  const requested = [await askedBy(101), await askedBy(102)]
  const assignable = [await askedBy(103), await askedBy(104)]
  const offline = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agent(1), payload: { agent_id: 4, subject: `${text} offline`, message: text } })
  t.equal(offline.statusCode, 400, 'agent 4 is offline: a ticket is opened')

  const sessions = idsOf(await allPages(t, context, 'listSessions', { url: '/livechat/sessions', headers: agent(1) }))
  const allTickets = idsOf(await allPages(t, context, 'listTickets', { url: '/tickets', headers: agent(1) }))
  const messages: string[] = []
  for (const sessionId of sessions) messages.push(...idsOf(await allPages(t, context, 'listMessages', { url: `/livechat/sessions/${sessionId}/messages`, headers: agent(1) })))
  const replies: string[] = []
  for (const ticketId of allTickets) replies.push(...idsOf(await allPages(t, context, 'listTicketReplies', { url: `/tickets/${ticketId}/replies`, headers: agent(1) })))
  const notifications = new Set<string>()
  for (const headers of [user(101), user(102), agent(1)]) {
    for (const id of idsOf(await allPages(t, context, 'listNotifications', { url: '/notifications', headers }))) notifications.add(id)
  }
  const ids: TenantIds = {
    session: sessions,
    closableSession: [closable, closed],
    requestedSession: requested,
    assignableSession: assignable,
    message: messages,
    ticket: allTickets,
    mutableTicket: tickets.mutable,
    reply: replies,
    notification: [...notifications],
  }
  for (const [kind, list] of Object.entries(ids)) t.ok(list.length > 0, `tenant ${tenantId} has ${kind} ids to fuzz with`)
  return ids
}

/** Authorization headers that must be refused with 401 by every operation that needs a token. */
function refusedAuthorizations(tenantId: number): string[] {
  const claims = { sub: '1', roles: ['SUPPORT_AGENT', 'TENANT_USER', 'PLATFORM_ADMIN'], tenants: [tenantId] }
  const sign = (options: object, payload: object = claims) => `Bearer ${createSigner({ key: testSecret, expiresIn: '1h', ...options })(payload)}`
  const now = Date.now()
  return [
    sign({ clockTimestamp: now - 2 * 3600_000 }), // expired an hour ago
    sign({ key: 'another-secret-that-is-long-enough-for-hs256-abcdef' }),
    sign({ algorithm: 'none', key: undefined }),
    sign({ expiresIn: undefined }), // no exp
    sign({}, { ...claims, sub: 'abc' }),
    sign({}, { ...claims, sub: 2 ** 31 }),
    sign({}, { ...claims, roles: 'SUPPORT_AGENT' }),
    sign({}, { ...claims, tenants: ['x'] }),
    sign({}, { ...claims, tenants: String(tenantId) }),
    sign({ clockTimestamp: now + 86400_000 }), // issued tomorrow (issue 7, item 8)
    sign({ expiresIn: '36500d' }), // valid for a century (issue 7, item 8)
    'Bearer a.b.c',
  ]
}

/** Tenants A and B with data of every kind, a scratch tenant, and the tokens to call them with. */
export async function seedFuzzWorld(t: Test, context: TestApp): Promise<FuzzWorld> {
  const tenantA = await createTenant(t, context, 'Fuzz A')
  const tenantB = await createTenant(t, context, 'Fuzz B')
  const scratchTenant = await createTenant(t, context, 'Fuzz scratch')
  const secretOfB = 'tenant-B-secret-7f3a'
  const a = await seedTenant(t, context, tenantA, 'tenant A text')
  const b = await seedTenant(t, context, tenantB, secretOfB)
  return {
    tenantA,
    tenantB,
    scratchTenant,
    a,
    b,
    secretOfB,
    usersByRole,
    sign: (claims) => context.token(claims),
    refusedAuthorizations: refusedAuthorizations(tenantA),
  }
}
