import type { ComponentChildren } from 'preact'
import { connectionLabel, type ConnectionState } from './live'

type Props = { title: string; tenantId: number | undefined; state: ConnectionState; onSignOut: () => void; children?: ComponentChildren }

export function ConsoleHeader({ title, tenantId, state, onSignOut, children }: Props) {
  const stateName = typeof state === 'object' ? 'refused' : state
  return (
    <header class="console-header">
      <h1>
        {title} <small>{tenantId === undefined ? 'tenant by domain' : `tenant ${tenantId}`}</small>
      </h1>
      {children}
      <span class={`connection connection-${stateName}`} role="status" aria-label="Connection">
        {connectionLabel(state)}
      </span>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  )
}
