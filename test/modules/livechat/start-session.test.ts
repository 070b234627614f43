import t, { type Test } from 'tap'
import { agentHeaders, createTenant, setPresence } from '../../helpers/fixtures.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase } from '../../helpers/test-app.js'

// Seed: "POST /livechat/sessions — mulai sesi chat dengan tenant; gagal jika agen offline atau masih ada sesi aktif."
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const start = (t: Test, agentId: number, payload?: object, caller = agentId) =>
    context.call(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, caller),
      ...(payload && { payload }),
    })

  t.test('an agent who never set a presence is offline: 400 names agent_id', async (t) => {
    const response = await start(t, 11, {})
    t.equal(response.statusCode, 400)
    t.match(response.json(), { success: false, message: 'Agent is offline', data: null, errors: { agent_id: [/offline/] } })
  })

  t.test('an ONLINE agent starts an OPEN session with the tenant; the default agent is the caller', async (t) => {
    await setPresence(t, context, tenantId, 12, 'ONLINE')
    const response = await start(t, 12)
    t.equal(response.statusCode, 201)
    const session = response.json().data
    t.match(session, { tenant_id: tenantId, agent_id: 12, status: 'OPEN' })
    t.equal(session.created_at, session.updated_at)
    t.match(session.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/, 'a UUIDv7')
  })

  t.test('a second start for the same agent and tenant is 400 and names the open session', async (t) => {
    await setPresence(t, context, tenantId, 13, 'ONLINE')
    const first = (await start(t, 13, {})).json().data
    const second = await start(t, 13, {})
    t.equal(second.statusCode, 400)
    t.match(second.json(), { message: 'Active session exists', errors: { existing_session_id: [first.id] } })
  })

  t.test('a caller may start a session with another ONLINE agent through agent_id', async (t) => {
    await setPresence(t, context, tenantId, 14, 'ONLINE')
    const response = await start(t, 14, { agent_id: 14 }, 15)
    t.equal(response.statusCode, 201)
    t.equal(response.json().data.agent_id, 14)
  })

  t.test('an agent who went OFFLINE cannot be given a session', async (t) => {
    await setPresence(t, context, tenantId, 16, 'ONLINE')
    await setPresence(t, context, tenantId, 16, 'OFFLINE')
    t.equal((await start(t, 16, {})).statusCode, 400)
  })

  t.test('invalid bodies are 400 with the field named, and start nothing', async (t) => {
    await setPresence(t, context, tenantId, 17, 'ONLINE')
    for (const [payload, field] of [
      [{ agent_id: 'seventeen' }, 'agent_id'],
      [{ agent_id: 0 }, 'agent_id'],
      [{ agent_id: 1.5 }, 'agent_id'],
      [{ agent: 17 }, 'agent'],
    ] as const) {
      const response = await start(t, 17, payload)
      t.equal(response.statusCode, 400, JSON.stringify(payload))
      t.ok(response.json().errors[field], `errors names ${field}`)
    }
    t.equal((await start(t, 17, untypedBody([]))).statusCode, 400, 'an array is not a body')
    t.equal((await start(t, 17, {})).statusCode, 201, 'the agent was still free')
  })

  t.test('two concurrent starts for one agent yield exactly one OPEN session', async (t) => {
    await setPresence(t, context, tenantId, 18, 'ONLINE')
    const responses = await Promise.all(Array.from({ length: 8 }, () => start(t, 18, {})))
    const statuses = responses.map((response) => response.statusCode).sort()
    t.same(statuses, [201, 400, 400, 400, 400, 400, 400, 400])
    const winner = responses.find((response) => response.statusCode === 201)!.json().data.id
    for (const response of responses.filter((response) => response.statusCode === 400)) {
      t.same(response.json().errors.existing_session_id, [winner])
    }
  })
})
