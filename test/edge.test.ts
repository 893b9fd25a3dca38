/**
 * Edge runtimes: Cloudflare Workers without `nodejs_compat`, Vercel Edge and Next.js edge routes refuse a module that
 * imports `node:` at its top level. Two checks: the import graph of the built packages (what a bundler sees), and the
 * README's Worker (examples/worker.ts) bundled as wrangler bundles it and run in a real workerd, without
 * `nodejs_compat`, where verification runs on Web Crypto.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import { WebhookTesting } from "effect-openai-webhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "..")
const workerd = resolve(root, "node_modules/.bin/workerd")
const secret = "whsec_RmllbGRUdXJuM01hZGVVcEtleUZvclRlc3RzMzJiIQ=="

// What wrangler does for a Worker without nodejs_compat: ESM for the browser platform, the workerd conditions.
const bundleOptions: esbuild.BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  logLevel: "silent",
  write: false
}

/** Every import of a `node:` module in the graph of `entry`, with the module that makes it and how. */
const nodeImports = async (entry: string) => {
  const result = await esbuild.build({ ...bundleOptions, entryPoints: [entry], external: ["node:*"], metafile: true })
  return Object.entries(result.metafile!.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.path.startsWith("node:")).map((i) => ({ file, path: i.path, kind: i.kind }))
  )
}

describe("the built packages' import graph", () => {
  const entries = {
    "effect-openai-webhooks": resolve(root, "dist/index.js"),
    "openai-webhooks-engine": resolve(root, "packages/engine/dist/index.js")
  }
  for (const [name, entry] of Object.entries(entries)) {
    // Not even by import("node:..."): wrangler and Next.js follow a literal dynamic import too, and fail on it.
    it(`${name}: no module its entry loads imports node: (statically, or by a literal import())`, async () => {
      expect(existsSync(entry), `${entry} is built (npm run build)`).toBe(true)
      expect(await nodeImports(entry)).toEqual([])
    })
  }
})

const freePort = () =>
  new Promise<number>((resolvePort, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => typeof address === "object" && address !== null ? resolvePort(address.port) : reject())
    })
  })

// The library's Effect API inside the same workerd: sign (WebhookTesting), then verify and unwrap (Webhooks), on
// Web Crypto; the Worker answers what it found as JSON.
const apiWorker = `
import { Effect } from "effect"
import { Webhooks, WebhookSecret, WebhookTesting } from "effect-openai-webhooks"
import { Signature } from "openai-webhooks-engine"
const secret = "${secret}"
const forged = "whsec_Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkISE="
const program = Effect.gen(function*() {
  const event = WebhookTesting.samples()[0]
  const signed = yield* WebhookTesting.sign({ secret, event })
  const unwrapped = yield* Webhooks.unwrap(signed.body, signed.headers)
  const other = yield* WebhookTesting.sign({ secret: forged, event })
  const refused = yield* Effect.flip(Webhooks.verify(other.body, other.headers))
  const id = signed.headers["webhook-id"]
  return { tag: unwrapped._tag, refused: refused.reason, id, synchronous: Signature.synchronous }
}).pipe(Effect.provide(WebhookSecret.layer(secret)))
export default { fetch: () => Effect.runPromise(program).then((found) => Response.json(found)) }
`

describe("the README's Worker in workerd, without nodejs_compat", () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-worker-"))
  let url = ""
  let api = ""
  let output = ""
  let child: ReturnType<typeof spawn> | undefined

  beforeAll(async () => {
    // Bundled without marking node: external: an import of node: would fail here, as wrangler's bundle does. No
    // tsconfig paths: the packages resolve to their built dist/, as in a user's project.
    const entryPoints = [resolve(root, "examples/worker.ts")]
    const outfile = join(dir, "worker.js")
    await esbuild.build({ ...bundleOptions, entryPoints, outfile, write: true, tsconfigRaw: "{}" })
    await esbuild.build({
      ...bundleOptions,
      stdin: { contents: apiWorker, resolveDir: root, loader: "ts" },
      outfile: join(dir, "api.js"),
      write: true,
      tsconfigRaw: "{}"
    })
    const port = await freePort()
    const apiPort = await freePort()
    writeFileSync(
      join(dir, "config.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "api", worker = .api) ],
  sockets = [
    (name = "http", address = "127.0.0.1:${port}", http = (), service = "main"),
    (name = "api", address = "127.0.0.1:${apiPort}", http = (), service = "api"),
  ],
);
const api :Workerd.Worker = (
  modules = [ (name = "api.js", esModule = embed "api.js") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [],
  bindings = [ (name = "OPENAI_WEBHOOK_SECRET", text = "${secret}") ],
);
`
    )
    child = spawn(workerd, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
    child.stdout!.on("data", (chunk) => (output += chunk))
    child.stderr!.on("data", (chunk) => (output += chunk))
    url = `http://127.0.0.1:${port}/webhooks/openai`
    api = `http://127.0.0.1:${apiPort}/`
    // An external process: poll with a deadline until it listens (or has exited, saying why).
    const deadline = Date.now() + 20_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}:\n${output}`)
      const up = await fetch(url, { method: "GET" }).then(() => true, () => false)
      if (up) break
      if (Date.now() > deadline) throw new Error(`workerd did not listen within 20 s:\n${output}`)
      await new Promise((done) => setTimeout(done, 100))
    }
  }, 60_000)

  afterAll(() => {
    child?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  const post = (signed: WebhookTesting.Signed<string>) =>
    fetch(url, { method: "POST", headers: signed.headers, body: signed.body })

  const sample = (signingSecret: string, id: string) =>
    Effect.runPromise(WebhookTesting.sign({ secret: signingSecret, id, event: WebhookTesting.samples()[0]! }))

  it("answers 200 to a signed delivery, verified on Web Crypto", async () => {
    const response = await post(await sample(secret, "msg_edge_signed"))
    expect(response.status, output).toBe(200)
    expect(output).not.toMatch(/No such module|node:crypto/)
  })

  it("answers 401 to a forged one", async () => {
    const response = await post(await sample("whsec_Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkISE=", "msg_edge_forged"))
    expect(response.status).toBe(401)
  })

  it("runs Webhooks.unwrap and verify and WebhookTesting.sign there, on Web Crypto", async () => {
    const response = await fetch(api)
    expect(response.status, output).toBe(200)
    const found = await response.json() as { tag: string; refused: string; id: string; synchronous: boolean }
    const tag = WebhookTesting.samples()[0]!._tag
    expect(found).toMatchObject({ tag, refused: "NoMatchingSignature", synchronous: false })
    expect(found.id).toMatch(/^msg_[0-9a-f]{32}$/)
  })

  it("answers 405 to a GET", async () => {
    const response = await fetch(url)
    expect(response.status).toBe(405)
  })
})
