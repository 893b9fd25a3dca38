/**
 * What the versions say: every `@since` tag of the packages' sources names a version that CHANGELOG.md has (0.2.0
 * included, whose number the manifest never carried: see the changelog), and the changelog has the sections the
 * history has, with the one in progress marked unreleased. And every package `npm ci` installs runs on the oldest Node
 * the manifests admit, so that it warns of none (fastify's light-my-request 6.8 brought cookie 2, which needs Node 22).
 */
import { readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join, resolve } from "node:path"
import { describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "..")
const changelog = readFileSync(resolve(root, "CHANGELOG.md"), "utf8")
const versions = [...changelog.matchAll(/^## (\d+\.\d+\.\d+)/gm)].map((match) => match[1]!)

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

describe("CHANGELOG.md", () => {
  it("has a section per version, newest first, the one in progress unreleased", () => {
    expect(versions).toEqual(["0.4.0", "0.3.0", "0.2.0", "0.1.0"])
    expect(changelog).toMatch(/^## 0\.4\.0 \(unreleased\)$/m)
    const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { version: string }
    // The packages carry the version in progress, so that its exports' `@since` tags are not ahead of it.
    expect(versions[0]).toBe(manifest.version)
  })

  it("has every version a @since tag names", () => {
    const files = ["src", "packages/engine/src", "packages/effect4/src", "packages/cli/src"].flatMap((dir) => sources(resolve(root, dir)))
    expect(files.length).toBeGreaterThan(20)
    for (const file of files) {
      for (const match of readFileSync(file, "utf8").matchAll(/@since (\S+)/g)) {
        expect(versions, `${file}: @since ${match[1]}`).toContain(match[1])
      }
    }
  })
})

const semver = createRequire(import.meta.url)("semver") as {
  satisfies: (version: string, range: string) => boolean
  minVersion: (range: string) => { readonly version: string } | null
}

describe("package-lock.json", () => {
  // The Effect 4 edition (packages/effect4) and the applications on it (packages/cli) need Node.js 22.19 (effect 4's
  // own floor, node:sqlite's, and vitest 5's): what is installed for them alone, under their node_modules, is held to
  // that floor; everything else to 20.19.
  it("installs nothing that refuses the oldest Node the manifests admit", () => {
    const oldestOf = (path: string) => {
      const manifest = JSON.parse(readFileSync(resolve(root, path), "utf8")) as { engines: { node: string } }
      return semver.minVersion(manifest.engines.node)!.version
    }
    const oldest = oldestOf("package.json")
    const oldest4 = oldestOf("packages/effect4/package.json")
    expect([oldest, oldest4, oldestOf("packages/cli/package.json")]).toEqual(["20.19.0", "22.19.0", "22.19.0"])
    const lock = JSON.parse(readFileSync(resolve(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | ReadonlyArray<string> }>
    }
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : (entry.engines as { node?: string } | undefined)?.node
      const floor = /^packages\/(effect4|cli)(\/|$)/.test(path) ? oldest4 : oldest
      return range === undefined || semver.satisfies(floor, range) ? [] : [`${path}@${entry.version}: ${range}`]
    })
    expect(refusing).toEqual([])
  })
})
