import { pipelineStage } from '../platform/pipeline-stage.js'

type Lifecycle = {
  /** Ends every stream with a reconnect hint and stops the timers. */
  stop: () => void
  /** Lets go of the bus and the database, after the last request. */
  close: () => Promise<void>
}

/**
 * The services live as long as the app. When it closes, open streams end with a reconnect hint before the server
 * stops taking connections, instead of holding the close. That comes after the shutdown gate has shut, so the
 * clients that reconnect at once are refused here and go to another instance.
 */
export const serviceLifecycle = pipelineStage<{ services: Lifecycle }>('service-lifecycle', ['shutdown-gate'], async (app, { services }) => {
  app.addHook('preClose', async () => services.stop())
  app.addHook('onClose', () => services.close())
})
