import type { Config } from './config.js'
import type { TenantService } from './modules/tenants/tenant-service.js'
import { createTokenSigner } from './platform/tokens.js'

const demoTenantName = 'Demo tenant'
const demoAgentId = 1
const demoTenantUserId = 2
const demoAdminId = 1000

const presenceLasting = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`)

/** Without JWT settings: make sure a demo tenant exists and print tokens ready to paste. */
export async function announceDevelopmentMode(tenants: Pick<TenantService, 'ensureNamed'>, config: Config, address: string): Promise<void> {
  const tenant = await tenants.ensureNamed(demoTenantName)
  const sign = createTokenSigner(config, '24h')
  // The signer keeps within JWT_MAX_AGE_SECONDS, which may be shorter than a day.
  const validity = config.JWT_MAX_AGE_SECONDS < 86400 ? `${config.JWT_MAX_AGE_SECONDS}s` : '24h'
  const agentToken = sign({ sub: demoAgentId, roles: ['SUPPORT_AGENT'], tenants: [tenant.id] })
  const tenantUserToken = sign({ sub: demoTenantUserId, roles: ['TENANT_USER'], tenants: [tenant.id] })
  const adminToken = sign({ sub: demoAdminId, roles: ['PLATFORM_ADMIN'], tenants: [] })
  console.log(
    [
      '',
      '=== DEVELOPMENT MODE: no JWT_SECRET or JWT_PUBLIC_KEY set; tokens are signed with a public demo secret ===',
      `Swagger UI:        ${address}/docs`,
      `Console (agent):   ${address}/console/#token=${agentToken}&tenant=${tenant.id}`,
      `Console (tenant):  ${address}/console/#token=${tenantUserToken}&tenant=${tenant.id}`,
      `Demo tenant:       X-Tenant-ID: ${tenant.id}  (${tenant.name})`,
      `Agent token (${validity}): ${agentToken}`,
      `Tenant user (${validity}): ${tenantUserToken}`,
      `Admin token (${validity}): ${adminToken}`,
      `Try it:            curl -H "Authorization: Bearer ${agentToken}" -H "X-Tenant-ID: ${tenant.id}" ${address}/livechat/sessions`,
      `Presence:          an agent set ONLINE stays so for ${presenceLasting(config.PRESENCE_TTL_SECONDS)} after the last call (PRESENCE_TTL_SECONDS); an OFFLINE agent's session start files a ticket`,
      `Browser pages:     ${config.CORS_ORIGINS ? `CORS_ORIGINS allows ${config.CORS_ORIGINS}` : 'pages served from this machine (http://localhost or 127.0.0.1, any port) may call the API; list others in CORS_ORIGINS'}`,
      'Never run like this in production: set JWT_SECRET or JWT_PUBLIC_KEY.',
      '',
    ].join('\n'),
  )
}
