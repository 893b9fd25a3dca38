/**
 * The Effect 4 edition's source, held to the workspace's rules: it imports `effect`, the engine and itself, and at
 * run time no `node:` module (so that edge runtimes load it; `node:fs` is found with `process.getBuiltinModule`); each
 * public export says since when it exists, never before this edition's first release; no hand-written file passes 700
 * lines (the generated event classes may).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const root = resolve(import.meta.dirname, "..")
const src = join(root, "src")

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

/** The modules a file imports at run time (type-only imports are erased). */
const runtimeImports = (text: string): ReadonlyArray<string> => [
  ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^"'`;]*?\bfrom\s+"([^"]+)"/gm)].map((m) => m[1]!),
  ...[...text.matchAll(/(?<!typeof )\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!)
]

describe("the Effect 4 edition's source", () => {
  it("imports effect, the engine and itself, and no node: module at run time", () => {
    const outside = sources(src).flatMap((file) =>
      runtimeImports(readFileSync(file, "utf8"))
        .filter((specifier) =>
          !specifier.startsWith("./") && !specifier.startsWith("../") && specifier !== "openai-webhooks-engine" &&
          specifier !== "effect" && !specifier.startsWith("effect/")
        )
        .map((specifier) => `${relative(root, file)}: ${specifier}`)
    )
    assert.deepStrictEqual(outside, [])
  })

  it("documents every export of its public modules, @since 0.4.0 or later", () => {
    const faults: Array<string> = []
    for (const file of readdirSync(src).filter((name) => name.endsWith(".ts")).map((name) => join(src, name))) {
      const text = readFileSync(file, "utf8")
      // An overload's implementation (a name met before) carries no JSDoc of its own.
      const seen = new Set<string>()
      for (const match of text.matchAll(/^export (?:declare )?(?:const|class|type|interface|function) (\w+)/gm)) {
        if (seen.has(match[1]!)) continue
        seen.add(match[1]!)
        const before = text.slice(0, match.index)
        const doc = before.endsWith("*/\n") ? before.slice(before.lastIndexOf("/**")) : ""
        const since = /@since (\d+)\.(\d+)\.\d+/.exec(doc)
        if (since === null || (Number(since[1]) === 0 && Number(since[2]) < 4)) {
          faults.push(`${relative(root, file)}: ${match[1]}`)
        }
      }
    }
    assert.deepStrictEqual(faults, [])
  })

  it("has no hand-written file over 700 lines", () => {
    const long = sources(src)
      .filter((file) => !file.endsWith("WebhookEvent.ts"))
      .filter((file) => readFileSync(file, "utf8").split("\n").length > 700)
    assert.deepStrictEqual(long, [])
  })
})
