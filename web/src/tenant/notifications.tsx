import type { LivechatClient, Notification } from '@livechat-api/client'
import { useEffect, useRef, useState } from 'preact/hooks'
import { LoadMore, Problem } from '../feedback'
import type { Live } from '../live'
import { usePagedList } from '../paged-list'
import { failureText, formatDateTime } from '../text'

/**
 * The unread count as the API counts it, shown on the tab even while another view is open. It is asked again when
 * a notification arrives or is read (one question at a time, and one more if anything happened meanwhile): adding
 * one per event would count twice a notification that committed while the count was being read.
 */
export function useUnreadCount(client: LivechatClient, live: Live) {
  const [unread, setUnread] = useState<number>()
  const [problem, setProblem] = useState<string>()
  const asked = useRef(0)
  const asking = useRef(false)

  async function ask() {
    asked.current += 1
    if (asking.current) return
    asking.current = true
    for (let answered = 0; answered < asked.current; ) {
      answered = asked.current
      try {
        const result = await client.GET('/notifications/unread-count')
        if (result.ok) setUnread(result.data.unread)
        setProblem(result.ok ? undefined : failureText(result))
      } catch (error) {
        setProblem(failureText(error))
      }
    }
    asking.current = false
  }

  useEffect(() => void ask(), [client])
  live.useListener((event) => event.type === 'notification.created' && void ask(), [])
  return { unread, refresh: ask, problem }
}

type Props = {
  client: LivechatClient
  live: Live
  unread: number | undefined
  countProblem: string | undefined
  /** After reading notifications here: the count is asked again. */
  onRead: () => void
  onOpenSession: (id: string) => void
}

export function Notifications({ client, live, unread, countProblem, onRead, onOpenSession }: Props) {
  const { items: notifications, setItems: setNotifications, moreLeft, loadMore, problem, setProblem } = usePagedList(
    () => client.pages('/notifications', { params: { query: { limit: 30 } } }),
    [client],
  )

  live.useListener(
    (event) =>
      event.type === 'notification.created' &&
      setNotifications((shown) => (shown.some((known) => known.id === event.notification.id) ? shown : [event.notification, ...shown])),
    [],
  )

  async function markRead(notification: Notification) {
    if (notification.read_at === null) {
      const marked = await client.POST('/notifications/{id}/read', { params: { path: { id: notification.id } } })
      if (!marked.ok) return setProblem(failureText(marked))
      setNotifications((shown) => shown.map((known) => (known.id === notification.id ? marked.data : known)))
      onRead()
    }
    if (notification.session_id) onOpenSession(notification.session_id)
  }

  async function markAllRead() {
    const marked = await client.POST('/notifications/read-all')
    if (!marked.ok) return setProblem(failureText(marked))
    const now = new Date().toISOString()
    setNotifications((shown) => shown.map((notification) => ({ ...notification, read_at: notification.read_at ?? now })))
    onRead()
  }

  return (
    <section class="notifications" aria-label="Notifications">
      <header class="conversation-header">
        <h2>Notifications</h2>
        <p role="status" class="unread-count">
          {unread === undefined ? 'Counting…' : `${unread} unread`}
        </p>
        <button type="button" onClick={() => void markAllRead()} disabled={!unread}>
          Mark all read
        </button>
      </header>
      <Problem text={problem ?? countProblem} />
      {notifications.length === 0 && <p class="empty">No notifications.</p>}
      <ul class="notification-list">
        {notifications.map((notification) => (
          <li key={notification.id} class={notification.read_at ? 'read' : 'unread'}>
            <button type="button" onClick={() => void markRead(notification)}>
              <span class="text">{notification.text}</span>
              <small>
                {notification.read_at ? 'Read' : 'Unread'} · {formatDateTime(notification.created_at)}
              </small>
            </button>
          </li>
        ))}
      </ul>
      <LoadMore left={moreLeft} what="notifications" onMore={() => void loadMore()} />
    </section>
  )
}
