import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

export type OutageMode =
  /** The server went away: every connection is reset and new ones are refused at once. */
  | 'reset'
  /** The network went silent: connections are accepted, but no byte gets through either way, so clients hang. */
  | 'blackhole'

export type TcpProxy = {
  /** `host:port` to put in a URL instead of the target's. */
  address: string
  cut: (mode: OutageMode) => void
  /** Ends the outage: new connections get through, and a silenced connection delivers what it held back. */
  restore: () => void
  close: () => Promise<void>
}

type Pair = { client: Socket; server: Socket; silenced: boolean; held: [Socket, Buffer][] }

/**
 * A TCP proxy on a free port of 127.0.0.1 to `target`, which can be cut to simulate a database outage
 * without stopping the database others share. A blackhole pauses both directions rather than dropping
 * bytes: like a partition that heals, TCP delivers them late, never loses them.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>()
  let outage: OutageMode | undefined

  // Forwarded by hand, not piped: a pipe resumes a paused source when its destination drains.
  function forward(pair: Pair, from: Socket, to: Socket) {
    from.on('data', (chunk: Buffer) => (pair.silenced ? pair.held.push([to, chunk]) : to.write(chunk)))
  }

  const proxy = createServer((client) => {
    if (outage === 'reset') return client.resetAndDestroy()
    const server = connect(target.port, target.host)
    const pair: Pair = { client, server, silenced: outage === 'blackhole', held: [] }
    pairs.add(pair)
    const forget = () => {
      pairs.delete(pair)
      client.destroy()
      server.destroy()
    }
    // Each side's end or failure ends the other, as a dropped connection would.
    for (const socket of [client, server]) {
      socket.on('error', forget)
      socket.on('close', forget)
    }
    forward(pair, client, server)
    forward(pair, server, client)
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  const { port } = proxy.address() as { port: number }

  return {
    address: `127.0.0.1:${port}`,
    cut(mode) {
      outage = mode
      for (const pair of pairs) {
        if (mode === 'reset') {
          pair.client.resetAndDestroy()
          pair.server.destroy()
        } else pair.silenced = true
      }
    },
    restore() {
      outage = undefined
      for (const pair of pairs) {
        pair.silenced = false
        for (const [to, chunk] of pair.held.splice(0)) to.write(chunk)
      }
    },
    async close() {
      for (const { client, server } of pairs) {
        client.destroy()
        server.destroy()
      }
      proxy.close()
      await once(proxy, 'close')
    },
  }
}
