import { createLivechatClient, type LivechatClient } from '@livechat-api/client'
import { useState } from 'preact/hooks'
import { credentialsFromLink, defaultApiUrl, identityOf, type Credentials, type Identity } from './credentials'
import { Problem } from './feedback'
import { failureText } from './text'

export type SignedIn = { credentials: Credentials; identity: Identity; client: LivechatClient; view: 'agent' | 'tenant' }

/** A client for the credentials, and the view their token's roles open (an agent's when it holds both). */
export function signIn(credentials: Credentials): SignedIn | string {
  const identity = identityOf(credentials.token)
  if (!identity) return 'This is not a JWT with sub and roles claims.'
  const view = identity.roles.includes('SUPPORT_AGENT') ? 'agent' : identity.roles.includes('TENANT_USER') ? 'tenant' : undefined
  if (!view) return `The console is for SUPPORT_AGENT and TENANT_USER tokens; this one has ${identity.roles.join(', ') || 'no roles'}.`
  const client = createLivechatClient({ baseUrl: credentials.apiUrl, token: credentials.token, tenantId: credentials.tenantId })
  return { credentials, identity, client, view }
}

/** Checks the credentials with one call of the view they open, so a wrong token or tenant is said here. */
async function verified(signedIn: SignedIn): Promise<string | undefined> {
  const { client, view } = signedIn
  try {
    const result = view === 'agent' ? await client.GET('/livechat/sessions', { params: { query: { limit: 1 } } }) : await client.GET('/notifications/unread-count')
    return result.ok ? undefined : failureText(result)
  } catch (error) {
    return failureText(error)
  }
}

export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (signedIn: SignedIn) => void }) {
  const [linked] = useState(credentialsFromLink)
  const [apiUrl, setApiUrl] = useState(linked.apiUrl ?? defaultApiUrl())
  const [token, setToken] = useState(linked.token ?? '')
  const [tenant, setTenant] = useState(linked.tenantId === undefined ? '' : String(linked.tenantId))
  const [problem, setProblem] = useState<string>()
  const [checking, setChecking] = useState(false)

  async function submit(event: Event) {
    event.preventDefault()
    setProblem(undefined)
    const tenantId = tenant.trim() === '' ? undefined : Number(tenant)
    if (tenantId !== undefined && !(Number.isInteger(tenantId) && tenantId > 0)) return setProblem('The tenant is a positive whole number (or empty when the API is on the tenant’s domain).')
    const signedIn = signIn({ apiUrl: apiUrl.trim().replace(/\/+$/, ''), token: token.trim(), tenantId })
    if (typeof signedIn === 'string') return setProblem(signedIn)
    setChecking(true)
    const refused = await verified(signedIn)
    setChecking(false)
    if (refused) return setProblem(refused)
    onSignedIn(signedIn)
  }

  return (
    <main class="sign-in">
      <h1>Livechat console</h1>
      <Problem text={notice} />
      <form onSubmit={submit}>
        <label for="api-url">API address</label>
        <input id="api-url" type="url" required value={apiUrl} onInput={(event) => setApiUrl(event.currentTarget.value)} />
        <label for="token">Token</label>
        <textarea id="token" required rows={4} spellcheck={false} value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <label for="tenant">Tenant ID</label>
        <input id="tenant" inputMode="numeric" value={tenant} onInput={(event) => setTenant(event.currentTarget.value)} aria-describedby="tenant-hint" />
        <small id="tenant-hint">Leave empty when the API address is the tenant’s own domain.</small>
        <button type="submit" class="primary" disabled={checking}>
          {checking ? 'Signing in…' : 'Sign in'}
        </button>
        <Problem text={problem} />
      </form>
      <p class="hint">
        A SUPPORT_AGENT token opens the agent’s console, a TENANT_USER token the tenant user’s. Started without JWT settings, the API prints both.
      </p>
    </main>
  )
}
