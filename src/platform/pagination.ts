import type { components } from '../../generated/openapi.js'

type Pagination = components['schemas']['Pagination']

export type PageRequest<Cursor = string> = { limit: number; cursor?: Cursor; direction: 'next' | 'prev' }

/** The page a list operation's query asks for, with the spec's defaults. */
export const pageOf = <Cursor>(query: { limit?: number; cursor?: Cursor; direction?: 'next' | 'prev' }): PageRequest<Cursor> => ({
  limit: query.limit ?? 50,
  cursor: query.cursor,
  direction: query.direction ?? 'next',
})

/**
 * Repositories read `limit + 1` rows in reading direction (after the cursor in list order for `next`,
 * before it in reverse order for `prev`); the extra row only tells whether more exist.
 */
export function toPage<Item>(rows: Item[], request: PageRequest<unknown>, idOf: (item: Item) => string) {
  const more = rows.length > request.limit
  const taken = rows.slice(0, request.limit)
  const items = request.direction === 'next' ? taken : taken.reverse()
  const hasCursor = request.cursor !== undefined
  const passedCursor = hasCursor ? String(request.cursor) : undefined
  const pagination: Pagination = {
    has_next: request.direction === 'next' ? more : hasCursor,
    has_prev: request.direction === 'prev' ? more : hasCursor,
    limit: request.limit,
  }
  // An empty page keeps the caller's place only in the direction it read: a cursor is exclusive, so
  // reading back the other way from it would skip the item it names.
  const empty = items.length === 0
  const nextCursor = empty ? (request.direction === 'next' ? passedCursor : undefined) : idOf(items[items.length - 1])
  const prevCursor = empty ? (request.direction === 'prev' ? passedCursor : undefined) : idOf(items[0])
  if (nextCursor !== undefined) pagination.next_cursor = nextCursor
  if (prevCursor !== undefined) pagination.prev_cursor = prevCursor
  return { items, pagination }
}
