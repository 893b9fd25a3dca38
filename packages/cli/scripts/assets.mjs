// What the build does that tsc does not: the command made executable. Run by `npm run build` here and by the root's
// build (so `npm start`'s prestart) after `tsc -b`.
import { chmodSync } from "node:fs"
import { fileURLToPath } from "node:url"

chmodSync(fileURLToPath(new URL("../dist/cli.js", import.meta.url)), 0o755)
