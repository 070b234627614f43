import type { ChatSession, LivechatClient } from '@livechat-api/client'
import { useId, useState } from 'preact/hooks'
import { Problem } from '../feedback'
import { assignmentRefusalText } from './assignment-refusal'

type Props = { client: LivechatClient; sessionId: string; onTransferred: (session: ChatSession) => void }

/** Gives the agent's open chat to another agent of the tenant, who must be ONLINE with a free seat. */
export function Transfer({ client, sessionId, onTransferred }: Props) {
  const id = useId()
  const [agentId, setAgentId] = useState('')
  const [problem, setProblem] = useState<string>()

  async function transfer(event: Event) {
    event.preventDefault()
    const to = Number(agentId)
    setProblem(undefined)
    const transferred = await client.POST('/livechat/sessions/{id}/assign', { params: { path: { id: sessionId } }, body: { agent_id: to } })
    if (!transferred.ok) return setProblem(assignmentRefusalText(transferred, to))
    setAgentId('')
    onTransferred(transferred.data)
  }

  return (
    <form class="transfer" onSubmit={transfer}>
      <label for={id}>Transfer to agent</label>
      <input id={id} type="number" min={1} step={1} required value={agentId} onInput={(event) => setAgentId(event.currentTarget.value)} />
      <button type="submit" disabled={agentId === ''}>
        Transfer
      </button>
      <Problem text={problem} />
    </form>
  )
}
