// Applies patches/ when this project is installed for itself (npm ci, npm install here). Installed as a dependency
// (a frontend's `npm install` of the client), the packages it would patch belong to that project: leave them.
// Plain JavaScript: it runs before tsx may be installed.
import { spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'

const installedHere = realpathSync(process.env.INIT_CWD ?? process.cwd()) === realpathSync(process.cwd())
if (installedHere) {
  const { status } = spawnSync('npx', ['--no-install', 'patch-package'], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
