import { ApiError, type ApiFailure } from '@livechat-api/client'

/** A failure in words for people: the API's message and its reasons by field. */
export function failureText(failure: unknown): string {
  if (failure instanceof ApiError) return failureText(failure.failure)
  if (isFailure(failure)) {
    const reasons = Object.entries(failure.errors).map(([field, texts]) => (field === '_' ? texts.join('; ') : `${field}: ${texts.join('; ')}`))
    return [failure.message, ...reasons.filter((reason) => reason !== failure.message)].join(' — ')
  }
  return failure instanceof Error ? `${failure.message} (is the API reachable?)` : String(failure)
}

const isFailure = (value: unknown): value is ApiFailure => typeof value === 'object' && value !== null && (value as ApiFailure).ok === false

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export const formatTime = (timestamp: string) => timeFormat.format(new Date(timestamp))
export const formatDateTime = (timestamp: string) => dateTimeFormat.format(new Date(timestamp))
