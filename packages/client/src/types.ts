/**
 * The contract's types for a frontend: everything in openapi.yaml (`paths`, `components`, `operations`, from
 * openapi-typescript) and the envelope under the names the integration guide uses. Types only: importing this
 * entry point adds nothing to a bundle.
 */
import type { components } from './generated/openapi.js'

export type { components, operations, paths } from './generated/openapi.js'

/** A schema of openapi.yaml by name: `Schema<'ChatSession'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name]

export type Pagination = Schema<'Pagination'>
export type Meta = Schema<'Meta'>
/** The `meta` of a list response: its `pagination` is always there. */
export type PageMeta = Schema<'PageMeta'>
/** Every failure's body: `code` for programs, `message` for people, `errors` by field (`_` for the whole request). */
export type ErrorResponse = Schema<'ErrorResponse'>
/** What went wrong, one stable code per cause: what a program branches on. */
export type ErrorCode = Schema<'ErrorCode'>

/** A success's body. Every list in this API is paged, so an array's `meta` is `PageMeta`. */
export type SuccessResponse<T> = {
  success: true
  message: string
  data: T
  meta: T extends readonly unknown[] ? PageMeta : Meta
  errors: null
}

/** Any body the API answers with, as the guide names it (`APIResponse<ChatSession>`): narrow it on `success`. */
export type APIResponse<T> = SuccessResponse<T> | ErrorResponse

export type ChatSession = Schema<'ChatSession'>
export type ChatMessage = Schema<'ChatMessage'>
export type SessionStatus = Schema<'SessionStatus'>
export type Ticket = Schema<'Ticket'>
export type TicketReply = Schema<'TicketReply'>
export type Notification = Schema<'Notification'>
export type AgentPresence = Schema<'AgentPresence'>
export type Tenant = Schema<'Tenant'>
/** What an event stream delivers: one of its `type`s (`message.created`, `typing`, …). */
export type StreamEvent = Schema<'StreamEvent'>
