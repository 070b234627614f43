import type { operations } from '../../generated/openapi.js'

// Each operation's request and answers as tests see them, from generated/openapi.ts: what the typed `call`
// (test-app.ts) and `callServer` accept and return. A test that names an operation openapi.yaml lacks, sends
// a body the operation does not take, or reads a field none of its answers has, does not compile.

export type OperationId = keyof operations

type JsonOf<Content> = Content extends { content: { 'application/json': infer Body } } ? Body : never

/** The JSON body the operation takes; `never` for one that takes none. */
export type RequestBody<K extends OperationId> = K extends OperationId ? JsonOf<NonNullable<operations[K]['requestBody']>> : never

/** The statuses openapi.yaml documents for the operation. */
export type Status<K extends OperationId> = K extends OperationId ? keyof operations[K]['responses'] & number : never

/** The JSON body openapi.yaml documents for the operation at status `S`; at any of its statuses by default. */
export type ResponseBody<K extends OperationId, S extends Status<K> = Status<K>> = K extends OperationId
  ? JsonOf<operations[K]['responses'][S & keyof operations[K]['responses']]>
  : never

type KeyOf<Bodies> = Bodies extends unknown ? keyof Bodies : never
type AnyAt<Bodies, P extends PropertyKey> = Bodies extends unknown ? (P extends keyof Bodies ? Bodies[P] : never) : never
/** What the bodies that fill `P` put there: a `null` where another status's body has its value does not count. */
type Filled<Bodies, P extends PropertyKey> = Bodies extends unknown ? (P extends keyof Bodies ? ([Bodies[P]] extends [null] ? never : Bodies[P]) : never) : never
/** Whether some body always has `P`: then its absence from another status's body does not count either. */
type AlwaysIn<Bodies, P extends PropertyKey> = Bodies extends unknown ? (P extends keyof Bodies ? ({} extends Pick<Bodies, P> ? never : true) : never) : never
type Slot<Bodies, P extends PropertyKey> = [Filled<Bodies, P>] extends [never]
  ? AnyAt<Bodies, P>
  : [AlwaysIn<Bodies, P>] extends [never]
    ? Filled<Bodies, P>
    : Exclude<Filled<Bodies, P>, undefined>
type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never
type IsUnion<T> = [T] extends [UnionToIntersection<T>] ? false : true
type Read<Value> = [Value] extends [readonly unknown[]] ? Value : [Value] extends [object] ? (IsUnion<Value> extends true ? AnyOf<Value> : Value) : Value

/**
 * The documented bodies of one operation read as one object, for a test that has not narrowed the status: every
 * field any of them has, typed as what the bodies that fill it put there. The envelope fills `data` on success and
 * `errors` on failure (the other is null), and a page's `meta.pagination` on success only, so `json().data.id`,
 * `json().errors.message` and `json().meta.pagination.has_next` all read, as a test reads them once it has asserted
 * the status; a field no documented body has is a compile error. Each operation of a union of operations keeps its own.
 */
type AnyOf<Bodies> = { [P in KeyOf<Bodies>]: Read<Slot<Bodies, P>> }

/** Any documented body of the operation, read as one (`AnyOf`). */
export type AnyBody<K extends OperationId> = K extends OperationId ? AnyOf<ResponseBody<K>> : never

declare const untyped: unique symbol

/** A body sent as it is, past the type check: made by `untypedBody`. */
export type UntypedBody = { readonly [untyped]: true }

/**
 * A body the operation does not take (a wrong type, an unknown or a missing property, an array), sent on purpose
 * to see the API refuse it. Every other body a test sends must be the operation's request body.
 */
export const untypedBody = (body: unknown): UntypedBody => body as UntypedBody

/** What the types know of an answer, injected or fetched: a documented status, and its body. */
export type Answered<K extends OperationId> = {
  statusCode: Status<K>
  /** The body, any documented one (`AnyBody`); given a status, that status's body exactly, and a throw if the answer has another. */
  json(): AnyBody<K>
  json<S extends Status<K>>(status: S): ResponseBody<K, S>
}

/** `Answered.json` over a parsed body. */
export function jsonReader(operationId: OperationId, statusCode: number, body: unknown): (status?: number) => any {
  return (status) => {
    if (status !== undefined && status !== statusCode) {
      throw new Error(`${operationId} answered ${statusCode}, not ${status}: ${JSON.stringify(body)}`)
    }
    return body
  }
}
