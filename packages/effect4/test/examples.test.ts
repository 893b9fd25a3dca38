/**
 * The Effect 4 edition's README snippets are the files in packages/effect4/examples/: each type-checks with the
 * edition, does what the README says when run, and is either shown in the README verbatim or is, line for line, the
 * Effect 3 edition's example of the same name with only the package's name changed (the README says so instead of
 * showing the same code twice).
 */
import { readdir, readFile } from "node:fs/promises"
import type { AddressInfo } from "node:net"
import { resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger } from "effect"
import { WebhookHttp } from "effect4-openai-webhooks"
import { Webhooks, WebhookTesting } from "effect4-openai-webhooks"
import * as config from "../examples/config.js"
import * as nodeListener from "../examples/node-listener.js"
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

describe("the Effect 4 edition's HTTP examples", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  const url = `http://127.0.0.1${WebhookHttp.defaultPath}`

  // Both read OPENAI_WEBHOOK_SECRET through WebhookSecret.layerConfig(), from the process's environment.
  const withSecret = async <A>(run: () => Promise<A>): Promise<A> => {
    const before = process.env["OPENAI_WEBHOOK_SECRET"]
    process.env["OPENAI_WEBHOOK_SECRET"] = secret
    try {
      return await run()
    } finally {
      if (before === undefined) delete process.env["OPENAI_WEBHOOK_SECRET"]
      else process.env["OPENAI_WEBHOOK_SECRET"] = before
    }
  }

  it("web-handler.ts is a fetch handler: 200 for a signed delivery, 401 for a forged one, 405 for a GET", () =>
    withSecret(async () => {
      // Imported here: its layer reads the secret when the first request builds it.
      const { handler, dispose } = await import("../examples/web-handler.js")
      try {
        const signed = await Effect.runPromise(
          WebhookTesting.sign({ event: WebhookTesting.sample("response.completed"), secret })
        )
        const ok = await handler(new Request(url, { method: "POST", body: signed.body, headers: signed.headers }))
        assert.strictEqual(ok.status, 200, await ok.text())
        const forged = await handler(
          new Request(url, { method: "POST", body: `${signed.body} `, headers: signed.headers })
        )
        assert.strictEqual(forged.status, 401)
        const get = await handler(new Request(url))
        assert.strictEqual(get.status, 405)
      } finally {
        await dispose()
      }
    }))

  it("node-listener.ts gives a node:http server that answers deliveries", () =>
    withSecret(async () => {
      const server = await Effect.runPromise(nodeListener.program)
      await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening))
      try {
        const { port } = server.address() as AddressInfo
        const signed = await Effect.runPromise(
          WebhookTesting.sign({ event: WebhookTesting.sample("batch.completed"), secret })
        )
        const answer = await fetch(`http://127.0.0.1:${port}${WebhookHttp.defaultPath}`, {
          method: "POST",
          body: signed.body,
          headers: signed.headers
        })
        assert.strictEqual(answer.status, 200, await answer.text())
        const forged = await fetch(`http://127.0.0.1:${port}${WebhookHttp.defaultPath}`, {
          method: "POST",
          body: "{}",
          headers: signed.headers
        })
        assert.strictEqual(forged.status, 401)
      } finally {
        await new Promise((closed) => server.close(closed))
      }
    }))
})
