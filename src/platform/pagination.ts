import type { components } from '../../generated/openapi.js'

type Pagination = components['schemas']['Pagination']

export type PageRequest<Cursor = string> = { limit: number; cursor?: Cursor; direction: 'next' | 'prev' }

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
  const nextCursor = items.length > 0 ? idOf(items[items.length - 1]) : passedCursor
  const prevCursor = items.length > 0 ? idOf(items[0]) : passedCursor
  if (nextCursor !== undefined) pagination.next_cursor = nextCursor
  if (prevCursor !== undefined) pagination.prev_cursor = prevCursor
  return { items, pagination }
}
