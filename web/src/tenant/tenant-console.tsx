import type { ChatSession, LivechatClient } from '@livechat-api/client'
import { useMemo, useState } from 'preact/hooks'
import { Conversation } from '../chat/conversation'
import { SessionList, useSessions } from '../chat/sessions'
import { tenantSide } from '../chat/sides'
import { ConsoleHeader } from '../console-header'
import { Problem } from '../feedback'
import { useLiveEvents } from '../live'
import { failureText } from '../text'
import { Notifications, useUnreadCount } from './notifications'
import { StartChat } from './start-chat'

type Props = { client: LivechatClient; me: number; tenantId: number | undefined; onSignOut: () => void; onStreamRefused: (error: unknown) => void }

/** The tenant user's view: asking for a chat, their tenant's sessions and chats, and their notifications. */
export function TenantConsole({ client, me, tenantId, onSignOut, onStreamRefused }: Props) {
  const side = useMemo(() => tenantSide(client), [client])
  const live = useLiveEvents(client, 'client', onStreamRefused)
  const [tab, setTab] = useState<'sessions' | 'notifications'>('sessions')
  const [openId, setOpenId] = useState<string>()
  const { sessions, moreLeft, loadMore, problem, remember, update } = useSessions(side, live, me, tab === 'sessions' ? openId : undefined)
  const [openProblem, setOpenProblem] = useState<string>()
  const { unread, refresh: refreshUnread, problem: countProblem } = useUnreadCount(client, live)
  const open = sessions.find((session) => session.id === openId)

  // A notification, or a refused start, may name a session older than the pages loaded so far.
  async function openSession(id: string) {
    setOpenProblem(undefined)
    if (!sessions.some((session) => session.id === id)) {
      const found = await side.session(id)
      if (!found.ok) return setOpenProblem(failureText(found))
      remember(found.data)
    }
    setOpenId(id)
    setTab('sessions')
  }

  function started(session: ChatSession) {
    remember(session)
    setOpenId(session.id)
  }

  async function leave(id: string) {
    setOpenProblem(undefined)
    const closed = await client.POST('/livechat/client/sessions/{id}/close', { params: { path: { id } } })
    if (!closed.ok) return setOpenProblem(failureText(closed))
    update(id, (session) => ({ ...session, ...closed.data }))
  }

  return (
    <div class="console">
      <ConsoleHeader title={`Tenant user ${me}`} tenantId={tenantId} state={live.state} onSignOut={onSignOut} />
      <nav class="tabs" aria-label="Views">
        <button type="button" aria-pressed={tab === 'sessions'} onClick={() => setTab('sessions')}>
          Sessions
        </button>
        <button type="button" aria-pressed={tab === 'notifications'} onClick={() => setTab('notifications')}>
          Notifications{unread ? ` (${unread})` : ''}
        </button>
      </nav>
      {tab === 'notifications' ? (
        <Notifications
          client={client}
          live={live}
          unread={unread}
          countProblem={countProblem}
          onRead={() => void refreshUnread()}
          onOpenSession={(id) => void openSession(id)}
        />
      ) : (
        <main class="split">
          <aside>
            <StartChat client={client} onStarted={started} onExisting={(id) => void openSession(id)} />
            <Problem text={problem} />
            <Problem text={openProblem} />
            <SessionList sessions={sessions} openId={openId} onOpen={setOpenId} moreLeft={moreLeft} onMore={() => void loadMore()} />
          </aside>
          {open ? (
            <Conversation
              key={open.id}
              side={side}
              session={open}
              me={me}
              live={live}
              actions={
                open.requester_id === me &&
                open.status !== 'CLOSED' && (
                  <button type="button" onClick={() => void leave(open.id)}>
                    Leave chat
                  </button>
                )
              }
            />
          ) : (
            <p class="placeholder">Start a chat, or open a session.</p>
          )}
        </main>
      )}
    </div>
  )
}
