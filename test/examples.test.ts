/**
 * The README's snippets are the files in examples/: each appears in the README verbatim, type-checks
 * with the rest of the project, and does what the README says when run.
 */
import { readdir, readFile } from "node:fs/promises"
import { resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger } from "effect"
import { Webhooks, WebhookTesting } from "effect-openai-webhooks"
import * as config from "../examples/config.js"
import { family } from "../examples/exhaustive.js"
import { program } from "../examples/unwrap.js"

const root = resolve(import.meta.dirname, "..")

const captureLogs = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => lines.push((message as Array<unknown>).map(String).join(" ")))
    yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return lines
  })

describe("examples", () => {
  it("appear verbatim in the README", async () => {
    const readme = await readFile(resolve(root, "README.md"), "utf8")
    const files = (await readdir(resolve(root, "examples"))).filter((file) => file.endsWith(".ts"))
    assert.isAbove(files.length, 2)
    for (const file of files) {
      const source = await readFile(resolve(root, "examples", file), "utf8")
      assert.include(readme, "```ts\n" + source + "```", `README.md should show examples/${file} verbatim`)
    }
  })

  it.live("unwrap.ts verifies, decodes and dispatches a signed delivery", () =>
    Effect.gen(function*() {
      const lines = yield* captureLogs(program)
      assert.deepStrictEqual(lines, ["response resp_abc123 completed"])
    }))

  it("exhaustive.ts names the family of every event type", () => {
    const families = WebhookTesting.samples().map(family)
    assert.strictEqual(families.length, 32)
    assert.strictEqual(families.filter((name) => name === "agents").length, 9)
    assert.strictEqual(families.filter((name) => name === "calls").length, 3)
    assert.notInclude(families, undefined)
  })

  it.live("config.ts reads several secrets from OPENAI_WEBHOOK_SECRET and honours a wider tolerance", () =>
    Effect.gen(function*() {
      const a = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
      const b = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      const signed = yield* WebhookTesting.sign({ payload: "{}", secret: b, timestamp: new Date(Date.now() - 8 * 60_000) })
      const provider = ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", `${a} ${b}`]]))
      const live = config.SecretLive.pipe(Layer.provide(Layer.setConfigProvider(provider)))
      const headers = new Headers(signed.headers)
      const lenient = yield* config.verifyLenient(signed.body as string, headers).pipe(Effect.provide(live))
      assert.strictEqual(lenient.id, signed.headers["webhook-id"])
      const strict = yield* Webhooks.verify(signed.body, headers).pipe(Effect.flip, Effect.provide(live))
      assert.strictEqual(strict.reason, "TimestampTooOld")
    }))
})
