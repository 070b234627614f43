import type { ApiResult } from 'livechat-api/client'
import { useId, useRef, useState } from 'preact/hooks'
import { failureText } from '../text'

type Props<Sent> = {
  label: string
  onSend: (text: string) => Promise<ApiResult<Sent, unknown>>
  onSent?: (sent: Sent) => void
  onTyping?: () => unknown
}

// The API forwards one typing signal per second and user; one every two seconds is plenty for "is typing…".
const typingEveryMs = 2000

/**
 * A text box that sends on Enter (Shift+Enter for a new line). What was written stays in the box until the API
 * has it: a refused or failed send shows why and loses nothing.
 */
export function Composer<Sent>({ label, onSend, onSent, onTyping }: Props<Sent>) {
  const id = useId()
  const [text, setText] = useState('')
  const [sending, setSending] = useState(false)
  const [problem, setProblem] = useState<string>()
  const lastTyping = useRef(0)

  async function send(event?: Event) {
    event?.preventDefault()
    if (sending || text.trim() === '') return
    setSending(true)
    setProblem(undefined)
    try {
      const result = await onSend(text)
      if (!result.ok) return setProblem(failureText(result))
      setText('')
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
      void onTyping()
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
      {problem && <p role="alert" class="problem">{problem}</p>}
    </form>
  )
}
