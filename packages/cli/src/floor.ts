/**
 * The Node.js the applications need, checked by each entry point before it runs anything: the floor of this
 * package's `engines` (`>=22.19.0`: Effect 4's, and `node:sqlite`'s, the embedded inbox's driver). npm only warns
 * (EBADENGINE) when it installs the package on an older Node.js, which then fails later and for another reason (`No
 * such built-in module: node:sqlite`, hinting a reinstall that cannot help). Below the floor the entry point prints
 * `error:` and `hint:` (the command to run it on Node.js 24 from the npm registry instead) and exits 2.
 */
import { readFileSync } from "node:fs"

/** This package's `engines.node`, read from its manifest beside `dist/` (or `src/`). */
export const range: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).engines.node

/** Whether Node.js `version` (`process.versions.node`, `20.20.2`) is below `range` (`>=major.minor.patch`). */
export const below = (version: string, floor: string = range): boolean => {
  const wanted = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(floor)
  if (wanted === null) throw new Error(`engines.node should read >=major.minor.patch, not ${floor}`)
  const [have, need] = [version.split(".").map(Number), wanted.slice(1).map(Number)]
  for (let i = 0; i < 3; i++) if (have[i]! !== need[i]!) return have[i]! < need[i]!
  return false
}

/** What an entry point prints on a Node.js below the floor: the rerun command is this very process's, on Node 24. */
export const refusal = (program: string, argv: ReadonlyArray<string> = process.argv): string =>
  `error: ${program} needs Node.js ${range} (Effect 4's floor, and node:sqlite's); this is ${process.version}\n` +
  `hint: install Node.js 24 (https://nodejs.org), or run this on Node.js 24 from the npm registry: ` +
  `npx -y node@24 ${argv.slice(1).join(" ")}\n`

/** Exits 2 with {@link refusal} below the floor; returns otherwise. */
export const check = (program: string): void => {
  if (!below(process.versions.node)) return
  process.stderr.write(refusal(program))
  process.exit(2)
}
