/**
 * The workspace's layout rules (issue 17), checked on the source so that a slip fails here and not in a user's
 * install: the engine imports nothing but itself and Node's builtins and has no runtime dependencies; the applications
 * reach the library and the engine only through their public entry points; no hand-written source file passes 700
 * lines (the event classes, generated reference data, may).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs"
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
          /^(effect-openai-webhooks|effect4-openai-webhooks|openai-webhooks-engine)\//.test(specifier)
        )
        .map((specifier) => `${where(file)}: ${specifier}`)
    )
    assert.deepStrictEqual(reaching, [])
  })

  it("are linked as a command by npm ci: npx openai-webhooks runs this repository's, never the registry's", () => {
    // npm links bins before `prepare` builds dist/cli.js, and skips a bin whose file is missing: `prepare` links it
    // again once built. Without the link, npx asks the registry for a package named openai-webhooks.
    const bin = join(root, "node_modules", ".bin", "openai-webhooks")
    assert.isTrue(existsSync(bin), `${bin} is missing: run npm ci (prepare links it)`)
    assert.strictEqual(realpathSync(bin), join(root, "packages", "cli", "dist", "cli.js"))
  })

  it("run on the Effect 4 edition alone: nothing of the Effect 3 edition or of Effect 3's own packages", () => {
    const cli = join(root, "packages", "cli", "src")
    const effect3 = sources(cli).flatMap((file) =>
      specifiers(file)
        .filter((specifier) => /^(effect-openai-webhooks|@effect\/(platform|sql|cli)(\/|$))/.test(specifier))
        .map((specifier) => `${where(file)}: ${specifier}`)
    )
    assert.deepStrictEqual(effect3, [])
    const manifest = JSON.parse(readFileSync(join(root, "packages", "cli", "package.json"), "utf8"))
    assert.match(manifest.dependencies.effect, /^~4\./)
    const edition = JSON.parse(readFileSync(join(root, "packages", "effect4", "package.json"), "utf8"))
    assert.strictEqual(manifest.dependencies["effect4-openai-webhooks"], edition.version)
  })
})

describe("every hand-written source file", () => {
  it("has at most 700 lines", () => {
    const generated = new Set([
      join(root, "src", "WebhookEvent.ts"),
      join(root, "packages", "effect4", "src", "WebhookEvent.ts")
    ])
    const folders = [
      join(root, "src"),
      join(root, "packages", "engine", "src"),
      join(root, "packages", "effect4", "src"),
      join(root, "packages", "cli", "src")
    ]
    const long = folders.flatMap(sources)
      .filter((file) => !generated.has(file))
      .map((file) => [where(file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 700)
    assert.deepStrictEqual(long, [])
  })
})

describe("the version", () => {
  // One version for the four packages (CHANGELOG.md); an export's `@since` names the version that first had it, so
  // none may name a version later than its package's own (a `@since 0.2.0` on a 0.1.0 package tells users it is
  // not there yet).
  const parse = (version: string) => version.split(".").map(Number)
  const later = (a: string, b: string) => {
    const [x, y] = [parse(a), parse(b)]
    for (let i = 0; i < 3; i++) if (x[i]! !== y[i]!) return x[i]! > y[i]!
    return false
  }
  const packages = [root, join(root, "packages", "engine"), join(root, "packages", "effect4"), join(root, "packages", "cli")]
  const version = (dir: string): string => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version

  it("is the same for the four packages (the CHANGELOG's newest section: test/edge-packaging.test.ts)", () => {
    assert.deepStrictEqual(packages.map(version), packages.map(() => version(root)))
  })

  it("is never earlier than a @since in a package's source", () => {
    const ahead = packages.flatMap((dir) =>
      sources(join(dir, "src")).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/@since (\d+\.\d+\.\d+)/g)]
          .filter((match) => later(match[1]!, version(dir)))
          .map((match) => `${where(file)}: @since ${match[1]} > ${version(dir)}`)
      )
    )
    assert.deepStrictEqual(ahead, [])
  })
})
