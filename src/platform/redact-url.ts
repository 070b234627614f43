const redacted = '[redacted]'

// Query parameters named like a credential: token, access_token, stream_token, id_token, jwt, auth, authorization,
// key, api_key, apikey, secret, client_secret, password, passwd, pwd, credentials, signature.
const credentialNamePattern = /token|jwt|auth|key|secret|passw|pwd|credential|signature/i
// Three base64url parts joined by dots: a JWT, whatever the parameter is called.
const jwtPattern = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/
// A URL with a query string inside free text (an error message that quotes the request's URL).
const urlWithQueryPattern = /[^\s"'`()]*\?[^\s"'`()]*/g

/**
 * The URL as logged: the value of every query parameter named like a credential, or holding something shaped
 * like a JWT, is replaced by `[redacted]`. Names and values are compared decoded, however they were encoded.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart < 0) return url
  const pairs = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=')
      const name = separator < 0 ? pair : pair.slice(0, separator)
      const value = separator < 0 ? '' : pair.slice(separator + 1)
      const secret = credentialNamePattern.test(asciiDecoded(name)) || jwtPattern.test(asciiDecoded(value))
      return secret ? `${name}=${redacted}` : pair
    })
  return `${url.slice(0, queryStart)}?${pairs.join('&')}`
}

/**
 * `text` with `+` and every ASCII percent-escape decoded, repeatedly, so that `%74oken`, `stream%5Ftoken` and
 * `%2574oken` all read as `token`. Unlike decodeURIComponent it cannot throw, so a malformed escape elsewhere
 * cannot hide a name. Credential names and JWTs are ASCII: nothing else needs decoding.
 */
function asciiDecoded(text: string): string {
  let decoded = text.replaceAll('+', ' ')
  for (;;) {
    const next = decoded.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    if (next === decoded) return decoded
    decoded = next
  }
}

/** Free text (an error's message or stack) with every URL in it redacted as `redactUrl` does. */
export function redactUrlsIn(text: string): string {
  return text.replace(urlWithQueryPattern, (url) => redactUrl(url))
}
