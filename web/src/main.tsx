import { ApiError } from '@livechat-api/client'
import { render } from 'preact'
import { useState } from 'preact/hooks'
import { AgentConsole } from './agent/agent-console'
import { forgetCredentials, saveCredentials, savedCredentials } from './credentials'
import { SignIn, signIn, type SignedIn } from './sign-in'
import { TenantConsole } from './tenant/tenant-console'
import { failureText } from './text'
import './styles.css'

function restored(): SignedIn | undefined {
  const credentials = savedCredentials()
  const signedIn = credentials && signIn(credentials)
  return typeof signedIn === 'object' ? signedIn : undefined
}

function App() {
  const [signedIn, setSignedIn] = useState(restored)
  const [notice, setNotice] = useState<string>()
  // Bumped to read everything anew: the view and its stream start over.
  const [generation, setGeneration] = useState(0)

  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(next) => {
          saveCredentials(next.credentials)
          setNotice(undefined)
          setSignedIn(next)
        }}
      />
    )
  }
  const signOut = (reason?: string) => {
    forgetCredentials()
    setNotice(reason)
    setSignedIn(undefined)
  }
  const streamRefused = (error: unknown) => {
    const code = error instanceof ApiError ? error.code : undefined
    // Away so long that the missed events are gone: what is shown is read again from the start.
    if (code === 'LAST_EVENT_ID_EXPIRED') setGeneration((count) => count + 1)
    else if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') signOut(`Signed out: ${failureText(error)}`)
  }
  const props = { client: signedIn.client, me: signedIn.identity.userId, tenantId: signedIn.credentials.tenantId, onSignOut: () => signOut(), onStreamRefused: streamRefused }
  return signedIn.view === 'agent' ? <AgentConsole key={generation} {...props} /> : <TenantConsole key={generation} {...props} />
}

render(<App />, document.getElementById('app')!)
