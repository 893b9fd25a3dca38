/**
 * The workspace's layout rules (issue 17), checked on the source so that a slip fails here and not in a user's
 * install: the engine imports nothing but itself and Node's builtins and has no runtime dependencies; the applications
 * reach the library and the engine only through their public entry points; no hand-written source file passes 700
 * lines (the event classes, generated reference data, may).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const root = resolve(import.meta.dirname, "..")

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : /\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")
      ? [join(dir, entry.name)]
      : []
  )

/** Every module specifier a file imports or re-exports, statically or dynamically. */
const specifiers = (file: string): ReadonlyArray<string> => {
  const text = readFileSync(file, "utf8")
  const found: Array<string> = []
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^"'`;]*?\bfrom\s+"([^"]+)"/gm)) found.push(match[1]!)
  for (const match of text.matchAll(/^\s*import\s+"([^"]+)"/gm)) found.push(match[1]!)
  for (const match of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) found.push(match[1]!)
  return found
}

const where = (file: string) => relative(root, file)

describe("the engine", () => {
  const engine = join(root, "packages", "engine")

  it("imports only its own modules and Node's builtins: nothing from effect or @effect/*", () => {
    const outside = sources(join(engine, "src")).flatMap((file) =>
      specifiers(file)
        .filter((specifier) => !specifier.startsWith("./") && !specifier.startsWith("../") && !specifier.startsWith("node:"))
        .map((specifier) => `${where(file)}: ${specifier}`)
    )
    assert.deepStrictEqual(outside, [])
  })

  it("has no runtime dependencies", () => {
    const manifest = JSON.parse(readFileSync(join(engine, "package.json"), "utf8"))
    assert.deepStrictEqual(
      [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies],
      [undefined, undefined, undefined]
    )
  })
})

describe("the applications", () => {
  it("reach the library and the engine only through their public entry points, never their internals", () => {
    const cli = join(root, "packages", "cli", "src")
    const reaching = sources(cli).flatMap((file) =>
      specifiers(file)
        .filter((specifier) =>
          /^(\.\.\/)+(src|dist)\//.test(specifier) && !resolve(file, "..", specifier).startsWith(cli) ||
          /^(effect-openai-webhooks|openai-webhooks-engine)\//.test(specifier)
        )
        .map((specifier) => `${where(file)}: ${specifier}`)
    )
    assert.deepStrictEqual(reaching, [])
  })
})

describe("every hand-written source file", () => {
  it("has at most 700 lines", () => {
    const generated = new Set([join(root, "src", "WebhookEvent.ts")])
    const folders = [
      join(root, "src"),
      join(root, "packages", "engine", "src"),
      join(root, "packages", "cli", "src")
    ]
    const long = folders.flatMap(sources)
      .filter((file) => !generated.has(file))
      .map((file) => [where(file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 700)
    assert.deepStrictEqual(long, [])
  })
})
