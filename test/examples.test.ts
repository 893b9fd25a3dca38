/**
 * The README's snippets are the files in examples/: each appears in the README verbatim, type-checks
 * with the rest of the project, and does what the README says when run.
 */
import { mkdtempSync } from "node:fs"
import { readdir, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterEach, assert, describe, it } from "@effect/vitest"
import { HttpBody, HttpClient, HttpLayerRouter, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { ConfigProvider, Effect, Layer, Logger, Option } from "effect"
import express from "express"
import { WebhookHttp, WebhookInbox, Webhooks, WebhookSecret, WebhookTesting } from "effect-openai-webhooks"
import { listenLoopback } from "./support/http.js"
import { inboxProgramRuns } from "../packages/engine/test/support/inbox-program.js"
import { killGroups, PATIENCE, root } from "../packages/engine/test/support/process.js"
import * as config from "../examples/config.js"
import * as expressExample from "../examples/express.js"
import * as fastifyExample from "../examples/fastify.js"
import * as httpApp from "../examples/http-app.js"
import { recoverLastHour } from "../examples/inbox-log.js"
import * as layerRouter from "../examples/layer-router.js"
import * as nodeListener from "../examples/node-listener.js"
import * as webHandler from "../examples/web-handler.js"
import { family } from "../examples/exhaustive.js"
import { program } from "../examples/unwrap.js"


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
      const provider = ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", `${a} ${b}`]]))
      const live = config.SecretLive.pipe(Layer.provide(Layer.setConfigProvider(provider)))
      const headers = new Headers(signed.headers)
      const lenient = yield* config.verifyLenient(signed.body as string, headers).pipe(Effect.provide(live))
      assert.strictEqual(lenient.id, signed.headers["webhook-id"])
      const strict = yield* Webhooks.verify(signed.body, headers).pipe(Effect.flip, Effect.provide(live))
      assert.strictEqual(strict.reason, "TimestampTooOld")
    }))
})

describe("HTTP examples", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  const withSecretEnv = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", secret]])))
  const signed = () =>
    WebhookTesting.unsafeSign({ event: WebhookTesting.sample("realtime.call.incoming"), secret })

  it.live("layer-router.ts answers a signed delivery 200 and a GET 405", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const delivery = signed()
      const ok = yield* client.post("/webhooks/openai", {
        headers: delivery.headers,
        body: HttpBody.text(delivery.body, "application/json")
      })
      assert.strictEqual(ok.status, 200)
      const get = yield* client.get("/webhooks/openai")
      assert.strictEqual(get.status, 405)
    }).pipe(
      Effect.provide(
        HttpLayerRouter.serve(layerRouter.WebhookRoute, { disableLogger: true, disableListenLog: true }).pipe(
          Layer.provide(WebhookSecret.layer(secret)),
          Layer.provideMerge(NodeHttpServer.layerTest)
        )
      ),
      Effect.scoped
    ))

  it.live("http-app.ts serves /healthz and the webhook on the classic router", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const delivery = signed()
      const ok = yield* client.post("/webhooks/openai", {
        headers: delivery.headers,
        body: HttpBody.text(delivery.body, "application/json")
      })
      assert.strictEqual(ok.status, 200)
      assert.strictEqual((yield* client.get("/healthz")).status, 200)
    }).pipe(
      Effect.provide(
        HttpServer.serve(httpApp.router, HttpMiddleware.withLoggerDisabled).pipe(
          Layer.provide(WebhookSecret.layer(secret)),
          Layer.provideMerge(NodeHttpServer.layerTest)
        )
      ),
      Effect.scoped
    ))

  it("web-handler.ts answers a fetch Request", async () => {
    process.env["OPENAI_WEBHOOK_SECRET"] = secret
    try {
      const delivery = signed()
      const response = await webHandler.handler(
        new Request("http://localhost/webhooks/openai", { method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(await response.json(), { received: true })
    } finally {
      delete process.env["OPENAI_WEBHOOK_SECRET"]
      await webHandler.dispose()
    }
  })

  it.live("node-listener.ts gives a node:http server that answers deliveries", () =>
    Effect.gen(function*() {
      const server = yield* withSecretEnv(nodeListener.program)
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const { port } = server.address() as { port: number }
      const delivery = signed()
      const response = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/webhooks/openai`, { method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(response.status, 200)
    }).pipe(Effect.scoped))
})

describe("Express and Fastify examples", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  const withSecretEnv = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", secret]])))
  const post = (url: string) =>
    Effect.promise(async () => {
      const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
      const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body })
      return { status: response.status, body: await response.json() as unknown }
    })

  it.live("express.ts answers a delivery 200 on its raw route, and so does the express.text() variant", () =>
    Effect.gen(function*() {
      const app = yield* withSecretEnv(expressExample.program)
      const { port } = yield* listenLoopback(app)
      assert.deepStrictEqual(yield* post(`http://127.0.0.1:${port}/webhooks/openai`), {
        status: 200,
        body: { received: true }
      })
      const listener = yield* WebhookHttp.makeNodeListener({ handle: () => Effect.void }).pipe(
        Effect.provide(WebhookSecret.layer(secret))
      )
      const guide = yield* listenLoopback(expressExample.makeApp(listener, express.text({ type: "application/json", limit: "1mb" })))
      assert.deepStrictEqual(yield* post(`http://127.0.0.1:${guide.port}/webhooks/openai`), {
        status: 200,
        body: { received: true }
      })
    }).pipe(Effect.scoped))

  it.live("fastify.ts answers a delivery 200 and a GET 405", () =>
    Effect.gen(function*() {
      const app = yield* withSecretEnv(fastifyExample.program)
      yield* Effect.addFinalizer(() => Effect.promise(() => app.close()))
      const address = yield* Effect.promise(() => app.listen({ port: 0, host: "127.0.0.1" }))
      assert.deepStrictEqual(yield* post(`${address}/webhooks/openai`), { status: 200, body: { received: true } })
      const get = yield* Effect.promise(() => fetch(`${address}/webhooks/openai`))
      assert.strictEqual(get.status, 405)
      assert.strictEqual(get.headers.get("allow"), "POST")
    }).pipe(Effect.scoped))
})

describe("inbox example", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  afterEach(killGroups)

  it("inbox.ts is a whole program: its server answers queued, its workers run the handler once, Ctrl-C stops both", {
    timeout: 2 * PATIENCE
  }, () => {
    const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
    return inboxProgramRuns({
      file: resolve(root, "examples", "inbox.ts"),
      secret,
      delivery: { headers: delivery.headers, body: delivery.body as string },
      interrupted: { code: 0, signal: null }
    })
  })
})

describe("inbox-log example", () => {
  it.live("inbox-log.ts says what failed in the last hour and recovers it", () =>
    Effect.gen(function*() {
      const store = yield* WebhookInbox.WebhookInbox
      const body = WebhookTesting.encode(WebhookTesting.sample("batch.failed"))
      const token = yield* store.claim("msg_example", "batch.failed", 1_767_268_800, body)
      yield* store.release("msg_example", Option.getOrThrow(token), "Error: the batch store is down")
      const lines = yield* captureLogs(Effect.provideService(recoverLastHour, WebhookInbox.WebhookInbox, store))
      assert.deepStrictEqual(lines, ["msg_example batch.failed: 1 attempt(s), Error: the batch store is down"])
      const recovered = yield* WebhookInbox.get("msg_example")
      assert.strictEqual(Option.getOrThrow(recovered).status, "pending")
    }).pipe(
      Effect.provide(
        WebhookInbox.layerSql().pipe(
          Layer.provide(SqliteClient.layer({ filename: join(mkdtempSync(join(tmpdir(), "inbox-log-")), "x.sqlite") }))
        )
      )
    ))
})
