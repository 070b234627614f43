import type { ChatSession, LivechatClient } from '@livechat-api/client'
import { useId, useState } from 'preact/hooks'
import { Problem } from '../feedback'
import { failureText } from '../text'

type Props = {
  client: LivechatClient
  /** The chat asked for: OPEN with an agent, or QUEUED. */
  onStarted: (session: ChatSession) => void
  /** The caller's chat already OPEN or QUEUED in this tenant, named by the API instead of a second one. */
  onExisting: (id: string) => void
}

// The API refuses a subject or message of white space only: left blank, it is not sent.
const filledIn = (text: string) => (text.trim() === '' ? undefined : text)

/** The tenant user asks for a chat: the API gives it to an agent at once, queues it, or keeps it as a ticket. */
export function StartChat({ client, onStarted, onExisting }: Props) {
  const id = useId()
  const [subject, setSubject] = useState('')
  const [message, setMessage] = useState('')
  const [starting, setStarting] = useState(false)
  const [problem, setProblem] = useState<string>()

  async function start(event: Event) {
    event.preventDefault()
    setStarting(true)
    setProblem(undefined)
    try {
      const started = await client.POST('/livechat/client/sessions', { body: { subject: filledIn(subject), message: filledIn(message) } })
      if (started.ok) {
        setSubject('')
        setMessage('')
        return onStarted(started.data)
      }
      if (started.code === 'ACTIVE_SESSION_EXISTS') return onExisting(started.errors.existing_session_id[0])
      if (started.code === 'NO_AGENT_ONLINE') {
        return setProblem(`No agent is online right now. Your request was kept as ticket ${started.errors.ticket_id[0]}; the team will answer it there.`)
      }
      setProblem(failureText(started))
    } catch (error) {
      setProblem(failureText(error))
    } finally {
      setStarting(false)
    }
  }

  return (
    <form class="start-chat" onSubmit={start}>
      <label for={`${id}-subject`}>
        Subject <small>(optional)</small>
      </label>
      <input id={`${id}-subject`} value={subject} maxLength={200} onInput={(event) => setSubject(event.currentTarget.value)} />
      <label for={`${id}-message`}>
        First message <small>(optional)</small>
      </label>
      <textarea id={`${id}-message`} rows={2} value={message} onInput={(event) => setMessage(event.currentTarget.value)} />
      <button type="submit" class="primary" disabled={starting}>
        {starting ? 'Starting…' : 'Start a chat'}
      </button>
      <Problem text={problem} />
    </form>
  )
}
