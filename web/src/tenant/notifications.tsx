import type { LivechatClient, Notification } from 'livechat-api/client'
import { useEffect, useState } from 'preact/hooks'
import type { Live } from '../live'
import { usePagedList } from '../paged-list'
import { failureText, formatDateTime } from '../text'

/** The unread count, kept current by the stream; shown on the tab even while another view is open. */
export function useUnreadCount(client: LivechatClient, live: Live) {
  const [unread, setUnread] = useState<number>()
  const [problem, setProblem] = useState<string>()
  useEffect(() => {
    client
      .GET('/notifications/unread-count')
      .then((result) => (result.ok ? setUnread(result.data.unread) : setProblem(failureText(result))))
      .catch((error: unknown) => setProblem(failureText(error)))
  }, [client])
  live.useListener((event) => event.type === 'notification.created' && setUnread((count) => (count ?? 0) + 1), [])
  return { unread, setUnread, problem }
}

type Props = {
  client: LivechatClient
  live: Live
  unread: number | undefined
  countProblem: string | undefined
  setUnread: (change: (count: number | undefined) => number) => void
  onOpenSession: (id: string) => void
}

export function Notifications({ client, live, unread, countProblem, setUnread, onOpenSession }: Props) {
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
      setUnread((count) => Math.max(0, (count ?? 1) - 1))
    }
    if (notification.session_id) onOpenSession(notification.session_id)
  }

  async function markAllRead() {
    const marked = await client.POST('/notifications/read-all')
    if (!marked.ok) return setProblem(failureText(marked))
    const now = new Date().toISOString()
    setNotifications((shown) => shown.map((notification) => ({ ...notification, read_at: notification.read_at ?? now })))
    setUnread(() => 0)
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
      {(problem ?? countProblem) && <p role="alert" class="problem">{problem ?? countProblem}</p>}
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
      {moreLeft && (
        <button type="button" class="more" onClick={() => void loadMore()}>
          Load more notifications
        </button>
      )}
    </section>
  )
}
