import type { Pool } from '../../platform/transactions.js'
import type { EventRepository } from '../event-log/event-repository.js'
import type { EventHub, HubListener } from './event-hub.js'
import { EventStreamConnection } from './stream-connection.js'
import type { EphemeralEvent, StoredEvent } from '../event-log/stream-event.js'
import { formatPosition, type StreamPosition } from './stream-position.js'
import type { StreamPlan } from './stream-plan.js'

const replayBatch = 500

/**
 * One open stream. It subscribes to the hub first, then replays from the database what lies between its
 * resume point and where the hub took over, then goes live with what the hub buffered meanwhile. Positions
 * are per tenant and only move forward, so no event is sent twice or skipped.
 */
export class OpenStream implements HubListener {
  readonly audience: StreamPlan['audience']
  private readonly position: StreamPosition
  private replaying = true
  private buffered: StoredEvent[] = []
  private bufferedBytes = 0
  private readonly dropped = new Set<number>()
  /** The id last written; a heartbeat carries a newer one when events not for this stream moved it. */
  private writtenId: string | undefined

  constructor(
    private readonly plan: StreamPlan,
    private readonly connection: EventStreamConnection,
    private readonly dependencies: { pool: Pool; eventRepository: Pick<EventRepository, 'after'>; hub: EventHub; bufferBytes: number },
  ) {
    this.audience = plan.audience
    this.position = { side: plan.audience.side, userId: plan.audience.userId, seqByTenant: new Map() }
  }

  receive(event: StoredEvent): void {
    if (!this.replaying) return void this.send(event)
    this.buffered.push(event)
    this.bufferedBytes += Buffer.byteLength(event.data)
    if (this.bufferedBytes > this.dependencies.bufferBytes) this.connection.destroy()
  }

  pass(tenantId: number, seq: number): void {
    // While replaying, the replay owns the positions; what passes meanwhile is judged after it.
    if (!this.replaying && seq > (this.position.seqByTenant.get(tenantId) ?? Infinity)) this.position.seqByTenant.set(tenantId, seq)
  }

  receiveEphemeral(event: EphemeralEvent): void {
    this.connection.write(EventStreamConnection.frame(event.type, event.data))
  }

  /** Its position stays in the id, so a later resume replays the tenant from there if it is active again. */
  tenantInactive(tenantId: number): void {
    this.dropped.add(tenantId)
    if (this.dropped.size >= this.plan.tenantIds.length) this.connection.end('tenant_inactive')
  }

  /** A keep-alive comment; with an id-only field when the position moved without an event being sent. */
  heartbeat(): void {
    const id = this.position.seqByTenant.size > 0 ? formatPosition(this.position) : undefined
    if (id === undefined || id === this.writtenId) return void this.connection.write(': keep-alive\n\n')
    this.writtenId = id
    this.connection.write(`: keep-alive\nid: ${id}\n\n`)
  }

  async run(closed: Promise<void>): Promise<void> {
    const { hub } = this.dependencies
    try {
      const liveFrom = await hub.subscribe(this, this.plan.tenantIds)
      for (const [tenantId, seq] of liveFrom) this.position.seqByTenant.set(tenantId, this.plan.resumeFrom?.get(tenantId) ?? seq)
      if (this.position.seqByTenant.size === 0) return this.connection.end('tenant_inactive')
      const resumeFrom = this.identify()
      const ready = JSON.stringify({ type: 'stream.ready', resume_from: resumeFrom, tenant_ids: [...this.position.seqByTenant.keys()] })
      if (!(await this.connection.writeAndDrain(EventStreamConnection.frame('stream.ready', ready, resumeFrom)))) return
      for (const [tenantId, liveSeq] of liveFrom) if (!(await this.replay(tenantId, liveSeq))) return
      this.replaying = false
      for (const event of this.buffered) this.send(event)
      this.buffered = []
      await closed
    } finally {
      hub.unsubscribe(this, this.plan.tenantIds)
    }
  }

  /** The tenant's events for this stream after its position, up to `throughSeq`; false when the client left. */
  private async replay(tenantId: number, throughSeq: number): Promise<boolean> {
    let after = this.position.seqByTenant.get(tenantId)!
    while (after < throughSeq) {
      const range = { afterSeq: after, throughSeq, limit: replayBatch }
      const events = await this.dependencies.eventRepository.after(this.dependencies.pool, tenantId, range, this.audience)
      for (const event of events) {
        this.position.seqByTenant.set(tenantId, event.seq)
        if (!(await this.connection.writeAndDrain(EventStreamConnection.frame(event.type, event.data, this.identify())))) return false
      }
      if (events.length < replayBatch) break
      after = events[events.length - 1].seq
    }
    // Every event up to where the hub took over has been considered, sent or not for this stream.
    this.position.seqByTenant.set(tenantId, Math.max(this.position.seqByTenant.get(tenantId)!, throughSeq))
    return !this.connection.closed
  }

  private send(event: StoredEvent): void {
    if (event.seq <= (this.position.seqByTenant.get(event.tenantId) ?? Infinity)) return
    this.position.seqByTenant.set(event.tenantId, event.seq)
    this.connection.write(EventStreamConnection.frame(event.type, event.data, this.identify()))
  }

  private identify(): string {
    this.writtenId = formatPosition(this.position)
    return this.writtenId
  }
}
