/**
 * The Effect 4 edition's README snippets are the files in packages/effect4/examples/: each type-checks with the
 * edition, does what the README says when run, and is either shown in the README verbatim or is, line for line, the
 * Effect 3 edition's example of the same name with only the package's name changed (the README says so instead of
 * showing the same code twice).
 */
import { readdir, readFile } from "node:fs/promises"
import type { AddressInfo } from "node:net"
import { resolve } from "node:path"
import { afterEach, assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Logger, Option, Redacted, Result } from "effect"
import { HttpRouter } from "effect/http"
import { TestClock } from "effect/testing"
import express from "express"
import { WebhookHttp, WebhookInbox, Webhooks, WebhookSecret, WebhookTesting } from "effect4-openai-webhooks"
import { FakeOpenAI } from "../../engine/test/support/openai-api.js"
import * as Rows from "../../engine/test/support/inspector.js"
import { inboxProgramRuns } from "../../engine/test/support/inbox-program.js"
import { killGroups, PATIENCE } from "../../engine/test/support/process.js"
import { apiKey } from "../../engine/test/tables/endpoints.js"
import * as config from "../examples/config.js"
import * as endpointsExample from "../examples/endpoints.js"
import * as expressExample from "../examples/express.js"
import * as fastifyExample from "../examples/fastify.js"
import * as httpApp from "../examples/http-app.js"
import { recoverLastHour } from "../examples/inbox-log.js"
import { InspectorRoute } from "../examples/inspector.js"
import * as layerRouter from "../examples/layer-router.js"
import * as nodeListener from "../examples/node-listener.js"
import worker from "../examples/worker.js"
import { family } from "../examples/exhaustive.js"
import { program } from "../examples/unwrap.js"
import { sqlite } from "./support/inbox-engines.js"
import { otherSecret, secret as mountSecret, signed as signedWith } from "./support/deliveries.js"
import { listenLoopback, observe, servePlatform } from "./support/mount.js"

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

  it("unwrap.ts is the package's own README's example, verbatim", async () => {
    const readme = await readFile(resolve(here, "README.md"), "utf8")
    const source = await readFile(resolve(here, "examples", "unwrap.ts"), "utf8")
    assert.include(readme, "```ts\n" + source + "```")
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

describe("the Effect 4 edition's router examples, on a loopback server", () => {
  /** The origin an endpoint of `servePlatform` listens on. */
  const originOf = (url: string | undefined) => new URL(url!).origin

  it.live("layer-router.ts: its route answers a signed delivery 200 (its Match ran), a forged one 401, a GET 405", () =>
    Effect.scoped(Effect.gen(function*() {
      const observed = observe()
      const endpoint = yield* servePlatform(
        HttpRouter.serve(layerRouter.WebhookRoute, { disableListenLog: true }),
        observed.layer
      )
      const delivery = yield* signedWith("response.completed")
      const ok = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(ok.status, 200, yield* Effect.promise(() => ok.text()))
      yield* observed.untilLines(2)
      const id = WebhookTesting.sample("response.completed").data.id
      assert.include(observed.lines.map((line) => line.message), `fetch response ${id}`)
      const forged = yield* signedWith("response.completed", otherSecret)
      const refused = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: forged.headers, body: forged.body })
      )
      assert.strictEqual(refused.status, 401)
      const get = yield* Effect.promise(() => endpoint.fetch({ method: "GET" }))
      assert.strictEqual(get.status, 405)
      assert.strictEqual(get.headers.get("allow"), "POST")
    })))

  it.live("http-app.ts: /healthz and the webhook on HttpRouter.add, other methods 405", () =>
    Effect.scoped(Effect.gen(function*() {
      const endpoint = yield* servePlatform(
        HttpRouter.serve(httpApp.Routes, { disableListenLog: true, disableLogger: true }),
        observe().layer
      )
      const delivery = yield* signedWith("batch.completed")
      const ok = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(ok.status, 200)
      assert.deepStrictEqual(yield* Effect.promise(() => ok.json()), { received: true })
      const put = yield* Effect.promise(() => endpoint.fetch({ method: "PUT" }))
      assert.strictEqual(put.status, 405)
      const health = yield* Effect.promise(() => fetch(`${originOf(endpoint.url)}/healthz`))
      assert.strictEqual(health.status, 200)
      assert.strictEqual(yield* Effect.promise(() => health.text()), "ok")
    })))

  it.live("inspector.ts: the inspector at /ops/inbox behind INSPECTOR_TOKEN, next to the webhook route", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* sqlite().database
      const inbox = WebhookInbox.layerSql().pipe(Layer.provide(client()), Layer.orDie)
      const provider = ConfigProvider.fromEnv({ env: { INSPECTOR_TOKEN: Rows.TOKEN } })
      const route = WebhookHttp.layerRoute({ handle: () => Effect.void, inbox: "inline" })
      const endpoint = yield* servePlatform(
        HttpRouter.serve(Layer.mergeAll(route, InspectorRoute), { disableListenLog: true, disableLogger: true }),
        Layer.mergeAll(observe().layer, inbox, ConfigProvider.layer(provider))
      )
      const delivery = WebhookTesting.unsafeSign({
        event: WebhookTesting.sample("response.completed"),
        secret: mountSecret,
        id: "msg_example"
      })
      const ok = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(ok.status, 200)
      const url = `${originOf(endpoint.url)}${Rows.BASE}/api/delivery?id=msg_example`
      assert.strictEqual((yield* Effect.promise(() => Rows.get(url))).status, 401)
      const shown = yield* Effect.promise(() => Rows.get(url, { headers: Rows.bearer(Rows.TOKEN) }))
      assert.strictEqual(shown.status, 200)
      assert.include(JSON.parse(shown.text), { webhookId: "msg_example", status: "done" })
    })))
})

describe("the Effect 4 edition's Express and Fastify examples", () => {
  const withSecretEnv = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provide(effect, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { OPENAI_WEBHOOK_SECRET: mountSecret } })))
  const post = (url: string) =>
    Effect.promise(async () => {
      const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret: mountSecret })
      const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body })
      return { status: response.status, body: await response.json() as unknown }
    })

  it.live("express.ts answers a delivery 200 on its raw route, and so does the express.text() variant", () =>
    Effect.scoped(Effect.gen(function*() {
      const app = yield* withSecretEnv(expressExample.program)
      const { port } = yield* listenLoopback(app)
      assert.deepStrictEqual(yield* post(`http://127.0.0.1:${port}${WebhookHttp.defaultPath}`), {
        status: 200,
        body: { received: true }
      })
      const listener = yield* WebhookHttp.makeNodeListener({ handle: () => Effect.void }).pipe(
        Effect.provide(WebhookSecret.layer(mountSecret))
      )
      const text = express.text({ type: "application/json", limit: "1mb" })
      const guide = yield* listenLoopback(expressExample.makeApp(listener, text))
      assert.deepStrictEqual(yield* post(`http://127.0.0.1:${guide.port}${WebhookHttp.defaultPath}`), {
        status: 200,
        body: { received: true }
      })
    })))

  it.live("fastify.ts answers a delivery 200 and a GET 405", () =>
    Effect.scoped(Effect.gen(function*() {
      const app = yield* withSecretEnv(fastifyExample.program)
      yield* Effect.addFinalizer(() => Effect.promise(() => app.close()))
      const address = yield* Effect.promise(() => app.listen({ port: 0, host: "127.0.0.1" }))
      assert.deepStrictEqual(yield* post(`${address}${WebhookHttp.defaultPath}`), { status: 200, body: { received: true } })
      const get = yield* Effect.promise(() => fetch(`${address}${WebhookHttp.defaultPath}`))
      assert.strictEqual(get.status, 405)
      assert.strictEqual(get.headers.get("allow"), "POST")
    })))
})

describe("the Effect 4 edition's Worker, on Node.js", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  const url = `http://127.0.0.1${WebhookHttp.defaultPath}`

  // In workerd, without nodejs_compat, on Web Crypto: test/edge.test.ts.
  it("worker.ts reads its secret from env: 200 for a signed delivery, 401 for a forged one, 405 for a GET", async () => {
    const env = { OPENAI_WEBHOOK_SECRET: secret }
    const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
    const ok = await worker.fetch(new Request(url, { method: "POST", body: signed.body, headers: signed.headers }), env)
    assert.strictEqual(ok.status, 200, await ok.text())
    const forged = await worker.fetch(
      new Request(url, { method: "POST", body: `${signed.body} `, headers: signed.headers }),
      env
    )
    assert.strictEqual(forged.status, 401)
    assert.strictEqual((await worker.fetch(new Request(url), env)).status, 405)
  })
})

describe("the Effect 4 edition's inbox examples", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  afterEach(killGroups)

  it("inbox.ts is a whole program: its server answers queued, its workers run the handler once, Ctrl-C stops both", {
    timeout: 2 * PATIENCE
  }, () => {
    const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
    return inboxProgramRuns({
      file: resolve(here, "examples", "inbox.ts"),
      secret,
      delivery: { headers: delivery.headers, body: delivery.body as string },
      // Effect 4's runMain ends a program interrupted from outside (Ctrl-C) with 130, the shell's code for SIGINT
      // (Effect 3's with 0): a stop, not a failure, which would be 1.
      interrupted: { code: 130, signal: null }
    })
  })

  it.live("inbox-log.ts says what failed in the last hour and recovers it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { client } = yield* sqlite().database
      const inbox = yield* Layer.build(WebhookInbox.layerSql().pipe(Layer.provide(client())))
      const store = Context.get(inbox, WebhookInbox.WebhookInbox)
      const body = WebhookTesting.encode(WebhookTesting.sample("batch.failed"))
      const token = yield* store.claim("msg_example", "batch.failed", 1_767_268_800, body)
      yield* store.release("msg_example", Option.getOrThrow(token), "Error: the batch store is down")
      const lines = yield* captureLogs(Effect.provideContext(recoverLastHour, inbox))
      assert.deepStrictEqual(lines, ["msg_example batch.failed: 1 attempt(s), Error: the batch store is down"])
      const recovered = yield* Effect.provideContext(WebhookInbox.get("msg_example"), inbox)
      assert.strictEqual(Option.getOrThrow(recovered).status, "pending")
    })))
})

describe("the Effect 4 edition's endpoints example, against OpenAI's API on a loopback port", () => {
  it.effect("endpoints.ts creates, lists and rotates through layerConfig, and a receiver given both secrets verifies", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* Effect.acquireRelease(
        Effect.promise(() => FakeOpenAI.start(apiKey)),
        (fake) => Effect.promise(() => fake.close())
      )
      const env = { OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: fake.baseUrl }
      const live = endpointsExample.EndpointsLive.pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
      const old = yield* endpointsExample.createEndpoint.pipe(Effect.provide(live))
      const [endpoint, ...rest] = yield* endpointsExample.endpoints.pipe(Effect.provide(live))
      assert.deepStrictEqual(rest, [])
      assert.deepStrictEqual(fake.secretsOf(endpoint!.id), [Redacted.value(old)])
      const fresh = yield* endpointsExample.rotate(endpoint!.id).pipe(Effect.provide(live))
      const rotatedAt = fake.now
      // Receivers given both secrets, as the README says, verify every delivery, during the 24 hours and after.
      const both = WebhookSecret.layer([fresh, old])
      const onlyOld = WebhookSecret.layer(old)
      const verifyAt = (at: number, secrets: typeof both) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(at * 1000)
          return yield* Webhooks.verify("{}", fake.deliver(endpoint!.id, "{}", at)).pipe(
            Effect.provide(secrets),
            Effect.result
          )
        })
      const day = 24 * 60 * 60
      for (const at of [rotatedAt, rotatedAt + day - 1, rotatedAt + day]) {
        assert.isTrue(Result.isSuccess(yield* verifyAt(at, both)), String(at - rotatedAt))
      }
      // One that still holds only the old secret works during the 24 hours, and no longer after them.
      assert.isTrue(Result.isSuccess(yield* verifyAt(rotatedAt + day - 1, onlyOld)))
      const after = yield* verifyAt(rotatedAt + day, onlyOld)
      assert.isTrue(Result.isFailure(after) && after.failure.reason === "NoMatchingSignature")
    })))
})
