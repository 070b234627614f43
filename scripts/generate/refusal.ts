// Why `npm run generate` stops: a node of openapi.yaml it cannot translate. The message leads with the node's
// RFC 6901 JSON pointer (the form a $ref takes), so the reader can find it in the spec, then names the keyword
// and says what to write instead.

export class Refusal extends Error {
  constructor(pointer: string, keyword: string, problem: string, instead: string) {
    super(`${pointer}: "${keyword}" ${problem}. Instead, ${instead}.`)
    this.name = 'Refusal'
  }
}

/** The pointer of a child node: each token escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`). */
export const pointerTo = (parent: string, ...tokens: (string | number)[]): string =>
  [parent, ...tokens.map((token) => String(token).replaceAll('~', '~0').replaceAll('/', '~1'))].join('/')
