/**
 * What the versions say: every `@since` tag of the packages' sources names a version that CHANGELOG.md has (0.2.0
 * included, whose number the manifest never carried: see the changelog), and the changelog has the sections the
 * history has, with the one in progress marked unreleased.
 */
import { readdirSync, readFileSync } from "node:fs"
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
    expect(versions).toContain(manifest.version)
  })

  it("has every version a @since tag names", () => {
    const files = ["src", "packages/engine/src", "packages/cli/src"].flatMap((dir) => sources(resolve(root, dir)))
    expect(files.length).toBeGreaterThan(20)
    for (const file of files) {
      for (const match of readFileSync(file, "utf8").matchAll(/@since (\S+)/g)) {
        expect(versions, `${file}: @since ${match[1]}`).toContain(match[1])
      }
    }
  })
})
