/**
 * The manifest `npm pack` reads, and the one this repository keeps.
 *
 * In the repository the command depends on the library as `file:../..`: the library is the workspace's root, which
 * npm cannot link to a workspace by name. A tarball must not say `file:` (it would point into the user's disk), so
 * `prepack` (`node scripts/manifest.mjs pack`) rewrites every `file:` dependency to `^<that package's version>` and
 * keeps the original beside it, and `postpack` (`node scripts/manifest.mjs restore`) puts the original back. A pack
 * that died between the two leaves the copy behind: the next `pack` starts from it, `restore` puts it back.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = fileURLToPath(new URL("..", import.meta.url))
const manifest = resolve(here, "package.json")
const original = resolve(here, "package.json.repository")

const FIELDS = ["dependencies", "optionalDependencies", "peerDependencies"]

const pack = () => {
  const text = readFileSync(existsSync(original) ? original : manifest, "utf8")
  const json = JSON.parse(text)
  for (const field of FIELDS) {
    for (const [name, range] of Object.entries(json[field] ?? {})) {
      if (!range.startsWith("file:")) continue
      const { name: target, version } = JSON.parse(
        readFileSync(resolve(here, range.slice("file:".length), "package.json"), "utf8")
      )
      if (target !== name) throw new Error(`${field}.${name} is ${range}, whose package is ${target}`)
      json[field][name] = `^${version}`
    }
  }
  writeFileSync(original, text)
  writeFileSync(manifest, JSON.stringify(json, null, 2) + "\n")
}

const restore = () => {
  if (existsSync(original)) renameSync(original, manifest)
}

const command = process.argv[2]
if (command === "pack") pack()
else if (command === "restore") restore()
else throw new Error(`usage: node scripts/manifest.mjs pack|restore (not ${command})`)
