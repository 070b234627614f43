import type { ChatMessage, ChatSession, Page } from '@livechat-api/client'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { Problem } from '../feedback'
import type { Live } from '../live'
import { failureText, formatTime } from '../text'
import { Composer } from './composer'
import type { ChatSide } from './sides'

type Props = {
  side: ChatSide
  session: ChatSession
  me: number
  live: Live
  /** Shown above the history: the agent's close and transfer, the requester's leave. */
  actions?: preact.ComponentChildren
}

const typingShownMs = 4000

/**
 * One session's chat: its history read back page by page as the reader scrolls up, the messages that arrive
 * live appended once each, the other side's typing, and a composer while the session is open.
 */
export function Conversation({ side, session, me, live, actions }: Props) {
  const [messages, setMessages] = useState<ChatMessage[]>([])
  const [olderLeft, setOlderLeft] = useState(true)
  const [problem, setProblem] = useState<string>()
  const [typing, setTyping] = useState<{ userId: number; who: string; until: number }>()
  const pages = useRef<AsyncGenerator<Page<ChatMessage>> | undefined>(undefined)
  const loading = useRef(false)
  const [busy, setBusy] = useState(false)
  const list = useRef<HTMLDivElement>(null)
  const stickToBottom = useRef(true)
  const keptScroll = useRef<number | undefined>(undefined)

  const merge = (incoming: ChatMessage[], where: 'before' | 'after') =>
    setMessages((shown) => {
      const known = new Set(shown.map((message) => message.id))
      const fresh = incoming.filter((message) => !known.has(message.id))
      return where === 'before' ? [...fresh, ...shown] : [...shown, ...fresh]
    })

  async function loadOlder() {
    if (loading.current || !pages.current) return
    loading.current = true
    setBusy(true)
    try {
      const next = await pages.current.next()
      if (next.done) return setOlderLeft(false)
      if (list.current) keptScroll.current = list.current.scrollHeight - list.current.scrollTop
      merge(next.value.items, 'before')
      setOlderLeft(next.value.pagination.has_prev)
    } catch (error) {
      setProblem(failureText(error))
    } finally {
      loading.current = false
      setBusy(false)
    }
  }

  // The parent gives each session a Conversation of its own (key), so nothing of one shows in another.
  useEffect(() => {
    pages.current = side.history(session.id)
    void loadOlder()
    return () => void pages.current?.return(undefined)
  }, [])

  live.useListener(
    (event) => {
      if (!('session_id' in event) || event.session_id !== session.id) return
      if (event.type === 'message.created') {
        merge([event.message], 'after')
        setTyping((shown) => (shown?.userId === event.message.sender_id ? undefined : shown))
      }
      if (event.type === 'typing' && event.user_id !== me) {
        setTyping({ userId: event.user_id, who: `${event.side === 'agent' ? 'Agent' : 'Tenant user'} ${event.user_id}`, until: Date.now() + typingShownMs })
      }
    },
    [session.id, me],
  )

  useEffect(() => {
    if (!typing) return
    const timer = setTimeout(() => setTyping(undefined), typing.until - Date.now())
    return () => clearTimeout(timer)
  }, [typing])

  // Older pages keep the reader where they were; new messages scroll into view if the reader was at the end.
  useLayoutEffect(() => {
    const element = list.current
    if (!element) return
    if (keptScroll.current !== undefined) {
      element.scrollTop = element.scrollHeight - keptScroll.current
      keptScroll.current = undefined
    } else if (stickToBottom.current) {
      element.scrollTop = element.scrollHeight
    }
  }, [messages])

  // What is shown is read: the read position follows the last message from the other side, while the page is
  // in view. A lost read call only leaves the position behind until the next one.
  const lastFromOthers = messages.findLast((message) => message.sender_id !== me)
  useEffect(() => {
    const markRead = () => {
      if (lastFromOthers && document.visibilityState === 'visible') side.read(session.id, lastFromOthers.id).catch(() => undefined)
    }
    markRead()
    document.addEventListener('visibilitychange', markRead)
    return () => document.removeEventListener('visibilitychange', markRead)
  }, [lastFromOthers?.id])

  function scrolled() {
    const element = list.current!
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40
    if (element.scrollTop < 80 && olderLeft) void loadOlder()
  }

  return (
    <section class="conversation" aria-label={`Session ${session.id}`}>
      <header class="conversation-header">
        <h2>
          Session <code>{session.id.slice(-8)}</code> <span class={`status status-${session.status.toLowerCase()}`}>{session.status}</span>
          {session.agent_id !== null && <small> with Agent {session.agent_id}</small>}
        </h2>
        {actions}
      </header>
      <Problem text={problem} />
      <div class="messages" role="log" aria-label="Messages" aria-busy={busy} ref={list} onScroll={scrolled} tabIndex={0}>
        <ol>
        {olderLeft && (
          <li class="older">
            <button type="button" onClick={() => void loadOlder()}>Load older messages</button>
          </li>
        )}
        {messages.map((message) => (
          <li key={message.id} class={message.sender_id === me ? 'mine' : 'theirs'}>
            <span class="sender">{message.sender_id === me ? 'You' : message.sender_id === session.agent_id ? `Agent ${message.sender_id}` : `User ${message.sender_id}`}</span>
            <p class="text">{message.message}</p>
            <time dateTime={message.created_at}>{formatTime(message.created_at)}</time>
          </li>
        ))}
        </ol>
      </div>
      <p class="typing" aria-live="polite">{typing ? `${typing.who} is typing…` : ''}</p>
      {session.status === 'OPEN' ? (
        <Composer label="Message" onTyping={() => side.typing(session.id)} onSend={(text, key) => side.send(session.id, text, key)} onSent={(message) => merge([message], 'after')} />
      ) : session.status === 'QUEUED' ? (
        <p class="queue-note" role="status" aria-label="Queue position">
          Waiting for an agent: number {session.queue_position} in the queue.
        </p>
      ) : (
        <p class="closed-note">
          This session is closed.{session.ticket_id !== null && <> No agent was free in time: it became ticket <code>{session.ticket_id}</code>.</>}
        </p>
      )}
    </section>
  )
}
