import type { LivechatClient, Ticket, TicketReply } from '@livechat-api/client'
import { useEffect, useState } from 'preact/hooks'
import { Composer } from '../chat/composer'
import { LoadMore, Problem } from '../feedback'
import { usePagedList } from '../paged-list'
import { failureText, formatDateTime } from '../text'

const statuses: Ticket['status'][] = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED']

/** Tickets, such as those filed when a session was asked of an agent who was offline, and their replies. */
export function Tickets({ client, me }: { client: LivechatClient; me: number }) {
  const [openId, setOpenId] = useState<string>()
  const [version, setVersion] = useState(0)
  const { items: tickets, setItems: setTickets, moreLeft, loadMore, problem } = usePagedList(() => client.pages('/tickets', { params: { query: { limit: 30 } } }), [client, version])

  const open = tickets.find((ticket) => ticket.id === openId)
  return (
    <main class="split">
      <aside>
        <button type="button" onClick={() => setVersion(version + 1)}>
          Refresh tickets
        </button>
        <Problem text={problem} />
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
        <LoadMore left={moreLeft} what="tickets" onMore={() => void loadMore()} />
      </aside>
      {open ? (
        <TicketThread
          key={open.id}
          client={client}
          ticket={open}
          me={me}
          onChanged={(changed) => setTickets((shown) => shown.map((ticket) => (ticket.id === changed.id ? changed : ticket)))}
        />
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
  const [status, setStatus] = useState(ticket.status)
  const path = { path: { id: ticket.id } }

  // Keyed by ticket (see Tickets), so a slow answer for another ticket never lands here.
  useEffect(() => {
    void (async () => {
      try {
        const listed: TicketReply[] = []
        for await (const reply of client.items('/tickets/{id}/replies', { params: { ...path, query: { limit: 100 } } })) listed.push(reply)
        setReplies(listed)
      } catch (error) {
        setProblem(failureText(error))
      }
    })()
  }, [])

  // Applied by a button, not on change: arrowing through a select must not move the ticket at each step.
  async function move(event: Event) {
    event.preventDefault()
    const changed = await client.PATCH('/tickets/{id}', { params: path, body: { status } })
    if (!changed.ok) return setProblem(failureText(changed))
    onChanged(changed.data)
  }

  return (
    <section class="conversation" aria-label={`Ticket ${ticket.subject}`}>
      <header class="conversation-header">
        <h2>{ticket.subject}</h2>
        <form class="ticket-status" onSubmit={move}>
          <label>
            Status{' '}
            <select value={status} onChange={(event) => setStatus(event.currentTarget.value as Ticket['status'])}>
              {statuses.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={status === ticket.status}>
            Update status
          </button>
        </form>
      </header>
      <Problem text={problem} />
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
        onSend={(message, key) => client.POST('/tickets/{id}/replies', { params: { ...path, header: { 'Idempotency-Key': key } }, body: { message } })}
        onSent={(reply) => setReplies((shown) => [...shown, reply])}
      />
    </section>
  )
}
