import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { buildApp, type AppOptions } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createTokenSigner, type TokenClaims } from '../../src/platform/tokens.js'
import { freshPostgresDatabase } from './fresh-database.js'
import { jsonReader, type Answered, type OperationId, type RequestBody, type UntypedBody } from './operation-types.js'
import { assertResponseFitsSpec, specErrors } from './spec-validator.js'
import { testNeeding } from './test-needing.js'

export const testSecret = 'test-secret-that-is-long-enough-for-hs256-0123456789'

let testSigner: ReturnType<typeof createTokenSigner> | undefined

/**
 * A token signed with `testSecret`, as a server started with JWT_SECRET=testSecret (and no other JWT settings)
 * accepts: for tests against a server process, which have no `TestApp.token`. Claims default as there.
 */
export const testToken = (claims: Partial<TokenClaims>): string =>
  (testSigner ??= createTokenSigner(loadConfig({ JWT_SECRET: testSecret })))({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [], ...claims })

/** PGlite, and the PostgreSQL server DATABASE_URL names: tests on it need DATABASE_URL (`testOn`). */
export const databaseKinds = ['pglite', 'postgres'] as const
export type DatabaseKind = (typeof databaseKinds)[number]

const postgresMissing = !process.env.DATABASE_URL && 'needs DATABASE_URL (a PostgreSQL server)'

/** `t.test(name, body)` on a database of `kind`; on PostgreSQL without DATABASE_URL skipped, or failed under CI (`testNeeding`). */
export function testOn(t: Test, kind: DatabaseKind, name: string, body: (t: Test) => Promise<void>): void {
  testNeeding(t, name, kind === 'postgres' && postgresMissing, body)
}

/** A fresh, empty database of its own: in-memory PGlite, or a new database on the server. */
async function freshDatabase(t: Test, kind: DatabaseKind): Promise<Record<string, string>> {
  return kind === 'pglite' ? { DATA_DIR: 'memory://' } : { DATABASE_URL: await freshPostgresDatabase(t) }
}

export type TestApp = {
  app: FastifyInstance
  config: Config
  kind: DatabaseKind
  token: (claims: Partial<TokenClaims>) => string
  /** Injects a request and checks the response against openapi.yaml for the operation. */
  call: Call
}

/**
 * Fastify's inject options, the payload the operation's request body; or, for tests of what the API refuses, text
 * sent as it is (JSON that does not parse, or that the test spells out byte by byte) or an `untypedBody`.
 */
export type CallOptions<K extends OperationId> = Omit<InjectOptions, 'payload' | 'body'> & { payload?: RequestBody<K> | UntypedBody | string }

/** An operation and options for it, each checked against the other: for tables of calls. */
export type OperationCall = { [K in OperationId]: [operationId: K, options: CallOptions<K>] }[OperationId]

/** An injected answer, its status and body those openapi.yaml documents for the operation. */
export type Answer<K extends OperationId> = Omit<LightMyRequestResponse, 'statusCode' | 'json'> & Answered<K>

export type Call = <K extends OperationId>(t: Test, operationId: K, options: CallOptions<K>) => Promise<Answer<K>>

/** `call` on an app: injects the request, checks the answer against openapi.yaml for the operation, types it by the operation. */
export function callerOf(app: FastifyInstance): Call {
  return async (t, operationId, options) => {
    const response = await app.inject(options as InjectOptions)
    const body = response.json()
    t.same(specErrors(operationId, response.statusCode, body), [], `${operationId} ${response.statusCode} body matches openapi.yaml`)
    return Object.assign(response, { json: jsonReader(operationId, response.statusCode, body) }) as Answer<typeof operationId>
  }
}

export async function buildTestApp(
  t: Test,
  kind: DatabaseKind,
  environment: Record<string, string> = {},
  appOptions: AppOptions = { logger: false },
): Promise<TestApp> {
  // Rate limits are off unless a test sets them: suites send bursts from one user and one address.
  const config = loadConfig({
    JWT_SECRET: testSecret,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_USER_MAX: '0',
    RATE_LIMIT_IP_MAX: '0',
    ...(await freshDatabase(t, kind)),
    ...environment,
  })
  const app = await buildApp(config, appOptions)
  t.teardown(() => app.close())
  checkEveryResponse(app)
  // Made on first use: an app verifying public-key tokens has no signer, and needs none from here.
  let sign: ReturnType<typeof createTokenSigner> | undefined
  return {
    app,
    config,
    kind,
    token: (claims) => (sign ??= createTokenSigner(config))({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [], ...claims }),
    call: callerOf(app),
  }
}

/**
 * Every response a test injects is checked against openapi.yaml for the operation its route matches, whether
 * or not the test names the operation: one that does not fit fails the inject, and with it the test.
 */
function checkEveryResponse(app: FastifyInstance): void {
  const inject = app.inject.bind(app) as (options: InjectOptions | string) => Promise<LightMyRequestResponse>
  const checked = async (options: InjectOptions | string) => {
    const response = await inject(options)
    const request = typeof options === 'string' ? { method: 'GET', url: options } : { method: options.method ?? 'GET', url: String(options.url ?? options.path ?? '/') }
    assertResponseFitsSpec(request.method, request.url, response)
    return response
  }
  app.inject = checked as typeof app.inject
}

/** Runs `suite` once per database kind, each on a fresh database and app. */
export function onEachDatabase(t: Test, suite: (t: Test, context: TestApp) => Promise<void>, environment?: Record<string, string>): void {
  for (const kind of databaseKinds) {
    testOn(t, kind, kind, async (t) => suite(t, await buildTestApp(t, kind, environment)))
  }
}

/** An app logging at LOG_LEVEL info, its log lines kept in `lines`: for tests of what reaches the log. */
export async function buildLoggedTestApp(t: Test, kind: DatabaseKind): Promise<{ context: TestApp; lines: string[] }> {
  const lines: string[] = []
  const context = await buildTestApp(t, kind, { LOG_LEVEL: 'info' }, { logDestination: { write: (line) => void lines.push(line) } })
  return { context, lines }
}
