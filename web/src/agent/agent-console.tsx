import type { ChatSession, LivechatClient } from '@livechat-api/client'
import { useMemo, useState } from 'preact/hooks'
import { Conversation } from '../chat/conversation'
import { SessionList, useSessions } from '../chat/sessions'
import { agentSide } from '../chat/sides'
import { ConsoleHeader } from '../console-header'
import { Problem } from '../feedback'
import { useLiveEvents } from '../live'
import { failureText } from '../text'
import { PresenceToggle } from './presence'
import { Queue } from './queue'
import { Tickets } from './tickets'
import { Transfer } from './transfer'

type Props = { client: LivechatClient; me: number; tenantId: number | undefined; onSignOut: () => void; onStreamRefused: (error: unknown) => void }

/** The support agent's console: presence, the queue, sessions with unread counts, the open chat, and tickets. */
export function AgentConsole({ client, me, tenantId, onSignOut, onStreamRefused }: Props) {
  const side = useMemo(() => agentSide(client), [client])
  const live = useLiveEvents(client, 'agent', onStreamRefused)
  const [tab, setTab] = useState<'sessions' | 'tickets'>('sessions')
  const [openId, setOpenId] = useState<string>()
  // A session counts unread messages unless its conversation is on screen.
  const { sessions, moreLeft, loadMore, problem, update, remember, changedOrAdded } = useSessions(side, live, me, tab === 'sessions' ? openId : undefined)
  const [actionProblem, setActionProblem] = useState<string>()
  const open = sessions.find((session) => session.id === openId)
  // Queued chats are the Queue's: no event tells this agent when another takes one, so a listed one would go stale.
  const held = sessions.filter((session) => session.status !== 'QUEUED')

  async function start() {
    setActionProblem(undefined)
    const started = await client.POST('/livechat/sessions', { body: {} })
    if (!started.ok) return setActionProblem(failureText(started))
    remember(started.data)
    setOpenId(started.data.id)
  }

  // Taken from the queue or transferred: the answer is the session as the agent now has it.
  function reassigned(session: ChatSession) {
    changedOrAdded(session)
    setOpenId(session.id)
  }

  async function close(id: string) {
    const closed = await client.POST('/livechat/sessions/{id}/close', { params: { path: { id } } })
    if (!closed.ok) return setActionProblem(failureText(closed))
    update(id, (session) => ({ ...session, ...closed.data }))
  }

  return (
    <div class="console">
      <ConsoleHeader title={`Agent ${me}`} tenantId={tenantId} state={live.state} onSignOut={onSignOut}>
        <PresenceToggle client={client} />
      </ConsoleHeader>
      <nav class="tabs" aria-label="Views">
        <button type="button" aria-pressed={tab === 'sessions'} onClick={() => setTab('sessions')}>
          Sessions
        </button>
        <button type="button" aria-pressed={tab === 'tickets'} onClick={() => setTab('tickets')}>
          Tickets
        </button>
      </nav>
      {tab === 'tickets' ? (
        <Tickets client={client} me={me} />
      ) : (
        <main class="split">
          <aside>
            <button type="button" class="primary" onClick={() => void start()}>
              Start session
            </button>
            <Problem text={actionProblem} />
            <Queue client={client} live={live} onTaken={reassigned} />
            <Problem text={problem} />
            <SessionList sessions={held} openId={openId} onOpen={setOpenId} moreLeft={moreLeft} onMore={() => void loadMore()} />
          </aside>
          {open ? (
            <Conversation
              key={open.id}
              side={side}
              session={open}
              me={me}
              live={live}
              actions={
                open.status === 'OPEN' && (
                  <div class="session-actions">
                    {open.agent_id === me && <Transfer client={client} sessionId={open.id} onTransferred={reassigned} />}
                    <button type="button" onClick={() => void close(open.id)}>
                      Close session
                    </button>
                  </div>
                )
              }
            />
          ) : (
            <p class="placeholder">Open a session to chat.</p>
          )}
        </main>
      )}
    </div>
  )
}
