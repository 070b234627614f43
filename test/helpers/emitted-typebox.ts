import { Type, type TSchema } from '@sinclair/typebox'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { Test } from 'tap'
import { Refusal } from '../../scripts/generate/refusal.js'

// Runs what the generate emitters write, so tests check how emitted schemas validate instead of comparing text.

/**
 * The constants of emitted generated/routes.ts source, by name. The source is TypeScript:
 * `Type.Unsafe<'A' | 'B'>(…)` loses its type argument and `as const` goes, to run as JavaScript.
 */
export function loadEmitted(source: string): Record<string, any> {
  const names = [...source.matchAll(/^export const (\w+) =/gm)].map((match) => match[1])
  const javascript = source
    .replace(/^export const /gm, 'const ')
    .replace(/Type\.Unsafe<[^>]*>\(/g, 'Type.Unsafe(')
    .replace(/ as const$/gm, '')
  return new Function('Type', `${javascript}\nreturn { ${names.join(', ')} }`)(Type)
}

/** A validator for a JSON Schema or an evaluated TypeBox schema, as the server's Ajv applies it. */
export function validatorOf(schema: TSchema | Record<string, unknown>): (value: unknown) => boolean {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true })
  addFormats.default(ajv)
  const validate = ajv.compile(schema)
  return (value) => validate(value)
}

/** An evaluated TypeBox schema as plain JSON Schema (TypeBox marks its objects with symbols). */
export const asJsonSchema = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema))

type Expected = { pointer: string; keyword: string; says?: RegExp }

/**
 * Asserts that `emit` stops with a Refusal whose message leads with exactly `pointer`, then the keyword, and
 * says what `says` matches (the advice).
 */
export function assertRefused(t: Test, emit: () => unknown, { pointer, keyword, says }: Expected): void {
  let emitted: unknown
  try {
    emitted = emit()
  } catch (error) {
    if (!(error instanceof Refusal)) throw error
    const { message } = error
    t.equal(message.slice(0, message.indexOf(': "')), pointer, 'the message leads with the pointer')
    t.ok(message.startsWith(`${pointer}: "${keyword}" `), `then the keyword ${keyword}: ${message}`)
    if (says) t.match(message, says, 'and says what to write instead')
    return
  }
  t.fail(`expected a refusal at ${pointer}, but it emitted ${String(emitted).slice(0, 300)}`)
}
