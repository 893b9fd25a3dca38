// The files of the build that tsc does not write: the inspector's page, copied as they are, and the command made
// executable. Run by `npm run build` here and by the root's `npm start` after `tsc -b` (only what changed).
import { chmodSync, cpSync } from "node:fs"
import { fileURLToPath } from "node:url"

const here = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url))
cpSync(here("src/receiver/inspector"), here("dist/receiver/inspector"), { recursive: true })
chmodSync(here("dist/cli.js"), 0o755)
