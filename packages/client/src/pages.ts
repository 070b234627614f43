import { ApiError, type Call, type EnvelopeOf, type InitOf, type InitParam, type PathWith } from './calls.js'
import type { PageMeta, Pagination } from './types.js'

/** The lists: GET operations whose answer carries `meta.pagination`. */
export type PagedPath = { [P in PathWith<'get'>]: EnvelopeOf<P, 'get', {}> extends { meta: PageMeta } ? P : never }[PathWith<'get'>]
export type ItemOf<P extends PagedPath> = EnvelopeOf<P, 'get', {}> extends { data: readonly (infer Item)[] } ? Item : never
export type Page<Item> = { items: Item[]; pagination: Pagination; meta: PageMeta }

// Tenants are paged by their integer id, the others by uuid: both travel as the cursor's text.
type PageQuery = { cursor?: string | number; direction?: 'next' | 'prev' }
type PagedInit = { params?: { query?: PageQuery; path?: unknown } }

/**
 * The pages of a list, starting where `params.query` says (`cursor`, `direction`, `limit`) and following the
 * cursors in that direction until the list ends there. `direction: 'prev'` without a cursor starts at the latest
 * page and reads back: a chat history. A failed page throws an `ApiError`.
 */
export async function* pagesOf<P extends PagedPath>(get: Call<'get'>, url: P, init: PagedInit): AsyncGenerator<Page<ItemOf<P>>> {
  const query = { ...init.params?.query }
  const backward = query.direction === 'prev'
  for (;;) {
    const call = get as unknown as (url: P, init: PagedInit) => ReturnType<Call<'get'>>
    const result = await call(url, { ...init, params: { ...init.params, query } })
    if (!result.ok) throw new ApiError(result)
    const meta = result.meta as PageMeta
    const { pagination } = meta
    yield { items: result.data as ItemOf<P>[], pagination, meta }
    const cursor = backward ? pagination.prev_cursor : pagination.next_cursor
    if (!(backward ? pagination.has_prev : pagination.has_next) || cursor === undefined) return
    query.cursor = cursor
  }
}

/** The items of `pagesOf`, one by one in the order of travel: newest last reading on, newest first reading back. */
export async function* itemsOf<P extends PagedPath>(get: Call<'get'>, url: P, init: PagedInit): AsyncGenerator<ItemOf<P>> {
  const backward = init.params?.query?.direction === 'prev'
  for await (const page of pagesOf(get, url, init)) yield* backward ? [...page.items].reverse() : page.items
}

/** How the client's `pages` and `items` are called: like its `GET`, on a list's path. */
export type PagesCall = <P extends PagedPath, Init extends InitOf<P, 'get'>>(url: P, ...init: InitParam<Init>) => AsyncGenerator<Page<ItemOf<P>>>
export type ItemsCall = <P extends PagedPath, Init extends InitOf<P, 'get'>>(url: P, ...init: InitParam<Init>) => AsyncGenerator<ItemOf<P>>
