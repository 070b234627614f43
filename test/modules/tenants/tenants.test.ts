import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { adminHeaders, agentHeaders } from '../../helpers/fixtures.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type Tenant = components['schemas']['Tenant']

// Tenant management: only PLATFORM_ADMIN; no X-Tenant-ID, as the call acts for no tenant.
onEachDatabase(t, async (t, context) => {
  const create = (t: Test, payload: unknown, headers: Record<string, string> = adminHeaders(context)) =>
    context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers, payload: untypedBody(payload) })
  const update = (t: Test, id: number | string, payload: unknown, headers: Record<string, string> = adminHeaders(context)) =>
    context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${id}`, headers, payload: untypedBody(payload) })
  const list = (t: Test, query: Record<string, string | number> = {}, headers: Record<string, string> = adminHeaders(context)) =>
    context.call(t, 'listTenants', {
      method: 'GET',
      url: '/admin/tenants',
      query: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, String(value)])),
      headers,
    })
  const created = async (t: Test, name: string, active?: boolean): Promise<Tenant> => {
    const response = await create(t, { name, ...(active !== undefined && { active }) })
    t.equal(response.statusCode, 201, `tenant ${name} created`)
    return response.json().data
  }
  const allTenants = async (t: Test): Promise<Tenant[]> => (await list(t, { limit: 100 })).json().data

  t.test('POST /admin/tenants', async (t) => {
    t.test('answers 201 with the tenant; active defaults to true', async (t) => {
      const response = await create(t, { name: 'Acme' })
      t.equal(response.statusCode, 201)
      const tenant = response.json().data
      t.match(response.json(), { success: true, errors: null, data: { name: 'Acme', active: true } })
      t.ok(Number.isInteger(tenant.id) && tenant.id >= 1, 'a positive integer id')
      t.equal(tenant.created_at, tenant.updated_at)
      t.same(
        (await allTenants(t)).find((stored) => stored.id === tenant.id),
        tenant,
        'listed as created',
      )
    })

    t.test('active may be given', async (t) => {
      t.equal((await created(t, 'Dormant', false)).active, false)
      t.equal((await created(t, 'Awake', true)).active, true)
    })

    t.test('a name of exactly 200 characters is accepted', async (t) => {
      t.equal((await created(t, 'n'.repeat(200))).name, 'n'.repeat(200))
    })

    t.test('invalid bodies are 400 naming the field, and create nothing', async (t) => {
      const before = await allTenants(t)
      for (const [payload, field] of [
        [{}, 'name'],
        [{ active: true }, 'name'],
        [{ name: '' }, 'name'],
        [{ name: '   ' }, 'name'],
        [{ name: '\t\n' }, 'name'],
        [{ name: 'n'.repeat(201) }, 'name'],
        [{ name: 42 }, 'name'],
        [{ name: null }, 'name'],
        [{ name: 'Acme', active: 'yes' }, 'active'],
        [{ name: 'Acme', color: 'red' }, 'color'],
      ] as const) {
        const response = await create(t, payload)
        t.equal(response.statusCode, 400, JSON.stringify(payload))
        t.match(response.json(), { success: false, data: null, errors: { [field]: [String] } }, `errors names ${field}`)
      }
      t.same(await allTenants(t), before, 'no tenant was created')
    })
  })

  t.test('PATCH /admin/tenants/{tenant_id}', async (t) => {
    t.test('renames, deactivates and reactivates; updated_at moves forward each time', async (t) => {
      const tenant = await created(t, 'Before')
      await sleep(5)
      const renamed = await update(t, tenant.id, { name: 'After' })
      t.equal(renamed.statusCode, 200)
      t.match(renamed.json().data, { id: tenant.id, name: 'After', active: true, created_at: tenant.created_at })
      t.ok(Date.parse(renamed.json().data.updated_at) > Date.parse(tenant.updated_at), 'updated_at moved on rename')

      await sleep(5)
      const deactivated = await update(t, tenant.id, { active: false })
      t.equal(deactivated.statusCode, 200)
      t.match(deactivated.json().data, { id: tenant.id, name: 'After', active: false })
      t.ok(Date.parse(deactivated.json().data.updated_at) > Date.parse(renamed.json().data.updated_at), 'updated_at moved on deactivation')

      await sleep(5)
      const reactivated = await update(t, tenant.id, { active: true, name: 'Again' })
      t.equal(reactivated.statusCode, 200)
      t.match(reactivated.json().data, { id: tenant.id, name: 'Again', active: true })
      t.ok(Date.parse(reactivated.json().data.updated_at) > Date.parse(deactivated.json().data.updated_at), 'updated_at moved on reactivation')

      t.same((await allTenants(t)).find((stored) => stored.id === tenant.id), reactivated.json().data, 'stored as answered')
    })

    t.test("a deactivated tenant's agents get 403 until it is activated again", async (t) => {
      const tenant = await created(t, 'Switch')
      const presence = (t: Test) =>
        context.call(t, 'setMyPresence', {
          method: 'PUT',
          url: '/livechat/agents/me/presence',
          headers: agentHeaders(context, tenant.id, 61),
          payload: { status: 'ONLINE' },
        })
      t.equal((await presence(t)).statusCode, 200)
      t.equal((await update(t, tenant.id, { active: false })).statusCode, 200)
      t.equal((await presence(t)).statusCode, 403)
      t.equal((await update(t, tenant.id, { active: true })).statusCode, 200)
      t.equal((await presence(t)).statusCode, 200)
    })

    t.test('an empty body is 400 and changes nothing', async (t) => {
      const tenant = await created(t, 'Unchanged')
      const response = await update(t, tenant.id, {})
      t.equal(response.statusCode, 400)
      t.match(response.json(), { success: false, data: null, errors: { body: [/properties/] } })
      t.same((await allTenants(t)).find((stored) => stored.id === tenant.id), tenant)
    })

    t.test('invalid bodies are 400 naming the field', async (t) => {
      const tenant = await created(t, 'Strict')
      for (const [payload, field] of [
        [{ name: '' }, 'name'],
        [{ name: '  ' }, 'name'],
        [{ name: 'n'.repeat(201) }, 'name'],
        [{ active: 'false' }, 'active'],
        [{ active: null }, 'active'],
        [{ name: 'Renamed', owner: 'me' }, 'owner'],
      ] as const) {
        const response = await update(t, tenant.id, payload)
        t.equal(response.statusCode, 400, JSON.stringify(payload))
        t.ok(response.json().errors[field], `errors names ${field}`)
      }
      t.same((await allTenants(t)).find((stored) => stored.id === tenant.id), tenant, 'nothing changed')
    })

    t.test('an unknown tenant is 404 naming tenant_id', async (t) => {
      const response = await update(t, 2147483647, { name: 'Ghost' })
      t.equal(response.statusCode, 404)
      t.match(response.json(), { success: false, message: 'Tenant not found', errors: { tenant_id: [String] } })
    })

    t.test('a tenant_id that is not a positive integer is 400 naming tenant_id', async (t) => {
      for (const id of ['abc', '1.5', '0', '-1', '2147483648']) {
        const response = await update(t, id, { name: 'X' })
        t.equal(response.statusCode, 400, id)
        t.ok(response.json().errors.tenant_id, `errors names tenant_id for ${id}`)
      }
    })
  })

  t.test('GET /admin/tenants', async (t) => {
    for (const name of ['L1', 'L2', 'L3', 'L4', 'L5']) await created(t, name)
    const all = await allTenants(t)
    const ids = all.map((tenant) => tenant.id)

    t.test('lists tenants ascending by id, with the default limit', async (t) => {
      const response = await list(t)
      t.equal(response.statusCode, 200)
      t.same(response.json().data, all)
      t.same(ids, [...ids].sort((a, b) => a - b), 'ascending by id')
      t.ok(ids.length >= 5)
      t.match(response.json().meta.pagination, { has_next: false, has_prev: false, limit: 50 })
    })

    t.test('pages forward with limit and cursor visit every tenant once; direction=prev goes back', async (t) => {
      const pages: number[][] = []
      const paginations = []
      let cursor: string | undefined
      do {
        const response = await list(t, { limit: 2, ...(cursor && { cursor }) })
        t.equal(response.statusCode, 200)
        const pagination = response.json().meta.pagination
        paginations.push(pagination)
        pages.push(response.json().data.map((tenant: Tenant) => tenant.id))
        if (pagination.has_next) t.equal(pagination.next_cursor, String(pages.at(-1)!.at(-1)), 'next_cursor is the last tenant id')
        cursor = pagination.has_next ? pagination.next_cursor : undefined
      } while (cursor && pages.length < 100)
      t.same(pages.flat(), ids, 'every tenant once, in order')
      t.ok(pages.slice(0, -1).every((page) => page.length === 2), 'full pages of 2')
      t.match(paginations[0], { has_next: true, has_prev: false, limit: 2 })
      t.match(paginations.at(-1), { has_next: false, has_prev: true, limit: 2 })

      const back = await list(t, { limit: 2, direction: 'prev', cursor: paginations.at(-1)!.prev_cursor! })
      t.equal(back.statusCode, 200)
      t.same(back.json().data.map((tenant: Tenant) => tenant.id), pages.at(-2), 'the page before the last, ascending')
      t.match(back.json().meta.pagination, { has_next: true, limit: 2 })
    })

    t.test('a cursor is a tenant id; one beyond the last tenant reads an empty page', async (t) => {
      const last = ids.at(-1)!
      const after = await list(t, { cursor: String(last) })
      t.equal(after.statusCode, 200)
      t.same(after.json().data, [])
      t.match(after.json().meta.pagination, { has_next: false, has_prev: true })
      const before = await list(t, { cursor: String(last), direction: 'prev', limit: 1 })
      t.same(before.json().data.map((tenant: Tenant) => tenant.id), [ids.at(-2)])
    })

    t.test('a cursor beyond the largest tenant id (the spec allows 10 digits) is an empty page or a 400, never a 500', async (t) => {
      for (const cursor of ['2147483648', '9999999999']) {
        const response = await list(t, { cursor })
        t.ok([200, 400].includes(response.statusCode), `cursor ${cursor}: status ${response.statusCode} is 200 or 400`)
        if (response.statusCode === 400) t.ok(response.json().errors?.cursor, 'errors names cursor')
        if (response.statusCode === 200) t.same(response.json().data, [], 'nothing comes after it')
      }
    })

    t.test('invalid paging parameters are 400 naming the parameter', async (t) => {
      for (const [query, field] of [
        [{ cursor: 'abc' }, 'cursor'],
        [{ cursor: '0' }, 'cursor'],
        [{ cursor: '-1' }, 'cursor'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 101 }, 'limit'],
        [{ limit: 'ten' }, 'limit'],
        [{ direction: 'back' }, 'direction'],
      ] as const) {
        const response = await list(t, query)
        t.equal(response.statusCode, 400, JSON.stringify(query))
        t.ok(response.json().errors[field], `errors names ${field}`)
      }
    })
  })

  t.test('only PLATFORM_ADMIN manages tenants', async (t) => {
    const tenant = await created(t, 'Guarded')
    const agent = agentHeaders(context, tenant.id, 71)
    const noToken = {}

    t.test('a SUPPORT_AGENT token is 403 on every admin call and changes nothing', async (t) => {
      for (const response of [
        await create(t, { name: 'Sneaky' }, agent),
        await update(t, tenant.id, { name: 'Sneaky' }, agent),
        await list(t, {}, agent),
      ]) {
        t.equal(response.statusCode, 403)
        t.match(response.json(), { success: false, data: null, errors: { roles: [/PLATFORM_ADMIN/] } })
      }
      const stored = await allTenants(t)
      t.same(stored.find((candidate) => candidate.id === tenant.id), tenant, 'not renamed')
      t.notOk(stored.some((candidate) => candidate.name === 'Sneaky'), 'not created')
    })

    t.test('no token is 401 on every admin call', async (t) => {
      for (const response of [
        await create(t, { name: 'Anonymous' }, noToken),
        await update(t, tenant.id, { name: 'Anonymous' }, noToken),
        await list(t, {}, noToken),
      ]) {
        t.equal(response.statusCode, 401)
        t.match(response.json(), { success: false, data: null, errors: { authorization: [String] } })
      }
      const bad = await list(t, {}, { authorization: 'Bearer not.a.token' })
      t.equal(bad.statusCode, 401, 'a bad token is 401 too')
    })

    t.test('admin calls need no X-Tenant-ID, and ignore one that is given', async (t) => {
      t.notOk('x-tenant-id' in adminHeaders(context), 'the admin headers carry no tenant')
      t.equal((await list(t)).statusCode, 200)
      t.equal((await list(t, {}, { ...adminHeaders(context), 'x-tenant-id': 'garbage' })).statusCode, 200)
    })

    t.test('an admin token that also lists tenants and the SUPPORT_AGENT role still manages tenants', async (t) => {
      const both = { authorization: `Bearer ${context.token({ sub: 9001, roles: ['SUPPORT_AGENT', 'PLATFORM_ADMIN'], tenants: [tenant.id] })}` }
      t.equal((await create(t, { name: 'Dual' }, both)).statusCode, 201)
    })
  })
})
