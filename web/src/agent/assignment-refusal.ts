import type { ApiFailure } from '@livechat-api/client'
import { failureText } from '../text'

/**
 * Why a take (`agentId` undefined: the caller) or a transfer was refused, in words for the agent. The codes say
 * what happened; the same code means something else for a take than for a transfer (`NOT_SESSION_AGENT` on a
 * queued chat: another agent took it first).
 */
export function assignmentRefusalText(failure: ApiFailure, agentId?: number): string {
  const taking = agentId === undefined
  switch (failure.code) {
    case 'AGENT_OFFLINE':
      return taking ? 'You are offline: go online to take chats.' : `Agent ${agentId} is offline.`
    case 'AGENT_AT_CAPACITY':
      return taking ? 'You have as many open chats as this tenant allows: close one first.' : `Agent ${agentId} has as many open chats as this tenant allows.`
    case 'NOT_SESSION_AGENT':
      return taking ? 'Another agent took this chat first.' : 'Only the agent who has this chat can transfer it.'
    case 'SESSION_CLOSED':
      return 'This chat has ended.'
    default:
      return failureText(failure)
  }
}
