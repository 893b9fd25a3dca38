// One copy of each Effect 4 package in this repository. The root is the Effect 3 edition (effect 3), so npm installs
// effect 4 and its companions once per workspace that needs them: under packages/effect4/node_modules (the edition's
// devDependencies) and under packages/cli/node_modules (the applications' dependencies). Two copies of effect 4 in one
// process do not mix: Effect 4 keeps a Redacted's value in a table private to its copy, so a secret made by one copy
// ("Unable to get redacted value") cannot be read by the other. A user's install has one copy (effect is the edition's
// peer); this makes the repository's match it: every package both folders hold at the same version becomes, under
// packages/cli/node_modules, a link to the edition's. Run by `prepare` (after every npm ci and npm install) and by CI
// after it installs other versions; it says what it linked, and fails when the two folders hold different versions of
// effect (a lockfile to fix, not something to link over).
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const edition = join(root, "packages", "effect4", "node_modules")
const applications = join(root, "packages", "cli", "node_modules")

/** The top-level packages of a node_modules folder: `name` and `@scope/name`. */
const packagesOf = (dir) =>
  existsSync(dir)
    ? readdirSync(dir).flatMap((entry) =>
      entry.startsWith(".") ? [] : entry.startsWith("@") ? readdirSync(join(dir, entry)).map((name) => `${entry}/${name}`) : [entry]
    )
    : []

const versionOf = (dir) => {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version
  } catch {
    return undefined
  }
}

const linked = []
for (const name of packagesOf(applications)) {
  const own = join(applications, name)
  const shared = join(edition, name)
  if (lstatSync(own).isSymbolicLink() || !existsSync(shared) || lstatSync(shared).isSymbolicLink()) continue
  const [a, b] = [versionOf(own), versionOf(shared)]
  if (a === undefined || a !== b) {
    if (name === "effect") throw new Error(`effect ${a} under packages/cli but ${b} under packages/effect4: one version`)
    continue
  }
  rmSync(own, { recursive: true, force: true })
  symlinkSync(relative(join(own, ".."), shared), own, "dir")
  linked.push(`${name}@${a}`)
}
if (linked.length > 0) console.log(`dedupe-effect4: packages/cli/node_modules links to the edition's ${linked.join(", ")}`)
