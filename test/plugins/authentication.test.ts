import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { createSigner, type Algorithm } from 'fast-jwt'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { operations } from '../../generated/routes.js'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { adminHeaders, agentHeaders, createTenant } from '../helpers/fixtures.js'
import { freshPostgresDatabase } from '../helpers/fresh-database.js'
import { untypedBody, type OperationId } from '../helpers/operation-types.js'
import { callerOf, databaseKinds, onEachDatabase, testSecret, type DatabaseKind, type OperationCall, type TestApp, testOn } from '../helpers/test-app.js'

// Contract: "Every call carries `Authorization: Bearer <token>` and `X-Tenant-ID`"; "401 bad token; 401/403 tenant
// inactive; 403 role is not SUPPORT_AGENT". openapi.yaml: the roles allowed are the scopes of `bearerAuth`.

type Claims = Record<string, unknown>
type Response = LightMyRequestResponse & { json: () => any }

const knownRoles = ['SUPPORT_AGENT', 'PLATFORM_ADMIN', 'TENANT_USER']
const presenceUrl = '/livechat/agents/me/presence'
const nowInSeconds = () => Math.floor(Date.now() / 1000)

/** A token signed outside the service, so that claims and signature can be anything. `expiresIn: null` omits exp. */
function sign(claims: Claims, options: { key?: string; algorithm?: Algorithm; expiresIn?: string | null; iss?: string; aud?: string } = {}) {
  const { key = testSecret, algorithm = 'HS256', expiresIn = '1h', iss, aud } = options
  return createSigner({ key, algorithm, ...(expiresIn !== null && { expiresIn }), ...(iss && { iss }), ...(aud && { aud }) })(claims)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

function assertUnauthenticated(t: Test, response: Response, reason: string) {
  t.equal(response.statusCode, 401, 'status 401')
  const body = response.json()
  t.match(body, { success: false, message: 'Authentication required', data: null, meta: { request_id: String } })
  t.same(body.errors, { authorization: [reason] }, `errors.authorization says "${reason}"`)
}

function assertForbidden(t: Test, response: Response, field: 'X-Tenant-ID' | 'roles') {
  t.equal(response.statusCode, 403, 'status 403')
  const body = response.json()
  t.match(body, { success: false, message: 'Not allowed', data: null, meta: { request_id: String } })
  t.same(Object.keys(body.errors), [field], `errors names ${field} only`)
  t.match(body.errors[field], [field === 'roles' ? /needs the role [A-Z_]+/ : /not active or not available/])
}

/** setMyPresence is the cheapest livechat call with a 200: the probe for "does this caller get in?". */
const presence = (t: Test, context: Pick<TestApp, 'call'>, headers: Record<string, string>, payload: unknown = { status: 'ONLINE' }) =>
  context.call(t, 'setMyPresence', { method: 'PUT', url: presenceUrl, headers, payload: untypedBody(payload) })

onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const otherTenantId = await createTenant(t, context, 'Other')
  const claims = (extra: Claims = {}): Claims => ({ sub: '21', roles: ['SUPPORT_AGENT'], tenants: [tenantId], ...extra })
  const withTenant = (token: string) => ({ ...bearer(token), 'x-tenant-id': String(tenantId) })

  t.test('a SUPPORT_AGENT with a valid token for the tenant gets in (control for the refusals below)', async (t) => {
    t.equal((await presence(t, context, agentHeaders(context, tenantId, 21))).statusCode, 200, 'token from the service signer')
    const response = await presence(t, context, withTenant(sign(claims())))
    t.equal(response.statusCode, 200, 'token from this file\'s signer')
    t.match(response.json().data, { tenant_id: tenantId, agent_id: 21, status: 'ONLINE' })
    const numeric = await presence(t, context, withTenant(sign(claims({ sub: 22, tenants: [String(tenantId)] }))))
    t.equal(numeric.statusCode, 200, 'sub as a number and tenant ids as digit strings are accepted')
    t.equal(numeric.json().data.agent_id, 22)
  })

  t.test('401: the Authorization header is missing', async (t) => {
    const response = await presence(t, context, { 'x-tenant-id': String(tenantId) })
    assertUnauthenticated(t, response, 'The Authorization header is missing')
    t.equal(response.headers['x-request-id'], response.json().meta.request_id, 'the 401 carries the request id too')
  })

  t.test('401: the Authorization header is not "Bearer <JWT>"', async (t) => {
    const token = sign(claims())
    for (const header of [
      token,
      `Basic ${Buffer.from('agent:password').toString('base64')}`,
      'Bearer',
      'Bearer ',
      'Bearer abc',
      'Bearer a.b',
      'Bearer a.b.c.d',
      `Bearer ${token} extra`,
      `Token ${token}`,
    ]) {
      const response = await presence(t, context, { authorization: header, 'x-tenant-id': String(tenantId) })
      assertUnauthenticated(t, response, 'The Authorization header must be "Bearer <JWT>"')
      t.equal(response.headers['www-authenticate'], 'Bearer', 'a 401 names the scheme to use')
    }
  })

  t.test('the scheme name is case-insensitive and may be followed by several spaces (RFC 9110)', async (t) => {
    const token = sign(claims())
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`]) {
      const response = await presence(t, context, { authorization: header, 'x-tenant-id': String(tenantId) })
      t.equal(response.statusCode, 200, header.slice(0, 8))
    }
  })

  t.test('401: a token of JWT shape that is not a JWT', async (t) => {
    for (const token of ['x.y.z', 'a.b.', 'eyJhbGciOiJIUzI1NiJ9.e30.x']) {
      assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
    }
  })

  t.test('401: a token signed with another secret', async (t) => {
    const token = sign(claims(), { key: 'another-secret-that-is-long-enough-for-hs256-9876543210' })
    assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
  })

  t.test('401: a token whose payload was altered after signing', async (t) => {
    const [header, , signature] = sign(claims()).split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims({ roles: ['SUPPORT_AGENT', 'PLATFORM_ADMIN'] }), exp: nowInSeconds() + 3600 }))
    const token = `${header}.${forged.toString('base64url')}.${signature}`
    assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
  })

  t.test('401: an unsigned token (alg "none")', async (t) => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims(), exp: nowInSeconds() + 3600 })}.`
    assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
  })

  t.test('401: an expired token', async (t) => {
    const token = sign(claims({ exp: nowInSeconds() - 60 }), { expiresIn: null })
    assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
  })

  t.test('401: a token that is not valid yet (nbf in the future)', async (t) => {
    const token = sign(claims({ nbf: nowInSeconds() + 3600 }))
    assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
  })

  t.test('401: a token without exp', async (t) => {
    const token = sign(claims(), { expiresIn: null })
    t.notOk('exp' in JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()), 'the token really has no exp')
    assertUnauthenticated(t, await presence(t, context, withTenant(token)), 'The token is invalid or expired')
  })

  t.test('401: sub is not a positive integer user id', async (t) => {
    for (const sub of [undefined, 'abc', '0', '01', '-1', '1.5', 0, -1, 1.5, 2147483648, true, null, [21]]) {
      const response = await presence(t, context, withTenant(sign(claims({ sub }))))
      t.equal(response.statusCode, 401, `sub ${JSON.stringify(sub)}`)
      t.same(response.json().errors, { authorization: ['The token is invalid or expired'] })
    }
  })

  t.test('401: roles is not an array of strings', async (t) => {
    for (const roles of [undefined, 'SUPPORT_AGENT', { 0: 'SUPPORT_AGENT' }, [1], ['SUPPORT_AGENT', null], null]) {
      const response = await presence(t, context, withTenant(sign(claims({ roles }))))
      t.equal(response.statusCode, 401, `roles ${JSON.stringify(roles)}`)
      t.same(response.json().errors, { authorization: ['The token is invalid or expired'] })
    }
  })

  t.test('401: tenants holds something that is not a tenant id', async (t) => {
    for (const tenants of [tenantId, String(tenantId), [tenantId, 'abc'], [tenantId, 0], [tenantId, -1], [1.5], [null], [2147483648]]) {
      const response = await presence(t, context, withTenant(sign(claims({ tenants }))))
      t.equal(response.statusCode, 401, `tenants ${JSON.stringify(tenants)}`)
      t.same(response.json().errors, { authorization: ['The token is invalid or expired'] })
    }
  })

  t.test('400: X-Tenant-ID is missing on a livechat call', async (t) => {
    const response = await presence(t, context, bearer(sign(claims())))
    t.equal(response.statusCode, 400)
    t.match(response.json(), { success: false, message: 'X-Tenant-ID is required', data: null })
    t.same(response.json().errors, { 'X-Tenant-ID': ["The header is required unless the call is sent to the tenant's domain"] })
  })

  t.test('400: X-Tenant-ID is not a positive integer', async (t) => {
    for (const value of ['abc', '0', '-1', '1.5', '99999999999', '2147483648', '1e3', '0x10', `${tenantId}abc`, '', ' ']) {
      const response = await presence(t, context, { ...bearer(sign(claims())), 'x-tenant-id': value })
      t.equal(response.statusCode, 400, `X-Tenant-ID ${JSON.stringify(value)}`)
      t.match(response.json(), { success: false, data: null, errors: { 'X-Tenant-ID': [String] } })
      t.same(Object.keys(response.json().errors), ['X-Tenant-ID'], 'only the header is named')
    }
  })

  t.test('401 comes before the tenant header: no token and no X-Tenant-ID is 401', async (t) => {
    assertUnauthenticated(t, await presence(t, context, {}), 'The Authorization header is missing')
    assertUnauthenticated(t, await presence(t, context, { 'x-tenant-id': 'abc' }), 'The Authorization header is missing')
  })

  t.test('403: X-Tenant-ID is not one of the token\'s tenants', async (t) => {
    assertForbidden(t, await presence(t, context, agentHeaders(context, tenantId, 23, [otherTenantId])), 'X-Tenant-ID')
    assertForbidden(t, await presence(t, context, agentHeaders(context, tenantId, 23, [])), 'X-Tenant-ID')
    t.equal((await presence(t, context, agentHeaders(context, tenantId, 23, [otherTenantId, tenantId]))).statusCode, 200, 'listed among others it is fine')
  })

  t.test('403: a tenant in the token that does not exist', async (t) => {
    const unknown = 2147483647
    assertForbidden(t, await presence(t, context, agentHeaders(context, unknown, 24, [unknown])), 'X-Tenant-ID')
  })

  t.test('403: a tenant created inactive', async (t) => {
    const inactive = await createTenant(t, context, 'Sleeping', false)
    assertForbidden(t, await presence(t, context, agentHeaders(context, inactive, 25)), 'X-Tenant-ID')
  })

  t.test('403 while a tenant is deactivated; activating it again restores access', async (t) => {
    const tenant = await createTenant(t, context, 'Flaky')
    const headers = agentHeaders(context, tenant, 26)
    const update = (t: Test, active: boolean) =>
      context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${tenant}`, headers: adminHeaders(context), payload: { active } })
    t.equal((await presence(t, context, headers)).statusCode, 200, 'active: in')
    const deactivated = await update(t, false)
    t.equal(deactivated.statusCode, 200)
    t.equal(deactivated.json().data.active, false)
    assertForbidden(t, await presence(t, context, headers), 'X-Tenant-ID')
    const listing = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers })
    assertForbidden(t, listing, 'X-Tenant-ID')
    t.equal((await update(t, true)).json().data.active, true)
    t.equal((await presence(t, context, headers)).statusCode, 200, 'active again: in')
  })

  t.test('403: a role other than SUPPORT_AGENT on livechat calls', async (t) => {
    for (const roles of [['TENANT_USER'], ['PLATFORM_ADMIN'], ['support_agent'], [], ['TENANT_USER', 'PLATFORM_ADMIN']]) {
      const headers = withTenant(context.token({ sub: 27, roles, tenants: [tenantId] }))
      const response = await presence(t, context, headers)
      assertForbidden(t, response, 'roles')
      t.same(response.json().errors.roles, ['This operation needs the role SUPPORT_AGENT'], `roles ${JSON.stringify(roles)}`)
    }
    const both = withTenant(context.token({ sub: 27, roles: ['TENANT_USER', 'SUPPORT_AGENT'], tenants: [tenantId] }))
    t.equal((await presence(t, context, both)).statusCode, 200, 'SUPPORT_AGENT among other roles is enough')
  })

  t.test('403: a SUPPORT_AGENT on admin calls', async (t) => {
    const headers = agentHeaders(context, tenantId, 28)
    const calls: OperationCall[] = [
      ['listTenants', { method: 'GET', url: '/admin/tenants', headers }],
      ['createTenant', { method: 'POST', url: '/admin/tenants', headers, payload: { name: 'Mine' } }],
      ['updateTenant', { method: 'PATCH', url: `/admin/tenants/${tenantId}`, headers, payload: { active: false } }],
    ]
    for (const [operationId, options] of calls) {
      const response = await context.call(t, operationId, options)
      assertForbidden(t, response, 'roles')
      t.same(response.json().errors.roles, ['This operation needs the role PLATFORM_ADMIN'])
    }
    t.equal((await presence(t, context, headers)).statusCode, 200, 'the tenant was not deactivated by the refused PATCH')
  })

  t.test('authentication runs before body validation: no token and an invalid body is 401', async (t) => {
    const url = `/livechat/sessions/${randomUUID()}/messages`
    for (const payload of [{ message: 42 }, { mesage: 'hi' }, [], 'not json at all']) {
      const response = await context.call(t, 'sendMessage', {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      })
      assertUnauthenticated(t, response, 'The Authorization header is missing')
    }
    const admin = await context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', payload: { name: '' } })
    assertUnauthenticated(t, admin, 'The Authorization header is missing')
  })

  t.test('authentication runs before body validation: a wrong role with an invalid body is 403', async (t) => {
    const user = withTenant(context.token({ sub: 29, roles: ['TENANT_USER'], tenants: [tenantId] }))
    assertForbidden(t, await presence(t, context, user, { status: 'AWAY' }), 'roles')
    const sent = await context.call(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${randomUUID()}/messages`,
      headers: { ...user, 'content-type': 'application/json' },
      payload: '{"message": ',
    })
    assertForbidden(t, sent, 'roles')
    const agent = agentHeaders(context, tenantId, 29)
    assertForbidden(t, await context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: agent, payload: untypedBody({}) }), 'roles')
    const missingHeader = await presence(t, context, bearer(sign(claims())), { status: 'AWAY' })
    t.equal(missingHeader.statusCode, 400, 'a missing X-Tenant-ID is reported before the body')
    t.same(Object.keys(missingHeader.json().errors), ['X-Tenant-ID'])
  })

  t.test('GET /health needs no token', async (t) => {
    t.equal((await context.call(t, 'getHealth', { method: 'GET', url: '/health' })).statusCode, 200)
  })

  t.test('every secured operation: no token is 401, a token without its role is 403, its role gets past auth', async (t) => {
    const secured = Object.entries(operations).filter(([, operation]) => operation.security !== null)
    t.ok(secured.length >= 10, `${secured.length} secured operations`)
    for (const [operationId, operation] of secured) {
      const security = operation.security!
      const allowed: readonly string[] = security.roles
      t.test(`${operationId}: ${operation.method} ${operation.url} needs ${allowed.join(' or ')}`, async (t) => {
        const url = operation.url
          .replace(':id', randomUUID())
          .replace(':tenant_id', String(otherTenantId))
          .replace(':agent_id', '30')
        t.notMatch(url, /:/, 'every path parameter was filled in')
        const tenantHeader: Record<string, string> = security.tenantScoped ? { 'x-tenant-id': String(tenantId) } : {}
        const as = (roles: string[]) => ({ ...bearer(context.token({ sub: 30, roles, tenants: [tenantId] })), ...tenantHeader })
        const request = (t: Test, headers: Record<string, string>) =>
          context.call(t, operationId as OperationId, { method: operation.method, url, headers })

        assertUnauthenticated(t, await request(t, tenantHeader), 'The Authorization header is missing')
        assertUnauthenticated(t, await request(t, { ...tenantHeader, ...bearer(sign(claims(), { expiresIn: null })) }), 'The token is invalid or expired')

        const others = knownRoles.filter((role) => !allowed.includes(role))
        t.ok(others.length > 0, 'some role is not allowed')
        for (const roles of [...others.map((role) => [role]), others, []]) {
          const response = await request(t, as(roles))
          assertForbidden(t, response, 'roles')
          t.same(response.json().errors.roles, [`This operation needs the role ${allowed.join(' or ')}`], `roles ${JSON.stringify(roles)}`)
        }

        // An event stream that gets past authentication never ends; test/modules/streams/ opens them on sockets.
        if (operation.eventStream) return
        const permitted = await request(t, as([...allowed]))
        t.notOk([401, 403].includes(permitted.statusCode), `an allowed role gets past authentication (${permitted.statusCode})`)
        if (security.tenantScoped === true) {
          const withoutTenant = await request(t, bearer(context.token({ sub: 30, roles: [...allowed], tenants: [tenantId] })))
          t.equal(withoutTenant.statusCode, 400, 'a tenant-scoped operation needs X-Tenant-ID')
        }
      })
    }
  })
})

t.test('with JWT_ISSUER and JWT_AUDIENCE set', async (t) => {
  const issuer = 'https://identity.example.test/'
  const audience = 'livechat-api'
  onEachDatabase(
    t,
    async (t, context) => {
      const tenantId = await createTenant(t, context)
      const claims = { sub: '31', roles: ['SUPPORT_AGENT'], tenants: [tenantId] }
      const call = (t: Test, token: string) => presence(t, context, { ...bearer(token), 'x-tenant-id': String(tenantId) })

      t.test('a token with the right iss and aud passes', async (t) => {
        t.equal((await call(t, sign(claims, { iss: issuer, aud: audience }))).statusCode, 200)
        t.equal((await presence(t, context, agentHeaders(context, tenantId, 31))).statusCode, 200, 'the service signer sets both')
      })

      t.test('an aud array that includes the audience passes', async (t) => {
        t.equal((await call(t, sign({ ...claims, iss: issuer, aud: ['other-api', audience] }))).statusCode, 200)
      })

      t.test('a token with a wrong iss or aud is 401', async (t) => {
        for (const [label, options] of [
          ['wrong iss', { iss: 'https://evil.example.test/', aud: audience }],
          ['iss without the trailing slash', { iss: issuer.slice(0, -1), aud: audience }],
          ['wrong aud', { iss: issuer, aud: 'other-api' }],
          ['both wrong', { iss: 'x', aud: 'y' }],
        ] as const) {
          const response = await call(t, sign(claims, options))
          t.equal(response.statusCode, 401, label)
          t.same(response.json().errors, { authorization: ['The token is invalid or expired'] })
        }
      })

      t.test('a token without iss or without aud is 401 when they are configured', async (t) => {
        for (const [label, options] of [
          ['no iss', { aud: audience }],
          ['no aud', { iss: issuer }],
          ['neither', {}],
        ] as const) {
          const response = await call(t, sign(claims, options))
          t.equal(response.statusCode, 401, label)
        }
      })
    },
    { JWT_ISSUER: issuer, JWT_AUDIENCE: audience },
  )
})

/**
 * buildTestApp cannot be used with JWT_PUBLIC_KEY (its createTokenSigner throws in that mode), so this builds the
 * app the same way by hand: a fresh database of its own (fresh-database.ts), and `call` checking the body against openapi.yaml.
 */
async function buildPublicKeyApp(t: Test, kind: DatabaseKind, publicKey: string) {
  const location: Record<string, string> = kind === 'postgres' ? { DATABASE_URL: await freshPostgresDatabase(t) } : { DATA_DIR: 'memory://' }
  // JWT_SECRET: '' is how an environment unsets it; loadConfig must read it as absent, not refuse "both set".
  const config = loadConfig({ JWT_SECRET: '', JWT_PUBLIC_KEY: publicKey, LOG_LEVEL: 'silent', ...location })
  t.equal(config.JWT_SECRET, undefined, 'an empty JWT_SECRET is unset')
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  return { call: callerOf(app) }
}

t.test('with JWT_PUBLIC_KEY set', async (t) => {
  const keyPairs = {
    RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ES256: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  }
  const pem = (algorithm: 'RS256' | 'ES256', part: 'publicKey' | 'privateKey') =>
    part === 'publicKey'
      ? keyPairs[algorithm].publicKey.export({ type: 'spki', format: 'pem' }).toString()
      : keyPairs[algorithm].privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

  t.test('loadConfig refuses JWT_SECRET and JWT_PUBLIC_KEY together', async (t) => {
    t.throws(() => loadConfig({ JWT_SECRET: testSecret, JWT_PUBLIC_KEY: pem('RS256', 'publicKey') }), /not both/)
  })

  for (const algorithm of ['RS256', 'ES256'] as const) {
    const other = algorithm === 'RS256' ? 'ES256' : 'RS256'
    for (const kind of databaseKinds) {
      testOn(t, kind, `${algorithm} on ${kind}`, async (t) => {
        const context = await buildPublicKeyApp(t, kind, pem(algorithm, 'publicKey'))
        const privateKey = pem(algorithm, 'privateKey')
        const admin = { authorization: `Bearer ${sign({ sub: '9000', roles: ['PLATFORM_ADMIN'], tenants: [] }, { key: privateKey, algorithm })}` }

        const created = await context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'Keyed' } })
        t.equal(created.statusCode, 201, `a PLATFORM_ADMIN token signed with the ${algorithm} private key creates a tenant`)
        const tenantId: number = created.json().data.id
        const claims = { sub: '41', roles: ['SUPPORT_AGENT'], tenants: [tenantId] }
        const call = (t: Test, token: string) => presence(t, context, { ...bearer(token), 'x-tenant-id': String(tenantId) })

        t.test(`an ${algorithm} token from the private key passes`, async (t) => {
          const response = await call(t, sign(claims, { key: privateKey, algorithm }))
          t.equal(response.statusCode, 200)
          t.match(response.json().data, { tenant_id: tenantId, agent_id: 41 })
        })

        t.test('an HS256 token is refused', async (t) => {
          for (const [label, key] of [
            ['signed with the test secret', testSecret],
            ['signed with the public key as HMAC secret', pem(algorithm, 'publicKey')],
          ]) {
            const response = await call(t, sign(claims, { key, algorithm: 'HS256' }))
            t.equal(response.statusCode, 401, label)
            t.same(response.json().errors, { authorization: ['The token is invalid or expired'] })
          }
        })

        t.test('a token signed with another key is refused', async (t) => {
          const stranger =
            algorithm === 'RS256'
              ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
              : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
          const strangerPem = stranger.export({ type: 'pkcs8', format: 'pem' }).toString()
          t.equal((await call(t, sign(claims, { key: strangerPem, algorithm }))).statusCode, 401, `another ${algorithm} key`)
          t.equal((await call(t, sign(claims, { key: pem(other, 'privateKey'), algorithm: other }))).statusCode, 401, `an ${other} key`)
        })

        t.test('a token from the private key without exp is refused', async (t) => {
          t.equal((await call(t, sign(claims, { key: privateKey, algorithm, expiresIn: null }))).statusCode, 401)
        })

        t.test('roles are still enforced', async (t) => {
          const user = sign({ ...claims, roles: ['TENANT_USER'] }, { key: privateKey, algorithm })
          assertForbidden(t, await call(t, user), 'roles')
        })
      })
    }
  }
})
