// The HTTP floor of a read: Fastify on the same Node, answering every GET with the bytes of a real page
// response (BODY_FILE), and nothing else: no authentication, no validation, no database. The service's page
// can approach it, never pass it. Started by run.ts; PORT and HOST as the service takes them.
import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'

const body = await readFile(process.env.BODY_FILE!)
const app = Fastify({ logger: false })
app.get('/health', async () => ({ ok: true }))
app.get('/*', (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body))
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST })
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close())
