import type { Side, StreamAudience } from '../event-log/stream-event.js'

export type StreamSettings = { heartbeatSeconds: number; maxPerUser: number; bufferBytes: number; retentionHours: number }

/** What a caller asks to stream, as the route read it from the request and its credentials. */
export type StreamRequest = {
  side: Side
  userId: number
  /** The tenant of the header or stream token; absent for an agent stream over `tokenTenantIds`. */
  tenantId?: number
  tokenTenantIds: number[]
  sessionId?: string
  lastEventId?: string
  /** When the caller's credentials expire (ms since the epoch): the stream ends then. */
  expiresAt: number
}

/** A stream checked and ready to start: everything that could be a 4xx has been decided. */
export type StreamPlan = { audience: StreamAudience; tenantIds: number[]; resumeFrom?: Map<number, number>; expiresAt: number }
