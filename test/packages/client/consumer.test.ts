import { execFile } from 'node:child_process'
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// Issue 15, item 5: "Installing the package for its 7 KB client installs the server (107 MB)". The client is its own
// package (packages/client): packed with `npm pack` and installed from the tarball into an empty project, as a
// frontend would, its node_modules stays under 2 MB, and a consumer project (usage.ts and the README's example)
// type-checks against it under `moduleResolution` `bundler` and `nodenext`, its dependencies' declarations included
// (no skipLibCheck).

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const clientPackage = join(root, 'packages/client')
const tsc = join(root, 'node_modules/.bin/tsc')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const maxInstallBytes = 2_000_000

const consumer = mkdtempSync(join(tmpdir(), 'livechat-consumer-'))
t.teardown(() => rmSync(consumer, { recursive: true, force: true }))
const installed = join(consumer, 'node_modules/@livechat-api/client')

// Without the npm_* variables of the `npm test` that may have started this, so the child npm sees only its own project.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund'], { cwd, env, maxBuffer: 16 << 20 })

t.before(async () => {
  // The package's prepack builds dist/ first, so the tarball is the source of now.
  const { stdout } = await npm(['pack', '--json', '--pack-destination', consumer], clientPackage)
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }]
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'a-frontend', private: true, type: 'module' }))
  await npm(['install', '--prefer-offline', join(consumer, filename)], consumer)
  cpSync(join(root, 'test/packages/client/consumer/usage.ts'), join(consumer, 'usage.ts'))
  writeFileSync(join(consumer, 'readme-example.ts'), readmeExample())
})

/** The README's client example: the code block after its `client-example` marker. */
function readmeExample(): string {
  const match = /<!-- client-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)
  if (!match) throw new Error('README has no client example marked <!-- client-example -->')
  return match[1]
}

/** The bytes of the files under `directory`, symbolic links counted as themselves. */
function bytesUnder(directory: string): number {
  return readdirSync(directory, { withFileTypes: true }).reduce((total, entry) => {
    const path = join(directory, entry.name)
    return total + (entry.isDirectory() ? bytesUnder(path) : lstatSync(path).size)
  }, 0)
}

t.test('installed from its tarball, the client brings only openapi-fetch and eventsource-parser, under 2 MB', async (t) => {
  const packages = readdirSync(join(consumer, 'node_modules'))
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => (name.startsWith('@') ? readdirSync(join(consumer, 'node_modules', name)).map((scoped) => `${name}/${scoped}`) : [name]))
  // openapi-typescript-helpers: openapi-fetch's types.
  t.same(packages.sort(), ['@livechat-api/client', 'eventsource-parser', 'openapi-fetch', 'openapi-typescript-helpers'])
  const bytes = bytesUnder(join(consumer, 'node_modules'))
  t.comment(`node_modules of a project with only @livechat-api/client: ${bytes} bytes (${(bytes / 1e6).toFixed(2)} MB)`)
  t.ok(bytes < maxInstallBytes, `${bytes} bytes, under ${maxInstallBytes}`)
})

t.test('the tarball carries dist/ and what every export names, nothing of the source or the server', async (t) => {
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> }
  const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
  t.same(targets.filter((path) => !existsSync(join(installed, path))), [], 'every export target is installed')
  t.same(readdirSync(installed).sort(), ['README.md', 'dist', 'package.json'])
})

t.test('node imports the installed client and builds one', async (t) => {
  const script = "import { createLivechatClient } from '@livechat-api/client'; console.log(Object.keys(createLivechatClient({ baseUrl: 'http://localhost', token: 'jwt' })).join(' '))"
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer })
  t.equal(stdout.trim(), 'GET POST PUT PATCH pages items events stayOnline')
})

const modes = {
  bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
}

for (const [mode, resolution] of Object.entries(modes)) {
  t.test(`the README example and a consumer project type-check against the installed client under moduleResolution ${mode}`, async (t) => {
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
  writeFileSync(join(consumer, 'wrong.ts'), readFileSync(join(root, 'test/packages/client/consumer/usage.ts'), 'utf8').replace("{ message: 'hi' }", '{ message: 1 }'))
  const config = join(consumer, 'tsconfig.wrong.json')
  writeFileSync(config, JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['ES2022', 'DOM'], ...modes.nodenext }, files: ['wrong.ts'] }))
  const { stdout } = await run(tsc, ['-p', config]).catch((error: { stdout: string }) => error)
  t.match(stdout, /wrong\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/)
})

t.test('the README example is fifteen lines', async (t) => {
  const lines = readmeExample().trim().split('\n').length
  t.ok(lines <= 15, `${lines} lines`)
})

t.test("the server package's exports, the client's re-export included, are in the files its tarball or git install carries", async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>>; files: string[] }
  const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
  const carried = (path: string) => path === './package.json' || manifest.files.some((entry) => path.slice(2) === entry || path.slice(2).startsWith(`${entry}/`))
  t.same(targets.filter((path) => !carried(path)), [], 'no export points outside `files`')
  t.ok(targets.length >= 7, `${targets.length} export targets`)
})
