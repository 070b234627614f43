import postgres from 'postgres'
import { loadConfig } from './src/config.js'
import { openDatabase } from './src/platform/database.js'
const admin = postgres('postgres://postgres@127.0.0.1:5432/postgres', { max: 1, onnotice: () => {} })
await admin.unsafe('drop database if exists scratch_explain with (force)')
await admin.unsafe('create database scratch_explain')
const url = 'postgres://postgres@127.0.0.1:5432/scratch_explain'
const database = await openDatabase(loadConfig({ JWT_SECRET: 'x'.repeat(40), DATABASE_URL: url }))
await database.close()
const sql = postgres(url, { max: 1, onnotice: () => {} })
await sql`insert into tenants (name, active) values ('t', true)`
const [{ id: tenantId }] = await sql`select id from tenants`
await sql`insert into chat_sessions (tenant_id, id, agent_id, status) values (${tenantId}, '01a21d2e-b09b-7768-8a2e-90b4717b67d4', 1, 'OPEN')`
await sql`insert into chat_messages (tenant_id, id, session_id, seq, sender_id, message, created_at)
    select ${tenantId}, gen_random_uuid(), '01a21d2e-b09b-7768-8a2e-90b4717b67d4', seq, 1, 'message ' || seq, now() + seq * interval '1 microsecond' from generate_series(1, 200000) as seq`
await sql`vacuum analyze chat_messages`
const [{ id: cursor }] = await sql`select id from chat_messages where seq = 100000`
const q = `
      select s.id is not null as session_found, c.seq is not null as cursor_found, m.id, m.sender_id, m.message, m.created_at
      from (select 1) one
      left join "chat_sessions" s on s.tenant_id = $1 and s.id = $2
      left join "chat_messages" c on c.tenant_id = $3 and c.session_id = $4 and c.id = $5
      left join lateral (
        select m.id, m.seq, m.sender_id, m.message, m.created_at from "chat_messages" m
        where m.tenant_id = $6 and m.session_id = s.id and m.seq > c.seq
        order by m.seq asc limit $7
      ) m on true
      order by m.seq asc`
const sid = '01a21d2e-b09b-7768-8a2e-90b4717b67d4'
const params = [tenantId, sid, tenantId, sid, cursor, tenantId, 51]
await sql.unsafe(`prepare p(int, uuid, int, uuid, uuid, int, int) as ${q}`)
for (let i = 0; i < 7; i++) await sql.unsafe(`execute p(${params.map((p) => typeof p === 'string' ? `'${p}'` : p).join(',')})`)
console.log((await sql.unsafe(`explain (analyze, buffers) execute p(${params.map((p) => typeof p === 'string' ? `'${p}'` : p).join(',')})`)).map((r: any) => r['QUERY PLAN']).join('\n'))
console.log((await sql.unsafe(`explain (analyze, buffers) SELECT id, session_id, seq, sender_id, message, created_at FROM chat_messages WHERE tenant_id = ${tenantId} AND session_id = '${sid}' AND seq > 100000 ORDER BY seq LIMIT 51`)).map((r: any) => r['QUERY PLAN']).join('\n'))
await sql.end(); await admin.end()
