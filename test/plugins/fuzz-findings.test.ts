import { Agent, request as httpRequest } from 'node:http'
import t from 'tap'
import { listening } from '../helpers/event-stream.js'
import { agentHeaders, createTenant, tenantUserHeaders } from '../helpers/fixtures.js'
import { onEachDatabase } from '../helpers/test-app.js'

// Requests the fuzz suite (test/fuzz) found mishandled, each kept as a focused regression test.

/** The status of a request on `agent`'s connection, or 'no answer' after `ms`. */
function statusOver(agent: Agent, url: string, method: string, headers: Record<string, string>, ms: number): Promise<number | 'no answer'> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers, agent }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    outgoing.setTimeout(ms, () => (outgoing.destroy(), resolve('no answer')))
    outgoing.on('error', reject)
    outgoing.end()
  })
}

onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const streams = [
    ['/livechat/events', agentHeaders(context, tenantId, 1)],
    ['/livechat/client/events', tenantUserHeaders(context, tenantId, 101)],
  ] as const

  t.test('a HEAD of an event stream answers as its GET would, without a body, and ends', async (t) => {
    for (const [url, headers] of streams) {
      const answered = await Promise.race([
        context.app.inject({ method: 'HEAD', url, headers }),
        new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), 5000).unref()),
      ])
      if (answered === 'no answer') {
        t.fail(`HEAD ${url} was not answered within 5 s`)
        continue
      }
      t.equal(answered.statusCode, 200, `HEAD ${url}`)
      t.match(answered.headers['content-type'], /^text\/event-stream/)
      t.equal(answered.body, '', 'no body')
      const refused = await context.app.inject({ method: 'HEAD', url })
      t.equal(refused.statusCode, 401, 'and refuses what the GET refuses')
    }
  })

  t.test('a body with a __proto__ or constructor.prototype key is a 400 that says so, not "not valid JSON"', async (t) => {
    const headers = { ...agentHeaders(context, tenantId, 1), 'content-type': 'application/json' }
    for (const payload of ['{"subject":"a","message":"b","__proto__":{"admin":true}}', '{"subject":"a","message":{"constructor":{"prototype":{}}}}']) {
      const response = await context.call(t, 'createTicket', { method: 'POST', url: '/tickets', headers, payload })
      t.equal(response.statusCode, 400, payload)
      t.same(response.json().errors, { body: ['must not hold a "__proto__" key, nor a "constructor" key holding "prototype"'] })
    }
    const invalid = await context.call(t, 'createTicket', { method: 'POST', url: '/tickets', headers, payload: '{"subject":"a",' })
    t.equal(invalid.statusCode, 400, 'JSON that does not parse')
    t.match(invalid.json().message, /not valid JSON/, 'is still named so')
  })

  t.test('a HEAD of an event stream does not hold its keep-alive connection', async (t) => {
    const base = await listening(context)
    for (const [url, headers] of streams) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      t.teardown(() => agent.destroy())
      t.equal(await statusOver(agent, `${base}${url}`, 'HEAD', headers, 5000), 200, `HEAD ${url}`)
      t.equal(await statusOver(agent, `${base}/health/live`, 'GET', {}, 5000), 200, 'the next request on the connection is answered')
    }
  })
})
