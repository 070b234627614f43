import createClient from 'openapi-fetch'
import type { paths } from './generated/openapi.js'
import type { Call, Method } from './calls.js'
import { eventsOf, type EventsOptions, type LiveEvents } from './events.js'
import { itemsOf, pagesOf, type ItemsCall, type PagesCall } from './pages.js'
import { stayOnline } from './presence.js'
import { unwrap } from './result.js'
import { createTransport, type TransportOptions } from './transport.js'

export type LivechatClientOptions = TransportOptions & {
  /** Where the API is, e.g. `https://chat.example.com` or `http://localhost:3000`. */
  baseUrl: string
}

export type LivechatClient = {
  GET: Call<'get'>
  POST: Call<'post'>
  PUT: Call<'put'>
  PATCH: Call<'patch'>
  /** A list's pages, following its cursors (`direction: 'prev'` reads back). */
  pages: PagesCall
  /** A list's items, one by one across its pages. */
  items: ItemsCall
  /** The agent's or the tenant user's event stream, reopened after every loss without missing an event. */
  events: (options?: EventsOptions) => LiveEvents
  /** Sets the agent ONLINE and keeps it so until `signal` aborts (then sets it OFFLINE). */
  stayOnline: (signal: AbortSignal) => Promise<void>
}

/**
 * A client for every operation of openapi.yaml, typed from it: paths, parameters, bodies and answers.
 * Calls answer `{ ok: true, data, meta }` or `{ ok: false, status, message, errors }`; they throw only when the
 * network fails past the retries or an answer is not the API's envelope.
 */
export function createLivechatClient(options: LivechatClientOptions): LivechatClient {
  const raw = createClient<paths>({ baseUrl: options.baseUrl, fetch: createTransport(options) })
  const call = (method: Method) =>
    (async (url: string, init?: object) => unwrap(await raw.request(method, url as never, init as never))) as unknown
  const client: LivechatClient = {
    GET: call('get') as Call<'get'>,
    POST: call('post') as Call<'post'>,
    PUT: call('put') as Call<'put'>,
    PATCH: call('patch') as Call<'patch'>,
    pages: ((url: never, init: object = {}) => pagesOf(client.GET, url, init)) as unknown as PagesCall,
    items: ((url: never, init: object = {}) => itemsOf(client.GET, url, init)) as unknown as ItemsCall,
    events: (eventOptions) => eventsOf(options.baseUrl, options, eventOptions),
    stayOnline: (signal) => stayOnline(client, signal),
  }
  return client
}
