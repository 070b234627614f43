/**
 * The typed client for the livechat API: `import { createLivechatClient } from '@livechat-api/client'`.
 * Its types are also on their own, without any code, at `@livechat-api/client/types`.
 */
export { ApiError } from './calls.js'
export type { EventsOptions, LiveEvents } from './events.js'
export { createLivechatClient, type LivechatClient, type LivechatClientOptions } from './livechat-client.js'
export type { ItemOf, Page, PagedPath } from './pages.js'
export { UnexpectedResponseError, type ApiFailure, type ApiResult, type ApiSuccess } from './result.js'
export { newIdempotencyKey } from './transport.js'
export type * from './types.js'
