import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { listening, openStream } from '../../helpers/event-stream.js'
import { agentHeaders, createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { buildTestApp, onEachDatabase, type TestApp } from '../../helpers/test-app.js'

// Issue 7: "Prometheus metrics at /metrics (request rate, latency histogram by operationId and status, pool usage,
// open streams if any) with a maintained plugin". openapi.yaml, getMetrics: 200 text/plain, the Prometheus text format.

type Sample = { name: string; labels: Record<string, string>; value: number }

const metricsResponse = (openapi: any) => openapi.paths['/metrics'].get.responses['200'].content
const documented = metricsResponse(parse(readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8')))

// One sample line of the Prometheus text format: name, optional {label="value",...}, a number. prom-client writes
// NaN as `Nan` (an event-loop gauge before any sample), which Prometheus reads case-insensitively.
const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|Nan|\+Inf|-Inf)$/
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** GET /metrics, unauthenticated, checked against openapi.yaml (200 text/plain) and the text format. */
async function scrape(t: Test, context: TestApp): Promise<Sample[]> {
  const response = await context.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 200, 'GET /metrics is 200 without credentials')
  t.ok(documented['text/plain'], 'openapi.yaml documents 200 as text/plain')
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/, 'text/plain, the Prometheus text format')
  const samples: Sample[] = []
  const malformed: string[] = []
  for (const line of response.body.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
    const match = samplePattern.exec(line)
    if (!match) {
      malformed.push(line)
      continue
    }
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(labelPattern)].map((label) => [label[1], label[2]]))
    samples.push({ name: match[1], labels, value: Number(match[3]) })
  }
  t.same(malformed, [], 'every line is a comment or a sample')
  return samples
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))

const requestCount = (samples: Sample[], labels: Record<string, string>) =>
  find(samples, 'http_request_duration_seconds_count', labels).reduce((sum, sample) => sum + sample.value, 0)

onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)

  t.test('requests are counted and timed by operation id, method and status code', async (t) => {
    const sessionId = await openSession(t, context, tenantId)
    await sendMessage(t, context, tenantId, sessionId, 'counted')
    await sendMessage(t, context, tenantId, sessionId, 'counted again')
    const missing = await context.call(t, 'getSession', { method: 'GET', url: `/livechat/sessions/${randomUUID()}`, headers: agentHeaders(context, tenantId) })
    t.equal(missing.statusCode, 404)
    const samples = await scrape(t, context)
    t.equal(requestCount(samples, { operation: 'sendMessage', method: 'POST', status_code: '201' }), 2, 'two sendMessage 201')
    t.equal(requestCount(samples, { operation: 'getSession', method: 'GET', status_code: '404' }), 1, 'one getSession 404')
    const buckets = find(samples, 'http_request_duration_seconds_bucket', { operation: 'sendMessage', status_code: '201' })
    t.ok(buckets.length >= 10, `a latency histogram with its buckets (${buckets.length})`)
    t.equal(buckets.find((bucket) => bucket.labels.le === '+Inf')?.value, 2, 'the +Inf bucket holds every request')
    t.ok(find(samples, 'http_request_duration_seconds_sum', { operation: 'sendMessage' })[0]?.value > 0, 'and their total time')
  })

  t.test('a URL that matches no route is counted as __unknown__, never by its path or query', async (t) => {
    const secretPath = `/probe-${randomUUID()}`
    const response = await context.app.inject({ method: 'GET', url: `${secretPath}?token=${randomUUID()}` })
    t.equal(response.statusCode, 404)
    const samples = await scrape(t, context)
    t.ok(requestCount(samples, { operation: '__unknown__', status_code: '404' }) >= 1, 'counted under operation="__unknown__"')
    t.same(samples.filter((sample) => Object.values(sample.labels).some((value) => value.includes('probe-'))), [], 'no label holds the URL')
  })

  t.test('the open-streams gauge counts the event streams open now', async (t) => {
    t.equal(find(await scrape(t, context), 'livechat_event_streams_open')[0]?.value, 0, 'none before')
    const base = await listening(context)
    const stream = await openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders(context, tenantId, 5) })
    t.equal((await stream.next(t)).event, 'stream.ready')
    t.equal(find(await scrape(t, context), 'livechat_event_streams_open')[0]?.value, 1, 'one while a stream is open')
    stream.close()
    await stream.ended
    const deadline = Date.now() + 5000
    while (find(await scrape(t, context), 'livechat_event_streams_open')[0]?.value !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.equal(find(await scrape(t, context), 'livechat_event_streams_open')[0]?.value, 0, 'none once the client left')
  })

  t.test("the process's own metrics are there", async (t) => {
    const samples = await scrape(t, context)
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      t.equal(find(samples, name).length, 1, name)
    }
  })

  t.test('database pool usage where there is a pool (PostgreSQL), none on PGlite', async (t) => {
    const samples = await scrape(t, context)
    const pool = ['livechat_db_pool_connections', 'livechat_db_pool_connections_in_use', 'livechat_db_pool_waiting'].map(
      (name) => find(samples, name)[0]?.value,
    )
    if (context.kind === 'postgres') {
      t.equal(pool[0], context.config.DB_POOL_MAX, 'the pool size is DB_POOL_MAX')
      t.ok(pool[1] !== undefined && pool[1] >= 0 && pool[1] <= context.config.DB_POOL_MAX, `connections in use (${pool[1]})`)
      t.equal(pool[2], 0, 'nothing waits for a connection')
    } else {
      t.same(pool, [undefined, undefined, undefined], 'PGlite has no pool to report')
    }
  })

  t.test('a second app in the same process has metrics of its own, without clashing', async (t) => {
    const second = await buildTestApp(t, context.kind)
    const samples = await scrape(t, second)
    t.equal(requestCount(samples, { operation: 'sendMessage' }), 0, "the first app's requests are not the second's")
    t.equal(requestCount(await scrape(t, second), { operation: 'getMetrics', status_code: '200' }), 1, 'its own scrape is counted')
    t.ok(requestCount(await scrape(t, context), { operation: 'sendMessage' }) >= 2, 'and the first app still reports its own')
  })
})
