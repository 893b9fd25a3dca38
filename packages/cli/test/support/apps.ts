/**
 * The two applications' entry points, found from this file rather than from the working directory: the tests run
 * from the repository's root, and the command and the receiver live in this package. `dist/` is what `npm run build`
 * makes (the tests that run it build first); `src/` is run by Node through tsx, needing no build of this package.
 */
import { fileURLToPath } from "node:url"

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

/** The built `openai-webhooks` command (`bin` in package.json). */
export const CLI = here("../../dist/cli.js")

/** The built receiver, what `npm start` runs. */
export const RECEIVER = here("../../dist/receiver.js")

/** A built module of this package, by its path under `dist/` (for a fresh `node` to import). */
export const built = (path: string): string => here(`../../dist/${path}`)

/** The command's source, for `node --import tsx`. */
export const CLI_SOURCE = here("../../src/cli.ts")

/** The receiver's source, for `node --import tsx`. */
export const RECEIVER_SOURCE = here("../../src/receiver.ts")
