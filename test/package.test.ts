/**
 * The package as users get it: `npm pack`, install the tarball in a throwaway project, import it
 * with plain `node` (no tsx) and type-check a consumer with `tsc`.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"

const run = promisify(execFile)
const root = resolve(import.meta.dirname, "..")
let project = ""

const consumer = `
import { Effect, Layer, Match } from "effect"
import { Webhooks, WebhookEvent, WebhookSecret, WebhookTesting } from "effect-openai-webhooks"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

const route = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
  Match.tag("response.completed", (event) => \`response \${event.data.id}\`),
  Match.tagStartsWith("batch.", (event) => \`batch \${event.data.id}\`),
  Match.orElse((event) => \`other \${event._tag}\`)
)

const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
const program = Webhooks.unwrap(signed.body, signed.headers).pipe(Effect.map(route))
const SecretLive: Layer.Layer<WebhookSecret.WebhookSecret, unknown> = WebhookSecret.layer(secret)
const out: string = await Effect.runPromise(Effect.provide(program, SecretLive))
console.log(out)
`

describe("the packed package", () => {
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-pack-"))
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: root })
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }]
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"))
    const version = (name: string) => manifest.devDependencies[name] as string
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" })
    )
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        join(project, filename),
        `effect@${version("effect")}`,
        `@effect/platform@${version("@effect/platform")}`,
        `typescript@${version("typescript")}`,
        `@types/node@${version("@types/node")}`
      ],
      { cwd: project }
    )
    await writeFile(join(project, "consumer.ts"), consumer)
  }, 240_000)

  afterAll(async () => {
    if (project !== "") await rm(project, { recursive: true, force: true })
  })

  it("type-checks a strict NodeNext consumer, whose output runs with plain node", async () => {
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          outDir: "out",
          types: ["node"]
        },
        files: ["consumer.ts"]
      })
    )
    const typecheck = await run("npx", ["tsc", "-p", "tsconfig.json"], { cwd: project }).then(
      () => "ok",
      (error: { stdout: string }) => error.stdout
    )
    assert.strictEqual(typecheck, "ok")
    const { stdout } = await run("node", ["out/consumer.js"], { cwd: project })
    assert.strictEqual(stdout.trim(), "response resp_abc123")
  })

  it("keeps internal modules private", async () => {
    const script = `import("effect-openai-webhooks/internal/signature.js").then(() => console.log("reachable"), (e) => console.log(e.code))`
    const { stdout } = await run("node", ["--input-type=module", "-e", script], { cwd: project })
    assert.strictEqual(stdout.trim(), "ERR_PACKAGE_PATH_NOT_EXPORTED")
  })

  it("ships compiled JavaScript, declarations and source maps, and no tests", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json"], { cwd: root })
    const [{ files }] = JSON.parse(stdout) as [{ files: Array<{ path: string }> }]
    const paths = files.map((file) => file.path)
    for (const path of ["dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/Webhooks.d.ts", "package.json"]) {
      assert.include(paths, path)
    }
    assert.isFalse(paths.some((path) => path.startsWith("test/") || path.startsWith("bench/")))
  })
})
