import type { Sql } from 'postgres'

type Callback = (sql: Sql) => unknown

/**
 * The postgres.js client with every parameterised statement prepared: drizzle asks postgres.js for an
 * unnamed statement unless a query is built with `.prepare(name)`, so PostgreSQL would parse and plan each
 * statement of each request again. Here postgres.js names each distinct statement text once per connection
 * and reuses it; statements without parameters keep the simple protocol. Transactions and savepoints
 * hand drizzle a client of the same kind.
 */
export function preparingClient(client: Sql): Sql {
  const unsafe = (query: string, parameters?: unknown[], options?: Record<string, unknown>) =>
    client.unsafe(query, parameters as never, parameters && parameters.length > 0 ? { ...options, prepare: true } : options)
  // The callback is always the last argument of begin(options?, callback) and savepoint(name?, callback).
  const withPreparingCallback =
    (method: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const callback = args.pop() as Callback
      return method(...args, (inner: Sql) => callback(preparingClient(inner)))
    }
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') return unsafe
      const value = Reflect.get(target, property, receiver)
      if ((property === 'begin' || property === 'savepoint') && typeof value === 'function') return withPreparingCallback(value.bind(target))
      return value
    },
  })
}
