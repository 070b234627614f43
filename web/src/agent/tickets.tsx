import type { LivechatClient, Ticket, TicketReply } from 'livechat-api/client'
import { useEffect, useState } from 'preact/hooks'
import { Composer } from '../chat/composer'
import { failureText, formatDateTime } from '../text'

const statuses: Ticket['status'][] = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED']

/** Tickets, such as those filed when a session was asked of an agent who was offline, and their replies. */
export function Tickets({ client, me }: { client: LivechatClient; me: number }) {
  const [tickets, setTickets] = useState<Ticket[]>([])
  const [openId, setOpenId] = useState<string>()
  const [problem, setProblem] = useState<string>()
  const [version, setVersion] = useState(0)

  useEffect(() => {
    void (async () => {
      try {
        const listed: Ticket[] = []
        for await (const ticket of client.items('/tickets', { params: { query: { limit: 100 } } })) listed.push(ticket)
        setTickets(listed)
      } catch (error) {
        setProblem(failureText(error))
      }
    })()
  }, [client, version])

  const open = tickets.find((ticket) => ticket.id === openId)
  return (
    <main class="split">
      <aside>
        <button type="button" onClick={() => setVersion(version + 1)}>
          Refresh tickets
        </button>
        {problem && <p role="alert" class="problem">{problem}</p>}
        {tickets.length === 0 ? (
          <p class="empty">No tickets.</p>
        ) : (
          <ul class="session-list" aria-label="Tickets">
            {tickets.map((ticket) => (
              <li key={ticket.id}>
                <button type="button" aria-current={ticket.id === openId} onClick={() => setOpenId(ticket.id)}>
                  <span>{ticket.subject}</span>
                  <span class={`status status-${ticket.status.toLowerCase()}`}>{ticket.status}</span>
                  <small>
                    {ticket.source === 'LIVECHAT_OFFLINE' ? 'Filed while offline' : 'Opened directly'} · {formatDateTime(ticket.created_at)}
                  </small>
                </button>
              </li>
            ))}
          </ul>
        )}
      </aside>
      {open ? (
        <TicketThread client={client} ticket={open} me={me} onChanged={(changed) => setTickets(tickets.map((ticket) => (ticket.id === changed.id ? changed : ticket)))} />
      ) : (
        <p class="placeholder">Open a ticket to read and reply.</p>
      )}
    </main>
  )
}

type ThreadProps = { client: LivechatClient; ticket: Ticket; me: number; onChanged: (ticket: Ticket) => void }

function TicketThread({ client, ticket, me, onChanged }: ThreadProps) {
  const [replies, setReplies] = useState<TicketReply[]>([])
  const [problem, setProblem] = useState<string>()
  const path = { path: { id: ticket.id } }

  useEffect(() => {
    setReplies([])
    void (async () => {
      try {
        const listed: TicketReply[] = []
        for await (const reply of client.items('/tickets/{id}/replies', { params: { ...path, query: { limit: 100 } } })) listed.push(reply)
        setReplies(listed)
      } catch (error) {
        setProblem(failureText(error))
      }
    })()
  }, [ticket.id])

  async function move(status: Ticket['status']) {
    const changed = await client.PATCH('/tickets/{id}', { params: path, body: { status } })
    if (!changed.ok) return setProblem(failureText(changed))
    onChanged(changed.data)
  }

  return (
    <section class="conversation" aria-label={`Ticket ${ticket.subject}`}>
      <header class="conversation-header">
        <h2>{ticket.subject}</h2>
        <label>
          Status{' '}
          <select value={ticket.status} onChange={(event) => void move(event.currentTarget.value as Ticket['status'])}>
            {statuses.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
      </header>
      {problem && <p role="alert" class="problem">{problem}</p>}
      <ol class="messages" aria-label="Replies">
        {replies.map((reply) => (
          <li key={reply.id} class={reply.author_id === me ? 'mine' : 'theirs'}>
            <span class="sender">{reply.author_id === me ? 'You' : `User ${reply.author_id}`}</span>
            <p class="text">{reply.message}</p>
            <time dateTime={reply.created_at}>{formatDateTime(reply.created_at)}</time>
          </li>
        ))}
      </ol>
      <Composer
        label="Reply"
        onSend={(message) => client.POST('/tickets/{id}/replies', { params: path, body: { message } })}
        onSent={(reply) => setReplies((shown) => [...shown, reply])}
      />
    </section>
  )
}
