import type { FastifyBaseLogger } from 'fastify'

type Options = {
  /** Drains the service: ends streams, waits for requests in flight, closes the pool. */
  close: () => Promise<void>
  timeoutSeconds: number
  log: FastifyBaseLogger
}

const sameSignalWindowMs = 500

/**
 * SIGTERM or SIGINT closes the service and exits 0 once it has drained; exits 1 when draining takes more
 * than `timeoutSeconds` (a request that never finishes arriving), fails, or a second signal comes (later than half a second after the first).
 */
export function closeOnSignals({ close, timeoutSeconds, log }: Options): void {
  let firstSignalAt: number | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // Ctrl-C on `npm start` reaches the server twice at once: from the terminal and forwarded by npm.
      if (Date.now() - firstSignalAt < sameSignalWindowMs) return
      log.error({ signal }, 'second signal while shutting down: exiting now')
      process.exit(1)
    }
    firstSignalAt = Date.now()
    log.info({ signal, timeoutSeconds }, 'shutting down: draining requests in flight')
    // Left referenced on purpose: if draining hangs with nothing else pending, this still ends the process with 1.
    setTimeout(() => {
      log.error({ timeoutSeconds }, 'shutdown did not drain within SHUTDOWN_TIMEOUT_SECONDS: exiting 1')
      process.exit(1)
    }, timeoutSeconds * 1000)
    close().then(
      () => {
        log.info('shut down')
        process.exit(0)
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed: exiting 1')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
