import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

const sourceServer = new URL('../src/server.ts', import.meta.url).pathname
const compiledServer = new URL('../dist/server.js', import.meta.url).pathname

/** How to run the server: from the TypeScript sources through tsx, or the build in dist/ with plain node. */
export type ServerEntry = 'source' | 'compiled'

export type ServerProcess = { baseUrl: string; pid: number; child: ChildProcess; stop: () => Promise<void> }

/** A TCP port of 127.0.0.1 that nothing listens on now, for a server process about to start. */
export async function freePort(): Promise<number> {
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as { port: number }
  probe.close()
  await once(probe, 'close')
  return port
}

/**
 * The service as its own process (as an operator runs it) on a free port of 127.0.0.1, ready once
 * `/health` answers 200. Used where one process is not enough: several instances, or measuring the
 * server apart from its load. `output: 'pipe'` hands its standard output and error to the caller, who must read them;
 * `entry: 'compiled'` runs `dist/server.js` (after `npm run build`); `nodeArguments` go to node (`--cpu-prof`).
 */
export async function startServerProcess(
  environment: Record<string, string>,
  { output = 'inherit', entry = 'source', nodeArguments = [] }: { output?: 'inherit' | 'pipe'; entry?: ServerEntry; nodeArguments?: string[] } = {},
): Promise<ServerProcess> {
  const args = [...nodeArguments, ...(entry === 'compiled' ? [compiledServer] : ['--import', 'tsx', sourceServer])]
  // The compiled server gets no loader: NODE_OPTIONS may carry tsx's hooks from `npm run`.
  const loader: Record<string, string> = entry === 'compiled' ? { NODE_OPTIONS: '' } : {}
  return startHttpProcess(args, { LOG_LEVEL: 'warn', ...loader, ...environment }, output)
}

/** Any node program serving HTTP on HOST and PORT (given here) with a `/health` route, ready once it answers 200. */
export async function startHttpProcess(args: string[], environment: Record<string, string>, output: 'inherit' | 'pipe' = 'inherit'): Promise<ServerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, args, {
    env: { ...process.env, HOST: '127.0.0.1', ...environment, PORT: String(port) },
    stdio: ['ignore', output, output],
  })
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await exited
  }
  const baseUrl = `http://127.0.0.1:${port}`
  for (const started = Date.now(); Date.now() - started < 60_000; ) {
    if (child.exitCode !== null) break
    const healthy = await fetch(`${baseUrl}/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return { baseUrl, pid: child.pid!, child, stop }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await stop()
  throw new Error(`the server on port ${port} did not become healthy`)
}
