/**
 * The URL as logged: a stream token in the query is a credential, so its value never reaches a log line.
 * Names are compared decoded, as the query parser decodes them (`stream%5Ftoken` is `stream_token`).
 */
export function redactStreamToken(url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart < 0) return url
  const pairs = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0]
      return decodedName(name) === 'stream_token' ? `${name}=[REDACTED]` : pair
    })
  return `${url.slice(0, queryStart)}?${pairs.join('&')}`
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '))
  } catch {
    return name
  }
}
