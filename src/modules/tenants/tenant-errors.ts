import { DomainError } from '../../platform/domain-errors.js'

/** A domain names one tenant, so that a request sent to it acts for exactly that tenant. */
export class DomainTakenError extends DomainError {
  constructor(domain: string) {
    super('TENANT_DOMAIN_TAKEN', 409, 'Domain already in use', { domain: [`Another tenant has the domain ${domain}`] })
  }
}
