/**
 * Removes from `dist/` what no file of `src/` produces any more: the output of a module that was deleted or renamed,
 * which `tsc` leaves behind and `npm pack` would ship. Run by each package's build after `tsc`, from the package's
 * folder. It never empties `dist/` first: tests run the receivers from `dist/` while another packs, and a build that
 * emptied it took their files away mid-run; a stale file is one nothing imports, so removing it breaks nothing.
 *
 * Kept: `X.js`, `X.js.map`, `X.d.ts`, `X.d.ts.map` of a `src/X.ts`; a file copied from `src/` at the same path (the
 * inspector's page); `.tsbuildinfo`. Says what it removed on stderr (stdout is `npm pack --json`'s).
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs"
import { join, relative } from "node:path"

const OUTPUT = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/

const produced = (root, path) => {
  const output = OUTPUT.exec(path)
  return (output !== null && existsSync(join(root, "src", `${output[1]}.ts`))) || existsSync(join(root, "src", path))
}

const prune = (root, folder) => {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name)
    if (entry.isDirectory()) {
      prune(root, path)
      if (readdirSync(path).length === 0) rmdirSync(path)
    } else if (entry.name !== ".tsbuildinfo" && !produced(root, relative(join(root, "dist"), path))) {
      rmSync(path)
      console.error(`prune-dist: removed ${path}, which no source produces`)
    }
  }
}

// Each folder named on the command line (a package's), else the current one.
for (const root of process.argv.length > 2 ? process.argv.slice(2) : ["."]) {
  const dist = join(root, "dist")
  if (existsSync(dist)) prune(root, dist)
}
