import { newIdempotencyKey, type ApiResult } from '@livechat-api/client'
import { useId, useRef, useState } from 'preact/hooks'
import { Problem } from '../feedback'
import { failureText } from '../text'

type Props<Sent> = {
  label: string
  /** `key` is the draft's: the same for every resend of it, so a send that did arrive is not written twice. */
  onSend: (text: string, key: string) => Promise<ApiResult<Sent, unknown>>
  onSent?: (sent: Sent) => void
  onTyping?: () => Promise<unknown>
}

// The API forwards one typing signal per second and user; one every two seconds is plenty for "is typing…".
const typingEveryMs = 2000

/**
 * A text box that sends on Enter (Shift+Enter for a new line). What was written stays in the box until the API
 * has it: a refused or failed send shows why and loses nothing, and what is typed while a send is on its way stays.
 */
export function Composer<Sent>({ label, onSend, onSent, onTyping }: Props<Sent>) {
  const id = useId()
  const [text, setText] = useState('')
  const [sending, setSending] = useState(false)
  const [problem, setProblem] = useState<string>()
  const lastTyping = useRef(0)
  const draftKey = useRef<{ text: string; key: string } | undefined>(undefined)

  async function send(event?: Event) {
    event?.preventDefault()
    if (sending || text.trim() === '') return
    const sent = text
    // A resend of the same text keeps its key; an edited draft is a new request.
    if (draftKey.current?.text !== sent) draftKey.current = { text: sent, key: newIdempotencyKey() }
    setSending(true)
    setProblem(undefined)
    try {
      const result = await onSend(sent, draftKey.current.key)
      if (!result.ok) return setProblem(failureText(result))
      draftKey.current = undefined
      setText((current) => (current.startsWith(sent) ? current.slice(sent.length).trimStart() : current))
      // The next message's first key says "typing" again at once.
      lastTyping.current = 0
      onSent?.(result.data)
    } catch (error) {
      setProblem(failureText(error))
    } finally {
      setSending(false)
    }
  }

  function typed(value: string) {
    setText(value)
    if (onTyping && value !== '' && Date.now() - lastTyping.current > typingEveryMs) {
      lastTyping.current = Date.now()
      // A lost typing signal only means the other side sees no "is typing…" this time.
      onTyping().catch(() => undefined)
    }
  }

  return (
    <form class="composer" onSubmit={send}>
      <label for={id}>{label}</label>
      <textarea
        id={id}
        rows={2}
        value={text}
        onInput={(event) => typed(event.currentTarget.value)}
        onKeyDown={(event) => event.key === 'Enter' && !event.shiftKey && !event.isComposing && void send(event)}
      />
      <button type="submit" disabled={sending || text.trim() === ''}>
        {sending ? 'Sending…' : 'Send'}
      </button>
      <Problem text={problem} />
    </form>
  )
}
