import { buildApp } from './app.js'
import { ConfigError, isDevelopmentMode, loadConfig } from './config.js'
import { announceDevelopmentMode } from './development-mode.js'

try {
  const config = loadConfig(process.env)
  const app = await buildApp(config)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down')
      void app.close().then(() => process.exit(0))
    })
  }
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  if (isDevelopmentMode(config)) await announceDevelopmentMode(app, config, address)
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}
