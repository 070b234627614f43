// The floor of a scenario: the least SQL it needs, run by pgbench with prepared statements at the same
// concurrency against the same server and database. A service can only approach it.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Transactions per second of `script` (pgbench's own script language) on `databaseUrl`. */
export async function pgbenchTps(databaseUrl: string, script: string, clients: number, seconds: number): Promise<number> {
  const directory = await mkdtemp(join(tmpdir(), 'livechat-floor-'))
  try {
    const file = join(directory, 'floor.sql')
    await writeFile(file, script)
    // -n: no vacuum of pgbench's own tables, which this database does not have.
    const { stdout } = await run('pgbench', ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', file, databaseUrl])
    const tps = /tps = ([0-9.]+) \(without initial connection time\)/.exec(stdout)
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`)
    return Number(tps[1])
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

/** A send: the session's next number and the message, in one transaction (a random one of `sessionIds`). */
export function sendFloor(tenantId: number, sessionIds: string[]): string {
  const sessions = sessionIds.map((id) => `'${id}'`)
  return [
    `\\set pick random(0, ${sessions.length - 1})`,
    'BEGIN;',
    `UPDATE chat_sessions SET last_message_seq = last_message_seq + 1, updated_at = now() WHERE tenant_id = ${tenantId} AND id = (ARRAY[${sessions.join(', ')}]::uuid[])[:pick + 1] RETURNING last_message_seq AS seq, id AS session_id \\gset`,
    `INSERT INTO chat_messages (tenant_id, id, session_id, seq, sender_id, message, created_at) VALUES (${tenantId}, gen_random_uuid(), :session_id, :seq, 1, 'floor', now());`,
    'COMMIT;',
    '',
  ].join('\n')
}

/** A page: 51 messages after a random position of the session (one more than the page tells whether more follow). */
export function pageFloor(tenantId: number, sessionId: string, messageCount: number): string {
  return [
    `\\set after random(0, ${Math.max(0, messageCount - 51)})`,
    `SELECT id, session_id, seq, sender_id, message, created_at FROM chat_messages WHERE tenant_id = ${tenantId} AND session_id = '${sessionId}' AND seq > :after ORDER BY seq LIMIT 51;`,
    '',
  ].join('\n')
}

/** A session started and closed: its row inserted OPEN, then closed (each its own transaction, as two requests are). */
export function churnFloor(tenantId: number): string {
  return [
    // Agents far from the service's, each with one session open at a time at most (a clash is one in millions).
    '\\set agent random(1000000, 2000000000)',
    `INSERT INTO chat_sessions (tenant_id, id, agent_id, status) VALUES (${tenantId}, gen_random_uuid(), :agent, 'OPEN') RETURNING id AS session_id \\gset`,
    `UPDATE chat_sessions SET status = 'CLOSED', updated_at = now() WHERE tenant_id = ${tenantId} AND id = :session_id;`,
    '',
  ].join('\n')
}
