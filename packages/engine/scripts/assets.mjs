// The engine's files that tsc does not write: the inspector's page (src/internal/inspector/assets), copied as they
// are into dist/, next to the module that reads them. Both editions serve it from here. Run by the engine's build
// and by the root's (and so by `npm start`'s prestart) after `tsc -b`.
import { cpSync } from "node:fs"
import { fileURLToPath } from "node:url"

const here = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url))
cpSync(here("src/internal/inspector/assets"), here("dist/internal/inspector/assets"), { recursive: true })
