/**
 * The Effect 4 edition's README snippets are the files in packages/effect4/examples/: each type-checks with the
 * edition, does what the README says when run, and is either shown in the README verbatim or is, line for line, the
 * Effect 3 edition's example of the same name with only the package's name changed (the README says so instead of
 * showing the same code twice).
 */
import { readdir, readFile } from "node:fs/promises"
import { resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger } from "effect"
import { Webhooks, WebhookTesting } from "effect4-openai-webhooks"
import * as config from "../examples/config.js"
import { family } from "../examples/exhaustive.js"
import { program } from "../examples/unwrap.js"

const here = resolve(import.meta.dirname, "..")
const root = resolve(here, "..", "..")

/** The messages `effect` logs, joined as the console shows them. */
const captureLogs = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) =>
      lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
    )
    yield* effect.pipe(Effect.provide(Logger.layer([logger])))
    return lines
  })

describe("the Effect 4 edition's examples", () => {
  it("appear in the README verbatim, or are the Effect 3 edition's with only the import changed", async () => {
    const readme = await readFile(resolve(root, "README.md"), "utf8")
    const files = (await readdir(resolve(here, "examples"))).filter((file) => file.endsWith(".ts"))
    assert.isAbove(files.length, 2)
    for (const file of files) {
      const source = await readFile(resolve(here, "examples", file), "utf8")
      if (readme.includes("```ts\n" + source + "```")) continue
      const effect3 = await readFile(resolve(root, "examples", file), "utf8").catch(() => "")
      assert.strictEqual(
        source,
        effect3.replaceAll(`from "effect-openai-webhooks"`, `from "effect4-openai-webhooks"`),
        `packages/effect4/examples/${file} is neither in README.md nor examples/${file} with the import changed`
      )
      assert.include(readme, `packages/effect4/examples/${file}`, `README.md should name packages/effect4/examples/${file}`)
    }
  })

  it.live("unwrap.ts verifies, decodes and dispatches a signed delivery", () =>
    Effect.gen(function*() {
      const lines = yield* captureLogs(program)
      assert.deepStrictEqual(lines, ["response resp_abc123 completed"])
    }))

  it("exhaustive.ts names the family of every event type", () => {
    const families = WebhookTesting.samples().map(family)
    assert.strictEqual(families.length, 33)
    assert.strictEqual(families.filter((name) => name === "agents").length, 9)
    assert.strictEqual(families.filter((name) => name === "calls").length, 4)
    assert.notInclude(families, undefined)
  })

  it.live("config.ts reads several secrets from OPENAI_WEBHOOK_SECRET and honours a wider tolerance", () =>
    Effect.gen(function*() {
      const a = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
      const b = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      const signed = yield* WebhookTesting.sign({ payload: "{}", secret: b, timestamp: new Date(Date.now() - 8 * 60_000) })
      const provider = ConfigProvider.fromEnv({ env: { OPENAI_WEBHOOK_SECRET: `${a} ${b}` } })
      const live = config.SecretLive.pipe(Layer.provide(ConfigProvider.layer(provider)))
      const headers = new Headers(signed.headers)
      const lenient = yield* config.verifyLenient(signed.body as string, headers).pipe(Effect.provide(live))
      assert.strictEqual(lenient.id, signed.headers["webhook-id"])
      const strict = yield* Webhooks.verify(signed.body, headers).pipe(Effect.flip, Effect.provide(live))
      assert.strictEqual(strict.reason, "TimestampTooOld")
      const other = config.OtherSecret.pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { MY_APP_OPENAI_WEBHOOK_SECRET: b } })))
      )
      const fresh = yield* WebhookTesting.sign({ payload: "{}", secret: b })
      const verified = yield* Webhooks.verify(fresh.body, fresh.headers).pipe(Effect.provide(other))
      assert.strictEqual(verified.id, fresh.headers["webhook-id"])
    }))
})
