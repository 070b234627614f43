import type { Page } from '@livechat-api/client'
import { useEffect, useRef, useState } from 'preact/hooks'
import { failureText } from './text'

/**
 * A newest-first list read a page at a time ("Load more"), whose items the stream may add to or change meanwhile:
 * a page never repeats an item already shown.
 */
export function usePagedList<Item extends { id: string }>(open: () => AsyncGenerator<Page<Item>>, dependencies: unknown[]) {
  const [items, setItems] = useState<Item[]>([])
  const [moreLeft, setMoreLeft] = useState(false)
  const [problem, setProblem] = useState<string>()
  const pages = useRef<AsyncGenerator<Page<Item>> | undefined>(undefined)

  async function loadMore() {
    try {
      const next = await pages.current?.next()
      if (!next || next.done) return setMoreLeft(false)
      setItems((shown) => [...shown, ...next.value.items.filter((item) => !shown.some((known) => known.id === item.id))])
      setMoreLeft(next.value.pagination.has_next)
    } catch (error) {
      setProblem(failureText(error))
    }
  }

  useEffect(() => {
    setItems([])
    pages.current = open()
    void loadMore()
    return () => void pages.current?.return(undefined)
  }, dependencies)

  return { items, setItems, moreLeft, loadMore, problem, setProblem }
}
