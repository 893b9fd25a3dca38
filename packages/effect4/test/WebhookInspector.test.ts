/**
 * The inspector in an app of its own (`WebhookInspector`): the Effect 3 edition's rows (test/WebhookInspector.test.ts)
 * through the Effect 4 edition, their requests and verdicts the engine's (`test/support/inspector.ts`). Mounted next
 * to the webhook route on `effect/http`'s `HttpRouter` (`@effect/platform-node` on a loopback port), and as a
 * `node:http` listener, over a queued inbox on a SQLite file with a worker whose handler fails once and for all (so
 * that deliveries become dead letters): with a token of ours or none (the app's own authentication), at a path of the
 * app's choosing.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, Redacted, References, Schedule } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as Rows from "../../engine/test/support/inspector.js"
import { WebhookHttp, WebhookInbox, WebhookInspector, WebhookSecret, WebhookTesting } from "../src/index.js"

const event = WebhookTesting.sample("response.completed")

interface Line {
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

const folder = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "effect4-openai-webhooks-inspector-app-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const sqliteInbox = (mode: "inline" | "queued") =>
  Effect.flatMap(folder, (dir) =>
    Layer.build(
      WebhookInbox.layerSql({ mode }).pipe(Layer.provide(SqliteClient.layer({ filename: join(dir, "inbox.sqlite") })))
    ))

const listening = (context: Context.Context<HttpServer.HttpServer>) => {
  const address = Context.get(context, HttpServer.HttpServer).address
  return address._tag === "UnixPathAddress"
    ? Effect.die("the server should listen on TCP")
    : Effect.succeed(`http://127.0.0.1:${address.port}`)
}

/**
 * An app on a loopback port: the webhook route (queued), `routes` (the inspector under test), a worker that fails
 * every delivery once and for all, its inbox on a new SQLite file; and the log lines it wrote.
 */
const app = (routes: Layer.Layer<never, unknown, HttpRouter.HttpRouter | WebhookInbox.WebhookInbox>) =>
  Effect.gen(function*() {
    const lines: Array<Line> = []
    const logger = Logger.layer([
      Logger.make(({ fiber, message }) => {
        lines.push({
          message: String(Array.isArray(message) ? message[0] : message),
          annotations: { ...fiber.getRef(References.CurrentLogAnnotations) }
        })
      })
    ])
    const inbox = yield* sqliteInbox("queued")
    const Worker = WebhookInbox.layerWorker({
      handle: () => Effect.fail(new Error("the downstream API answered 503")),
      pollInterval: "20 millis",
      schedule: Schedule.recurs(0)
    })
    const context = yield* Layer.build(
      HttpRouter.serve(Layer.mergeAll(routes, WebhookHttp.layerRoute({ inbox: "queued" })), {
        disableLogger: true,
        disableListenLog: true
      }).pipe(
        Layer.merge(Worker),
        Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" })),
        Layer.provide(WebhookSecret.layer(Rows.SECRET)),
        Layer.provide(Layer.succeedContext(inbox)),
        Layer.provide(logger)
      )
    )
    const origin = yield* listening(context)
    const deliver = (id: string) => {
      const signed = WebhookTesting.unsafeSign({ event, secret: Rows.SECRET, id })
      return Effect.promise(() =>
        fetch(`${origin}${WebhookHttp.defaultPath}`, { method: "POST", body: signed.body, headers: signed.headers })
      )
    }
    return { origin, lines, deliver, inbox }
  })

describe("WebhookInspector.layerRoute", () => {
  it.live("serves the page at the app's path behind the token, signs a browser in, and nothing elsewhere", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE, token: Redacted.make(Rows.TOKEN) }))
      yield* Effect.promise(() => Rows.servesPageBehindToken(origin))
    })))

  it.live("signs a browser in with its cookie, whatever the token's characters, among other cookies", () =>
    Effect.scoped(Effect.gen(function*() {
      const token = Redacted.make(Rows.AWKWARD_TOKEN)
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE, token }))
      yield* Effect.promise(() => Rows.signsInWithCookie(origin))
    })))

  it.live("behind the app's own authentication (no token): reads freely, changes only with x-inspector", () =>
    Effect.scoped(Effect.gen(function*() {
      const { deliver, inbox, lines, origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE }))
      assert.strictEqual((yield* Effect.promise(() => Rows.get(`${origin}${Rows.BASE}/api/stats`))).status, 200)
      const body = WebhookTesting.unsafeSign({ event, secret: Rows.SECRET }).body
      const store = Context.get(inbox, WebhookInbox.WebhookInbox)
      for (const id of Rows.UNUSUAL_IDS) {
        yield* store.enqueue(id, "response.completed", 1, body)
        yield* Effect.promise(() => Rows.showsById(origin, id))
      }
      for (const id of Rows.PATH_STEP_IDS) {
        assert.strictEqual((yield* deliver(id)).status, 200)
        yield* Effect.promise(() => Rows.discardsById(origin, id))
        assert.strictEqual(
          lines.filter((line) => line.message === "inspector: discarded" && line.annotations["webhook_id"] === id)
            .length,
          1
        )
      }
    })))

  it.live("counts what the webhook route answered per minute, a 401 the inbox never stores too", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: Rows.BASE }))
      yield* Effect.promise(() => Rows.countsRefusedAnswers(origin, `${origin}${WebhookHttp.defaultPath}`))
    })))

  it.live("refuses a path it cannot mount with an IllegalArgumentError naming the option", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const path of Rows.BAD_PATHS) {
        const exit = yield* Effect.exit(Layer.build(
          WebhookInspector.layerRoute({ path }).pipe(
            Layer.provide(HttpRouter.layer),
            Layer.provide(Layer.succeed(WebhookInbox.WebhookInbox, {} as WebhookInbox.Store))
          )
        ))
        assert.isTrue(Exit.isFailure(exit), path)
        const error = Exit.findErrorOption(exit)
        assert.strictEqual(error._tag === "Some" ? error.value._tag : undefined, "IllegalArgumentError", path)
        assert.strictEqual(error._tag === "Some" ? error.value.option : undefined, "path", path)
      }
    })))
  // The README's example (examples/inspector.ts: the token read from Config): test/examples.test.ts.
})

describe("WebhookInspector.toHttpApp", () => {
  it.live("serves the page and the API on HttpRouter.add, at the path it was made for", () =>
    Effect.scoped(Effect.gen(function*() {
      const inbox = yield* sqliteInbox("inline")
      const inspector = yield* Effect.provideContext(
        WebhookInspector.toHttpApp({ token: Redacted.make(Rows.TOKEN) }),
        inbox
      )
      const context = yield* Layer.build(
        HttpRouter.serve(
          Layer.mergeAll(HttpRouter.add("*", "/inbox", inspector), HttpRouter.add("*", "/inbox/*", inspector)),
          { disableListenLog: true }
        ).pipe(
          Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }))
        )
      )
      const origin = yield* listening(context)
      yield* Effect.promise(() => Rows.servesAtDefaultPath(origin))
    })))

  it.live("refuses a path it cannot mount with an IllegalArgumentError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.provideService(
        WebhookInspector.toHttpApp({ path: "/inbox/" }),
        WebhookInbox.WebhookInbox,
        {} as WebhookInbox.Store
      ))
      const error = Exit.findErrorOption(exit)
      assert.strictEqual(error._tag === "Some" ? error.value.option : undefined, "path")
    }))
})

describe("WebhookInspector.makeNodeListener", () => {
  it.live("answers what it owns on a node:http server of the app's, the same bytes as the router's", () =>
    Effect.scoped(Effect.gen(function*() {
      const inbox = yield* sqliteInbox("inline")
      const listener = yield* Effect.provideContext(
        WebhookInspector.makeNodeListener({ token: Redacted.make(Rows.TOKEN) }),
        inbox
      )
      const server = yield* Effect.acquireRelease(
        Effect.callback<http.Server>((resume) => {
          const server = http.createServer((request, response) => {
            const path = new URL(request.url ?? "/", "http://x").pathname
            if (WebhookInspector.owns(path)) return listener(request, response)
            response.writeHead(418).end()
          })
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
      )
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      yield* Effect.promise(() => Rows.servesAtDefaultPath(origin))
      assert.strictEqual((yield* Effect.promise(() => Rows.get(`${origin}/inboxes`))).status, 418)
    })))
})
