// Mints an HS256 token with JWT_SECRET (or, without JWT settings, the development secret):
//   npm run token -- --sub 1 --roles SUPPORT_AGENT --tenants 1 [--expires-in 1h]
// --roles and --tenants take comma-separated lists. JWT_ISSUER / JWT_AUDIENCE are included when set.
import { parseArgs } from 'node:util'
import { isDevelopmentMode, loadConfig } from '../src/config.js'
import { createTokenSigner } from '../src/platform/tokens.js'

const usage = 'usage: npm run token -- --sub <user id> --roles <ROLE,...> [--tenants <id,...>] [--expires-in 1h]'

try {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      roles: { type: 'string' },
      tenants: { type: 'string', default: '' },
      'expires-in': { type: 'string', default: '1h' },
    },
  })
  const sub = Number(values.sub)
  const tenants = values.tenants.split(',').filter(Boolean).map(Number)
  if (!Number.isInteger(sub) || sub < 1 || !values.roles || tenants.some((id) => !Number.isInteger(id) || id < 1)) {
    throw new Error('--sub must be a positive integer, --roles is required, --tenants lists positive integers')
  }
  const config = loadConfig(process.env)
  if (isDevelopmentMode(config)) console.error('development mode: signed with the public development secret')
  const sign = createTokenSigner(config, values['expires-in'])
  console.log(sign({ sub, roles: values.roles.split(',').filter(Boolean), tenants }))
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`)
  process.exitCode = 2
}
