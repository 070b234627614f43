import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The console is served by the API at /console (built into web/dist) and by `npm run console:dev` for live
// editing. It imports the typed client as a frontend would (`@livechat-api/client`), built from source here.
export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  resolve: { alias: { '@livechat-api/client': fileURLToPath(new URL('../packages/client/src/index.ts', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // Served by the API, the console calls its own origin; under `console:dev` it calls the API on this machine.
  define: { 'import.meta.env.VITE_DEFAULT_API_URL': JSON.stringify(command === 'serve' ? (process.env.CONSOLE_API_URL ?? `http://localhost:${process.env.PORT ?? 3000}`) : '') },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1', port: Number(process.env.CONSOLE_PORT ?? 5173) },
}))
