import { createHash, randomBytes } from 'node:crypto'
import type { components } from '../../../generated/openapi.js'
import { AuthenticationError, InvalidRequestError, PermissionError } from '../../platform/domain-errors.js'
import type { Principal, StreamCredentials } from '../../platform/tokens.js'
import type { Transactions } from '../../platform/transactions.js'
import type { StreamTokenRepository } from './stream-token-repository.js'

type StreamToken = components['schemas']['StreamToken']
type StreamPath = components['schemas']['StreamPath']

// The issue of the contract: 60 seconds to connect, once.
const ttlSeconds = 60
const roleOfPath: Record<StreamPath, string> = { '/livechat/events': 'SUPPORT_AGENT', '/livechat/client/events': 'TENANT_USER' }

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex')

type Dependencies = {
  transactions: Pick<Transactions, 'run'>
  streamTokenRepository: StreamTokenRepository
}

export function createStreamTokenService({ transactions, streamTokenRepository }: Dependencies) {
  const refused = () => new AuthenticationError('The stream token is unknown, expired, already used, or for another stream, user or tenant')

  return {
    /** A token for the caller's stream at `path` (by default the one of their role), in `tenantId` when given. */
    async issue(principal: Principal, tenantId: number | undefined, requestedPath?: StreamPath): Promise<StreamToken> {
      const path = requestedPath ?? (principal.roles.includes('SUPPORT_AGENT') ? '/livechat/events' : '/livechat/client/events')
      if (!principal.roles.includes(roleOfPath[path])) throw new PermissionError('roles', `The stream ${path} needs the role ${roleOfPath[path]}`)
      if (path === '/livechat/client/events' && tenantId === undefined) {
        throw new InvalidRequestError('TENANT_HEADER_MISSING', 'X-Tenant-ID is required', { 'X-Tenant-ID': ['The tenant stream needs a tenant'] })
      }
      const token = randomBytes(32).toString('base64url')
      const stored = {
        tokenHash: hashOf(token),
        userId: principal.userId,
        roles: principal.roles,
        tenantId: tenantId ?? null,
        tenantIds: principal.tenantIds,
        path,
        credentialExpiresAt: new Date(principal.expiresAt),
      }
      const expiresAt = await transactions.run(async (tx) => {
        await streamTokenRepository.deleteExpiredBefore(tx, 1)
        return streamTokenRepository.insert(tx, stored, ttlSeconds)
      })
      return { token, expires_at: expiresAt.toISOString(), path, tenant_id: tenantId ?? null }
    },

    /**
     * Uses the token for the stream at `path`. Headers sent with it must agree with it: the bearer token's
     * user and X-Tenant-ID, when present, are the token's own. A token that does not fit is not used up.
     */
    redeem: (token: string, path: string, presented: { userId?: number; tenantId?: number }): Promise<StreamCredentials> =>
      transactions.run(async (tx) => {
        const found = await streamTokenRepository.find(tx, hashOf(token))
        // A stream token lives no longer than the bearer token it was made with.
        if (!found || !found.live || found.path !== path || found.credentialExpiresAt.getTime() <= Date.now()) throw refused()
        if (presented.userId !== undefined && presented.userId !== found.userId) throw refused()
        if (presented.tenantId !== undefined && presented.tenantId !== found.tenantId) throw refused()
        if (!(await streamTokenRepository.consume(tx, found.tokenHash))) throw refused()
        const principal = { userId: found.userId, roles: found.roles, tenantIds: found.tenantIds, expiresAt: found.credentialExpiresAt.getTime() }
        return { principal, ...(found.tenantId !== null && { tenantId: found.tenantId }) }
      }),
  }
}

export type StreamTokenService = ReturnType<typeof createStreamTokenService>
