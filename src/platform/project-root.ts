import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The directory holding package.json, found upwards from this file, so that files read at run time
 * (migrations, openapi.yaml) are found the same way from src/ under tsx and from dist/src/ under node.
 */
function findProjectRoot(start: string): string {
  for (let directory = start; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) return directory
    if (dirname(directory) === directory) throw new Error(`no package.json above ${start}`)
  }
}

export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)))
