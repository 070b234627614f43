import { buildApp } from './app.js'
import { ConfigError, isDevelopmentMode, loadConfig } from './config.js'
import { announceDevelopmentMode } from './development-mode.js'
import { closeOnSignals } from './platform/close-on-signals.js'

try {
  const config = loadConfig(process.env)
  const app = await buildApp(config)
  closeOnSignals({ close: () => app.close(), timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS, log: app.log })
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  if (isDevelopmentMode(config)) await announceDevelopmentMode(app.services.tenants, config, address)
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}
