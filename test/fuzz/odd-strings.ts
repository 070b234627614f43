import fc from 'fast-check'

/** Characters that are valid Unicode but trip naive code: direction marks, joiners, astral and combining ones. */
const oddCharacters = [
  '\u200F', // RIGHT-TO-LEFT MARK
  '\u202E', // RIGHT-TO-LEFT OVERRIDE
  '\u2066', // LEFT-TO-RIGHT ISOLATE
  '\u200B', // ZERO WIDTH SPACE
  '\u200D', // ZERO WIDTH JOINER
  '\uFEFF', // BYTE ORDER MARK
  '\uFFFF', // a noncharacter
  '\uFFFD', // REPLACEMENT CHARACTER
  '\u2028', // LINE SEPARATOR (not a line break in JSON, one in JavaScript source)
  '\u0301', // COMBINING ACUTE ACCENT
  '\u0489', // COMBINING CYRILLIC MILLIONS SIGN
  '😀',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '\u{10FFFF}',
  '\u{1D11E}',
  'ﷺ',
  '\u0001', // a control character other than NUL
  '\t',
  '\r\n',
  '\\',
  '"',
  "'; drop table messages; --",
  '%00',
  '${7*7}',
  '<script>',
]

/** Well-formed text with at least one visible character among odd ones. */
export const oddValidText: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom(...oddCharacters), { maxLength: 12 }), fc.constantFrom('a', '字', 'ب', '😀'))
  .map(([odd, visible]) => [...odd, visible, ...odd.reverse()].join(''))

/**
 * Text the service must refuse with a 400: lone UTF-16 surrogates (sent as `\ud800` JSON escapes, which
 * JSON.stringify writes for them), NUL, nothing visible.
 */
export const malformedText: fc.Arbitrary<string> = fc.constantFrom(
  'a\uD800',
  '\uDFFF',
  '\uDC00\uD800',
  'ok\uD83D',
  'a\u0000b',
  '\u0000',
  '',
  ' ',
  '\u200B',
  '\t\r\n',
)

/** Strings far beyond any documented length (up to 100,000 characters), of one- to four-byte characters. */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('x', 'é', '😀', '\u0301', '\uD800', '\u0000'), fc.integer({ min: 10_001, max: 100_000 }))
  .map(([character, length]) => character.repeat(length))

/** JSON nested 1,000 to 10,000 levels deep, as arrays or objects, around a valid leaf. */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), fc.integer({ min: 1_000, max: 10_000 }))
  .map(([arrays, depth]) => (arrays ? '['.repeat(depth) + '1' + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)))
