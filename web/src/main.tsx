import { render } from 'preact'
import { useState } from 'preact/hooks'
import { AgentConsole } from './agent/agent-console'
import { forgetCredentials, saveCredentials, savedCredentials } from './credentials'
import { SignIn, signIn, type SignedIn } from './sign-in'
import { TenantConsole } from './tenant/tenant-console'
import './styles.css'

function restored(): SignedIn | undefined {
  const credentials = savedCredentials()
  const signedIn = credentials && signIn(credentials)
  return typeof signedIn === 'object' ? signedIn : undefined
}

function App() {
  const [signedIn, setSignedIn] = useState(restored)
  if (!signedIn) {
    return (
      <SignIn
        onSignedIn={(next) => {
          saveCredentials(next.credentials)
          setSignedIn(next)
        }}
      />
    )
  }
  const signOut = () => {
    forgetCredentials()
    setSignedIn(undefined)
  }
  const props = { client: signedIn.client, me: signedIn.identity.userId, tenantId: signedIn.credentials.tenantId, onSignOut: signOut }
  return signedIn.view === 'agent' ? <AgentConsole {...props} /> : <TenantConsole {...props} />
}

render(<App />, document.getElementById('app')!)
