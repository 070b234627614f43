import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// Issue 9: "a frontend installs this package … and imports them under `moduleResolution` `bundler` and
// `nodenext` alike. A test type-checks a small consumer project in both modes." The package is laid out as an
// install leaves it (package.json with its `exports`, the built client), and the consumer is checked strictly,
// its dependencies' declarations included (no skipLibCheck).

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const tsc = join(root, 'node_modules/.bin/tsc')
const readme = readFileSync(join(root, 'README.md'), 'utf8')

const consumer = mkdtempSync(join(tmpdir(), 'livechat-consumer-'))
t.teardown(() => rmSync(consumer, { recursive: true, force: true }))

t.before(async () => {
  const installed = join(consumer, 'node_modules/livechat-api')
  mkdirSync(installed, { recursive: true })
  await run(tsc, ['-p', join(root, 'tsconfig.client.json'), '--outDir', join(installed, 'dist')])
  for (const file of ['package.json', 'generated/openapi.json', 'openapi.yaml']) cpSync(join(root, file), join(installed, file))
  // What npm installs next to the package for the client: its runtime dependencies and theirs.
  for (const dependency of ['openapi-fetch', 'openapi-typescript-helpers', 'eventsource-parser']) {
    symlinkSync(join(root, 'node_modules', dependency), join(consumer, 'node_modules', dependency), 'dir')
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'a-frontend', private: true, type: 'module' }))
  cpSync(join(root, 'test/client/consumer/usage.ts'), join(consumer, 'usage.ts'))
  writeFileSync(join(consumer, 'readme-example.ts'), readmeExample())
})

/** The README's client example: the code block after its `client-example` marker. */
function readmeExample(): string {
  const match = /<!-- client-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)
  if (!match) throw new Error('README has no client example marked <!-- client-example -->')
  return match[1]
}

const modes = {
  bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
}

for (const [mode, resolution] of Object.entries(modes)) {
  t.test(`a consumer project type-checks under moduleResolution ${mode}`, async (t) => {
    const config = join(consumer, `tsconfig.${mode}.json`)
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], strict: true, noEmit: true, types: [], skipLibCheck: false, ...resolution },
        files: ['usage.ts', 'readme-example.ts'],
      }),
    )
    const { stdout } = await run(tsc, ['-p', config]).catch((error: { stdout: string }) => error)
    t.equal(stdout.trim(), '', 'no type errors (and every @ts-expect-error in usage.ts is still an error)')
  })
}

t.test('the check can fail: a wrong body in the consumer is a type error', async (t) => {
  writeFileSync(join(consumer, 'wrong.ts'), readFileSync(join(root, 'test/client/consumer/usage.ts'), 'utf8').replace("{ message: 'hi' }", '{ message: 1 }'))
  const config = join(consumer, 'tsconfig.wrong.json')
  writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['ES2022', 'DOM'], ...modes.nodenext }, files: ['wrong.ts'] }))
  const { stdout } = await run(tsc, ['-p', config]).catch((error: { stdout: string }) => error)
  t.match(stdout, /wrong\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/)
})

t.test('the README example is fifteen lines', async (t) => {
  const lines = readmeExample().trim().split('\n').length
  t.ok(lines <= 15, `${lines} lines`)
})

t.test('every export is in the files a tarball or git install carries', async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>>; files: string[] }
  const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
  const carried = (path: string) => path === './package.json' || manifest.files.some((entry) => path.slice(2) === entry || path.slice(2).startsWith(`${entry}/`))
  t.same(targets.filter((path) => !carried(path)), [], 'no export points outside `files`')
  t.ok(targets.length >= 7, `${targets.length} export targets`)
})
