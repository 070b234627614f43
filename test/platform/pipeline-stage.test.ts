import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { pipelineStage, type StageName } from '../../src/platform/pipeline-stage.js'
import { authentication } from '../../src/plugins/authentication.js'
import { addressRateLimit, userRateLimit } from '../../src/plugins/rate-limit.js'
import { requestId } from '../../src/plugins/request-id.js'
import { shutdownGate } from '../../src/plugins/shutdown-gate.js'

// Issue 15: the order of the request pipeline's hooks is held by code, not by comments in app.ts.

const noLimits = { byAddress: async () => undefined, byUserAndTenant: async () => undefined }
const unusedAuthentication = {
  verifyToken: () => {
    throw new Error('no request is made')
  },
  isTenantActive: async () => true,
  tenantOfDomain: async () => undefined,
  redeemStreamToken: async () => {
    throw new Error('no request is made')
  },
}

/** The app's boot as a promise (Fastify's `ready()` is only thenable). */
const booting = async (app: FastifyInstance) => {
  await app.ready()
}

t.test('counting by user registered before authentication stops the app at boot, naming both', async (t) => {
  const app = Fastify({ logger: false })
  app.register(requestId)
  app.register(userRateLimit, { limits: noLimits })
  app.register(authentication, unusedAuthentication)
  await t.rejects(booting(app), /The dependency 'authentication' of plugin 'user-rate-limit' is not registered/)
})

t.test('authentication registered before the address rate limit stops the app at boot', async (t) => {
  const app = Fastify({ logger: false })
  app.register(authentication, unusedAuthentication)
  app.register(addressRateLimit, { limits: noLimits })
  await t.rejects(booting(app), /The dependency 'address-rate-limit' of plugin 'authentication' is not registered/)
})

t.test('the shutdown gate without the request id before it stops the app at boot', async (t) => {
  const app = Fastify({ logger: false })
  app.register(shutdownGate)
  app.register(requestId)
  await t.rejects(booting(app), /The dependency 'request-id' of plugin 'shutdown-gate' is not registered/)
})

t.test('stages in order start, and their onRequest hooks run in that order', async (t) => {
  const app = Fastify({ logger: false })
  const ran: string[] = []
  const recordingStage = (name: StageName, follows: StageName[]) =>
    pipelineStage(name, follows, async (scope) => {
      scope.addHook('onRequest', async () => void ran.push(name))
    })
  app.register(recordingStage('request-id', []))
  app.register(recordingStage('shutdown-gate', ['request-id']))
  app.get('/', async () => 'ok')
  await app.ready()
  t.teardown(() => app.close())
  const response = await app.inject({ url: '/' })
  t.equal(response.statusCode, 200)
  t.same(ran, ['request-id', 'shutdown-gate'])
})
