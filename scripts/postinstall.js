// Applies patches/ when this project is installed for itself (npm ci or npm install here, in any subdirectory or
// with --prefix). Installed as a dependency (a frontend's install of the client, inside its node_modules), the
// packages it would patch belong to that project: leave them. Plain JavaScript: it runs before tsx may be installed.
import { spawnSync } from 'node:child_process'
import { sep } from 'node:path'

if (!process.cwd().split(sep).includes('node_modules')) {
  const { status } = spawnSync('npx', ['--no-install', 'patch-package'], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
