// After `tsc -p tsconfig.build.json`: dist/server.js, the entry point an operator expects next to dist/src/.
// Plain JavaScript, so the build needs nothing but tsc and node.
import { writeFileSync } from 'node:fs'

writeFileSync(new URL('../dist/server.js', import.meta.url), "// Written by `npm run build`.\nimport './src/server.js'\n")
