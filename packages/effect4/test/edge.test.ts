/**
 * The Effect 4 edition on edge runtimes, as the Effect 3 edition's test/edge.test.ts checks its own, with the same
 * harness (the engine's `test/support/workerd.ts`): the import graph of the built package (what a bundler sees), and
 * the README's Worker (examples/worker.ts) bundled as wrangler bundles it and run in a real workerd without
 * `nodejs_compat`, where verification runs on Web Crypto.
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { WebhookHttp, WebhookTesting } from "effect4-openai-webhooks"
import { apiWorker, nodeImports, type Served, serveWorkers } from "../../engine/test/support/workerd.js"

const here = resolve(import.meta.dirname, "..")
const secret = "whsec_RmllbGRUdXJuM01hZGVVcEtleUZvclRlc3RzMzJiIQ=="
const forged = "whsec_Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkISE="

describe("the built Effect 4 edition's import graph", () => {
  // Not even by import("node:..."): wrangler and Next.js follow a literal dynamic import too, and fail on it.
  it("effect4-openai-webhooks: no module its entry loads imports node: (statically, or by a literal import())", async () => {
    const entry = resolve(here, "dist/index.js")
    assert.isTrue(existsSync(entry), `${entry} is built (npm run build)`)
    assert.deepStrictEqual(await nodeImports(entry), [])
  })
})

describe("the Effect 4 edition's Worker in workerd, without nodejs_compat", () => {
  let served: Served<"main" | "api"> | undefined
  let url = ""
  const output = () => served?.output() ?? ""

  beforeAll(async () => {
    // Bundled from the built package, as in a user's project: the edition's dist/ and effect 4 from its node_modules.
    served = await serveWorkers({
      main: { entry: resolve(here, "examples/worker.ts"), bindings: { OPENAI_WEBHOOK_SECRET: secret } },
      api: { entry: { contents: apiWorker("effect4-openai-webhooks", secret), resolveDir: here } }
    })
    url = `${served.origins.main}${WebhookHttp.defaultPath}`
  }, 60_000)

  afterAll(() => served?.stop())

  const post = async (signingSecret: string, id: string) => {
    const event = WebhookTesting.samples()[0]!
    const signed = await Effect.runPromise(WebhookTesting.sign({ secret: signingSecret, id, event }))
    return fetch(url, { method: "POST", headers: signed.headers, body: signed.body })
  }

  it("is bundled with no import of a node: module, from the edition's dist/ and effect 4", async () => {
    assert.deepStrictEqual(await nodeImports(resolve(here, "examples/worker.ts")), [])
  })

  it("answers 200 to a signed delivery, verified on Web Crypto", async () => {
    const response = await post(secret, "msg_edge4_signed")
    assert.strictEqual(response.status, 200, output())
    assert.deepStrictEqual(await response.json(), { received: true })
    assert.notMatch(output(), /No such module|node:crypto/)
  })

  it("answers 401 to a forged one", async () => {
    const response = await post(forged, "msg_edge4_forged")
    assert.strictEqual(response.status, 401)
  })

  it("answers 405 to a GET", async () => {
    const response = await fetch(url)
    assert.strictEqual(response.status, 405)
    assert.strictEqual(response.headers.get("allow"), "POST")
  })

  it("runs Webhooks.unwrap and verify and WebhookTesting.sign there, on Web Crypto", async () => {
    const response = await fetch(`${served!.origins.api}/`)
    assert.strictEqual(response.status, 200, output())
    const found = await response.json() as { tag: string; refused: string; id: string; synchronous: boolean }
    assert.include(found, { tag: WebhookTesting.samples()[0]!._tag, refused: "NoMatchingSignature", synchronous: false })
    assert.match(found.id, /^msg_[0-9a-f]{32}$/)
  })
})
