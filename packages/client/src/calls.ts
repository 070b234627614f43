import type { Client, ClientPathsWithMethod, FetchResponse, MaybeOptionalInit } from 'openapi-fetch'
import type { paths } from './generated/openapi.js'
import type { ApiFailure, ApiResult } from './result.js'
import type { ErrorCode } from './types.js'

/** The methods openapi.yaml uses. */
export type Method = 'get' | 'post' | 'put' | 'patch'
type RawClient = Client<paths>
export type PathWith<M extends Method> = ClientPathsWithMethod<RawClient, M>
export type InitOf<P extends keyof paths, M extends Method> = MaybeOptionalInit<paths[P], M & keyof paths[P]>

type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T]
/** As openapi-fetch's own: the init is optional when nothing in it is required. */
export type InitParam<Init> = RequiredKeys<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }]

/** The success envelope the operation at `P` answers `M` with. */
export type EnvelopeOf<P extends keyof paths, M extends Method, Init> = NonNullable<
  FetchResponse<paths[P][M & keyof paths[P]] & Record<string | number, any>, Init, 'application/json'>['data']
>

type ResultOf<P extends keyof paths, M extends Method, Init> =
  EnvelopeOf<P, M, Init> extends { data: infer Data; meta: infer Meta } ? ApiResult<Data, Meta> : never

/** The paths answering JSON: not the event streams (`events()` reads those) nor the metrics. */
type JsonPathWith<M extends Method> = { [P in PathWith<M>]: [ResultOf<P, M, {}>] extends [never] ? never : P }[PathWith<M>]

/** A call as openapi-fetch types it (path, then params and body), answering an `ApiResult`. */
export type Call<M extends Method> = <P extends JsonPathWith<M>, Init extends InitOf<P, M>>(url: P, ...init: InitParam<Init>) => Promise<ResultOf<P, M, Init>>

/** A failure as an exception, where a value cannot be returned: inside an iterator. */
export class ApiError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(`${failure.status} ${failure.code}: ${failure.message}`)
    this.name = 'ApiError'
  }

  get code(): ErrorCode {
    return this.failure.code
  }

  get status(): number {
    return this.failure.status
  }
}
