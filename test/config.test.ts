import t from 'tap'
import { loadConfig } from '../src/config.js'

// The environment settings issue 8 and 9 added or changed, read as an operator writes them.
const secret = { JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789' }

t.test('the pool size: DB_POOL_MAX, or DB_POOL_SIZE as many deployments name it', async (t) => {
  t.equal(loadConfig(secret).DB_POOL_MAX, 10, 'default')
  t.equal(loadConfig({ ...secret, DB_POOL_MAX: '32' }).DB_POOL_MAX, 32)
  t.equal(loadConfig({ ...secret, DB_POOL_SIZE: '25' }).DB_POOL_MAX, 25)
  t.equal(loadConfig({ ...secret, DB_POOL_SIZE: '25', DB_POOL_MAX: '25' }).DB_POOL_MAX, 25, 'both, alike')
  t.throws(() => loadConfig({ ...secret, DB_POOL_SIZE: '25', DB_POOL_MAX: '30' }), /DB_POOL_SIZE and DB_POOL_MAX name the same setting/, 'both, differing')
  t.throws(() => loadConfig({ ...secret, DB_POOL_SIZE: '0' }), /DB_POOL_MAX/, 'checked like DB_POOL_MAX')
})

t.test('caches and prepared statements', async (t) => {
  t.equal(loadConfig(secret).TENANT_CACHE_SECONDS, 5)
  t.equal(loadConfig({ ...secret, TENANT_CACHE_SECONDS: '0' }).TENANT_CACHE_SECONDS, 0, '0 turns it off')
  t.throws(() => loadConfig({ ...secret, TENANT_CACHE_SECONDS: '-1' }), /TENANT_CACHE_SECONDS/)
  t.equal(loadConfig(secret).DB_PREPARED_STATEMENTS, true)
  t.equal(loadConfig({ ...secret, DB_PREPARED_STATEMENTS: 'false' }).DB_PREPARED_STATEMENTS, false)
  t.throws(() => loadConfig({ ...secret, DB_PREPARED_STATEMENTS: 'sometimes' }), /DB_PREPARED_STATEMENTS/)
})

t.test('presence lasts a minute, an hour in development mode unless set', async (t) => {
  t.equal(loadConfig(secret).PRESENCE_TTL_SECONDS, 60)
  t.equal(loadConfig({}).PRESENCE_TTL_SECONDS, 3600, 'development mode')
  t.equal(loadConfig({ PRESENCE_TTL_SECONDS: '90' }).PRESENCE_TTL_SECONDS, 90, 'development mode, set')
})
