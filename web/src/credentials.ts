/** Who is signed in, kept for the tab only (sessionStorage): a token must not outlive the browser session. */
export type Credentials = { apiUrl: string; token: string; tenantId: number | undefined }
export type Identity = { userId: number; roles: string[] }

const storageKey = 'livechat-console'

export function savedCredentials(): Credentials | undefined {
  const saved = sessionStorage.getItem(storageKey)
  return saved ? (JSON.parse(saved) as Credentials) : undefined
}

export const saveCredentials = (credentials: Credentials) => sessionStorage.setItem(storageKey, JSON.stringify(credentials))
export const forgetCredentials = () => sessionStorage.removeItem(storageKey)

/**
 * Values to fill the sign-in form with: `#token=…&tenant=…&api=…` (the development banner's link). The fragment
 * never reaches a server; it is removed from the address bar so the token does not stay in history.
 */
export function credentialsFromLink(): Partial<Credentials> {
  const fragment = new URLSearchParams(location.hash.slice(1))
  if (!fragment.has('token')) return {}
  history.replaceState(null, '', location.pathname + location.search)
  const tenant = Number(fragment.get('tenant'))
  return { token: fragment.get('token') ?? '', tenantId: tenant > 0 ? tenant : undefined, apiUrl: fragment.get('api') ?? undefined }
}

/** The API this page talks to: its own origin when the API serves it, else the development default. */
export const defaultApiUrl = () => import.meta.env.VITE_DEFAULT_API_URL || location.origin

/** The token's claims, read (not verified: the API does that) to choose the view and name the user. */
export function identityOf(token: string): Identity | undefined {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const claims = JSON.parse(atob(payload)) as { sub?: unknown; roles?: unknown }
    const userId = Number(claims.sub)
    if (!Number.isInteger(userId) || !Array.isArray(claims.roles)) return undefined
    return { userId, roles: claims.roles.map(String) }
  } catch {
    return undefined
  }
}
