/**
 * The inspector in an app of its own (`WebhookInspector`): mounted next to the webhook route on the app's router
 * (`HttpLayerRouter` and the classic `HttpRouter`, `@effect/platform-node` on a loopback port), over a queued
 * inbox on a SQLite file with a worker whose handler fails once and for all (so that deliveries become dead
 * letters): with a token of ours or none (the app's own authentication), at a path of the app's choosing. The
 * requests and their verdicts are the engine's (`packages/engine/test/support/inspector.ts`), which the Effect 4
 * edition's test runs too.
 */
import * as http from "node:http"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Logger, Redacted, Schedule } from "effect"
import { WebhookHttp, WebhookInbox, WebhookInspector, WebhookSecret, WebhookTesting } from "../src/index.js"
import { InspectorRoute } from "../examples/inspector.js"
import * as Rows from "../packages/engine/test/support/inspector.js"

const SECRET = Rows.SECRET
const event = WebhookTesting.sample("response.completed")

interface Line {
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/**
 * An app on a loopback port: the webhook route (queued), `inspector` (the routes under test), a worker that fails
 * every delivery once and for all, its inbox on a new SQLite file; and the log lines it wrote.
 */
const app = (routes: Layer.Layer<never, unknown, HttpLayerRouter.HttpRouter | WebhookInbox.WebhookInbox>) =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "effect-openai-webhooks-inspector-app-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const lines: Array<Line> = []
    const logger = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, message }) => {
        lines.push({
          message: String(Array.isArray(message) ? message[0] : message),
          annotations: Object.fromEntries(annotations)
        })
      })
    )
    const Inbox = WebhookInbox.layerSql({ mode: "queued" }).pipe(
      Layer.provide(SqliteClient.layer({ filename: join(dir, "inbox.sqlite") }))
    )
    const inbox = yield* Layer.build(Inbox)
    const Worker = WebhookInbox.layerWorker({
      handle: () => Effect.fail(new Error("the downstream API answered 503")),
      pollInterval: "20 millis",
      schedule: Schedule.stop
    })
    const context = yield* Layer.build(
      HttpLayerRouter.serve(Layer.mergeAll(routes, WebhookHttp.layerRoute({ inbox: "queued" })), {
        disableLogger: true,
        disableListenLog: true
      }).pipe(
        Layer.merge(Worker),
        Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" })),
        Layer.provide(WebhookSecret.layer(SECRET)),
        Layer.provide(Layer.succeedContext(inbox)),
        Layer.provide(logger)
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the server should listen on TCP")
    const origin = `http://127.0.0.1:${address.port}`
    const deliver = (id: string) => {
      const signed = WebhookTesting.unsafeSign({ event, secret: SECRET, id })
      return fetch(`${origin}/webhooks/openai`, { method: "POST", body: signed.body, headers: signed.headers })
    }
    return { origin, lines, deliver, inbox }
  })

describe("WebhookInspector.layerRoute", () => {
  it.scopedLive("serves the page at the app's path behind the token, signs a browser in, and nothing elsewhere", () =>
    Effect.gen(function*() {
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE, token: Redacted.make(Rows.TOKEN) }))
      yield* Effect.promise(() => Rows.servesPageBehindToken(origin))
    }))

  it.scopedLive("signs a browser in with its cookie, whatever the token's characters, among other cookies", () =>
    Effect.gen(function*() {
      const token = Redacted.make(Rows.AWKWARD_TOKEN)
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE, token }))
      yield* Effect.promise(() => Rows.signsInWithCookie(origin))
    }))

  it.scopedLive("behind the app's own authentication (no token): reads freely, changes only with x-inspector", () =>
    Effect.gen(function*() {
      const { deliver, inbox, lines, origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE }))
      assert.strictEqual((yield* Effect.promise(() => Rows.get(`${origin}${Rows.BASE}/api/stats`))).status, 200)
      // Ids no header carries as such (stored by the app some other way): found by ?id= all the same.
      const body = WebhookTesting.unsafeSign({ event, secret: SECRET }).body
      for (const id of Rows.UNUSUAL_IDS) {
        yield* Effect.provide(
          Effect.flatMap(WebhookInbox.WebhookInbox, (store) => store.enqueue(id, "response.completed", 1, body)),
          inbox
        )
        yield* Effect.promise(() => Rows.showsById(origin, id))
      }
      // Ids that a browser would take for path steps: a dead letter each, discarded by ?id=.
      for (const id of Rows.PATH_STEP_IDS) {
        assert.strictEqual((yield* Effect.promise(() => deliver(id))).status, 200)
        yield* Effect.promise(() => Rows.discardsById(origin, id))
        assert.deepStrictEqual(
          lines.filter((line) => line.message === "inspector: discarded" && line.annotations["webhook_id"] === id)
            .length,
          1
        )
      }
    }))

  it.scopedLive("counts what the webhook route answered per minute, a 401 the inbox never stores too", () =>
    Effect.gen(function*() {
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE }))
      yield* Effect.promise(() => Rows.countsRefusedAnswers(origin, `${origin}/webhooks/openai`))
    }))

  it.scopedLive("refuses a path it cannot mount with an IllegalArgumentException naming the option", () =>
    Effect.gen(function*() {
      for (const path of Rows.BAD_PATHS) {
        const exit = yield* Effect.exit(Layer.build(
          WebhookInspector.layerRoute({ path }).pipe(
            Layer.provide(HttpLayerRouter.layer),
            Layer.provide(Layer.succeed(WebhookInbox.WebhookInbox, {} as WebhookInbox.Store))
          )
        ))
        assert.isTrue(Exit.isFailure(exit), path)
        if (Exit.isFailure(exit)) {
          const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
          assert.strictEqual((error as { option?: string } | undefined)?.option, "path", path)
        }
      }
    }))
})

describe("the README's example (examples/inspector.ts)", () => {
  it.scopedLive("serves the inspector at /ops/inbox behind the token INSPECTOR_TOKEN names", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromMap(new Map([["INSPECTOR_TOKEN", Rows.TOKEN]]))
      const { deliver, origin } = yield* app(InspectorRoute.pipe(Layer.provide(Layer.setConfigProvider(provider))))
      assert.strictEqual((yield* Effect.promise(() => deliver("msg_example"))).status, 200)
      const url = `${origin}${Rows.BASE}/api/delivery?id=msg_example`
      assert.strictEqual((yield* Effect.promise(() => Rows.get(url))).status, 401)
      const shown = yield* Effect.promise(() => Rows.get(url, { headers: Rows.bearer(Rows.TOKEN) }))
      assert.strictEqual(shown.status, 200)
      assert.strictEqual(JSON.parse(shown.text).webhookId, "msg_example")
    }))
})

describe("WebhookInspector.toHttpApp", () => {
  it.scopedLive("serves the page and the API on the classic router, at the path it was made for", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(join(tmpdir(), "effect-openai-webhooks-inspector-app-"))),
        (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
      )
      const inbox = yield* Layer.build(
        WebhookInbox.layerSql({ mode: "inline" }).pipe(
          Layer.provide(SqliteClient.layer({ filename: join(dir, "inbox.sqlite") }))
        )
      )
      const inspector = yield* Effect.provide(WebhookInspector.toHttpApp({ token: Redacted.make(Rows.TOKEN) }), inbox)
      const context = yield* Layer.build(
        HttpRouter.empty.pipe(
          HttpRouter.all("/inbox", inspector),
          HttpRouter.all("/inbox/*", inspector),
          HttpServer.serve(),
          Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
        )
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the server should listen on TCP")
      const origin = `http://127.0.0.1:${address.port}`
      yield* Effect.promise(() => Rows.servesAtDefaultPath(origin))
    }))
})
