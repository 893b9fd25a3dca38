/**
 * Edge runtimes: Cloudflare Workers without `nodejs_compat`, Vercel Edge and Next.js edge routes refuse a module that
 * imports `node:` at its top level. Two checks: the import graph of the built packages (what a bundler sees), and the
 * README's Worker (examples/worker.ts) bundled as wrangler bundles it and run in a real workerd, without
 * `nodejs_compat`, where verification runs on Web Crypto.
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { Effect } from "effect"
import { WebhookTesting } from "effect-openai-webhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { root } from "../packages/engine/test/support/process.js"
import { apiWorker, nodeImports, type Served, serveWorkers } from "../packages/engine/test/support/workerd.js"

const secret = "whsec_RmllbGRUdXJuM01hZGVVcEtleUZvclRlc3RzMzJiIQ=="

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

describe("the README's Worker in workerd, without nodejs_compat", () => {
  let served: Served<"main" | "api"> | undefined
  let url = ""
  let api = ""
  const output = () => served?.output() ?? ""

  beforeAll(async () => {
    // The README's Worker, and the library's Effect API inside the same workerd.
    served = await serveWorkers({
      main: { entry: resolve(root, "examples/worker.ts"), bindings: { OPENAI_WEBHOOK_SECRET: secret } },
      api: { entry: { contents: apiWorker("effect-openai-webhooks", secret), resolveDir: root } }
    })
    url = `${served.origins.main}/webhooks/openai`
    api = `${served.origins.api}/`
  }, 60_000)

  afterAll(() => served?.stop())

  const post = (signed: WebhookTesting.Signed<string>) =>
    fetch(url, { method: "POST", headers: signed.headers, body: signed.body })

  const sample = (signingSecret: string, id: string) =>
    Effect.runPromise(WebhookTesting.sign({ secret: signingSecret, id, event: WebhookTesting.samples()[0]! }))

  it("answers 200 to a signed delivery, verified on Web Crypto", async () => {
    const response = await post(await sample(secret, "msg_edge_signed"))
    expect(response.status, output()).toBe(200)
    expect(output()).not.toMatch(/No such module|node:crypto/)
  })

  it("answers 401 to a forged one", async () => {
    const response = await post(await sample("whsec_Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkISE=", "msg_edge_forged"))
    expect(response.status).toBe(401)
  })

  it("runs Webhooks.unwrap and verify and WebhookTesting.sign there, on Web Crypto", async () => {
    const response = await fetch(api)
    expect(response.status, output()).toBe(200)
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
