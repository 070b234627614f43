import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import { connectionLabel, type ConnectionState } from './live'

type Props = { title: string; tenantId: number | undefined; state: ConnectionState; onSignOut: () => void; children?: ComponentChildren }

export function ConsoleHeader({ title, tenantId, state, onSignOut, children }: Props) {
  const stateName = typeof state === 'object' ? 'refused' : state
  // After signing in, focus starts at the top of the console rather than on a form that is gone.
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  return (
    <header class="console-header">
      <h1 ref={heading} tabIndex={-1}>
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
