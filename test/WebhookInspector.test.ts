/**
 * The inspector in an app of its own (`WebhookInspector`): mounted next to the webhook route on the app's router
 * (`HttpLayerRouter` and the classic `HttpRouter`, `@effect/platform-node` on a loopback port), over a queued
 * inbox on a SQLite file with a worker whose handler fails once and for all (so that deliveries become dead
 * letters): with a token of ours or none (the app's own authentication), at a path of the app's choosing.
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

const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const TOKEN = "a-token-of-the-app-0123456789"
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

const get = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { redirect: "manual", ...init })
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

/** Waits, polling the API, for `id` to be a dead letter: the worker's one attempt failed. */
const dead = (origin: string, id: string, headers: Record<string, string>) =>
  Effect.promise(async () => {
    for (;;) {
      const response = await fetch(`${origin}/ops/inbox/api/delivery?id=${encodeURIComponent(id)}`, { headers })
      if (response.status === 200 && (await response.json() as { status: string }).status === "dead") return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`${id} never became dead`) }))

describe("WebhookInspector.layerRoute", () => {
  it.scopedLive("serves the page at the app's path behind the token, signs a browser in, and nothing elsewhere", () =>
    Effect.gen(function*() {
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: "/ops/inbox", token: Redacted.make(TOKEN) }))
      for (const path of ["/ops/inbox", "/ops/inbox/app.js", "/ops/inbox/api/stats", "/ops/inbox/api/delivery?id=."]) {
        const refused = yield* get(`${origin}${path}`)
        assert.strictEqual(refused.status, 401, path)
        assert.strictEqual(refused.text, `{"error":{"type":"Unauthorized"}}`)
      }
      const bearer = { authorization: `Bearer ${TOKEN}` }
      const page = yield* get(`${origin}/ops/inbox`, { headers: bearer })
      assert.strictEqual(page.status, 200)
      assert.include(page.text, `<script type="module" src="/ops/inbox/app.js"></script>`)
      assert.include(page.text, `<meta name="inspector-base" content="/ops/inbox">`)
      assert.include(page.headers.get("content-security-policy")!, "script-src 'self'")
      assert.strictEqual((yield* get(`${origin}/ops/inbox/app.js`, { headers: bearer })).status, 200)
      assert.strictEqual((yield* get(`${origin}/ops/inbox/api/stats`, { headers: bearer })).status, 200)
      const signIn = yield* get(`${origin}/ops/inbox?token=${TOKEN}`)
      assert.strictEqual(signIn.status, 303)
      assert.strictEqual(signIn.headers.get("location"), "/ops/inbox")
      assert.include(signIn.headers.get("set-cookie")!, "Path=/ops/inbox; HttpOnly; SameSite=Strict")
      // Only where it was mounted.
      assert.strictEqual((yield* get(`${origin}/inbox`, { headers: bearer })).status, 404)
      assert.strictEqual((yield* get(`${origin}/ops/inboxes`, { headers: bearer })).status, 404)
    }))

  it.scopedLive("signs a browser in with its cookie, whatever the token's characters, among other cookies", () =>
    Effect.gen(function*() {
      const token = "a;b=c,d%e\"f+g/h=0123456789"
      const { origin } = yield* app(WebhookInspector.layerRoute({ path: "/ops/inbox", token: Redacted.make(token) }))
      const signIn = yield* get(`${origin}/ops/inbox?token=${encodeURIComponent(token)}`)
      assert.strictEqual(signIn.status, 303)
      const set = signIn.headers.get("set-cookie")!
      const pair = set.slice(0, set.indexOf(";"))
      assert.isTrue(pair.startsWith("inspector_token="))
      const status = (headers: Record<string, string>, init: RequestInit = {}) =>
        Effect.map(get(`${origin}/ops/inbox/api/stats`, { ...init, headers }), (answer) => answer.status)
      assert.strictEqual(yield* status({ cookie: pair }), 200)
      assert.strictEqual(yield* status({ cookie: `theme=dark; ${pair}; other=1` }), 200)
      assert.strictEqual(yield* status({ cookie: `other=${pair.slice("inspector_token=".length)}` }), 401)
      assert.strictEqual(yield* status({ cookie: "inspector_token=%E0%A4%A" }), 401)
      assert.strictEqual(yield* status({ cookie: "inspector_token=wrong" }), 401)
      // A browser sends the cookie by itself, a header only when a script asks: with the cookie alone nothing changes.
      const replay = (headers: Record<string, string>) =>
        Effect.map(
          get(`${origin}/ops/inbox/api/delivery/replay?id=msg_nobody`, { method: "POST", headers }),
          (answer) => answer.status
        )
      assert.strictEqual(yield* replay({ cookie: pair }), 403)
      assert.strictEqual(yield* replay({ cookie: pair, "x-inspector": "1" }), 404)
      assert.strictEqual(yield* replay({ authorization: `Bearer ${token}` }), 404)
      assert.strictEqual(yield* replay({ authorization: "Bearer wrong", cookie: pair }), 403)
    }))

  it.scopedLive("behind the app's own authentication (no token): reads freely, changes only with x-inspector", () =>
    Effect.gen(function*() {
      const { deliver, inbox, lines, origin } = yield* app(WebhookInspector.layerRoute({ path: "/ops/inbox" }))
      assert.strictEqual((yield* get(`${origin}/ops/inbox/api/stats`)).status, 200)
      // Ids no header carries as such (stored by the app some other way): found by ?id= all the same.
      const body = WebhookTesting.unsafeSign({ event, secret: SECRET }).body
      const ids = ["msg_\u00fc\u2713\u{1F600}", "../../etc/passwd", "a?b#c&d=e", "%", `msg_${"\u00e9".repeat(600)}`]
      for (const id of ids) {
        yield* Effect.provide(
          Effect.flatMap(WebhookInbox.WebhookInbox, (store) => store.enqueue(id, "response.completed", 1, body)),
          inbox
        )
        const shown = yield* get(`${origin}/ops/inbox/api/delivery?id=${encodeURIComponent(id)}`)
        assert.strictEqual(shown.status, 200, id)
        assert.strictEqual(JSON.parse(shown.text).webhookId, id)
      }
      // Ids that a browser would take for path steps: a dead letter each, discarded by ?id=.
      for (const id of [".", ".."]) {
        assert.strictEqual((yield* Effect.promise(() => deliver(id))).status, 200)
        yield* dead(origin, id, {})
        const query = `id=${encodeURIComponent(id)}`
        const forged = yield* get(`${origin}/ops/inbox/api/delivery/discard?${query}`, { method: "POST" })
        assert.strictEqual(forged.status, 403)
        const discarded = yield* get(`${origin}/ops/inbox/api/delivery/discard?${query}`, {
          method: "POST",
          headers: { "x-inspector": "1" }
        })
        assert.deepStrictEqual(JSON.parse(discarded.text), { discarded: id })
        assert.strictEqual((yield* get(`${origin}/ops/inbox/api/delivery?${query}`)).status, 404)
        assert.deepStrictEqual(
          lines.filter((line) => line.message === "inspector: discarded" && line.annotations["webhook_id"] === id)
            .length,
          1
        )
      }
    }))

  it.scopedLive("refuses a path it cannot mount with an IllegalArgumentException naming the option", () =>
    Effect.gen(function*() {
      for (const path of ["/inbox/", "inbox", "/inbox?x=1", "/inbox/*", "/:id", ""]) {
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
      const provider = ConfigProvider.fromMap(new Map([["INSPECTOR_TOKEN", TOKEN]]))
      const { deliver, origin } = yield* app(InspectorRoute.pipe(Layer.provide(Layer.setConfigProvider(provider))))
      assert.strictEqual((yield* Effect.promise(() => deliver("msg_example"))).status, 200)
      assert.strictEqual((yield* get(`${origin}/ops/inbox/api/delivery?id=msg_example`)).status, 401)
      const shown = yield* get(`${origin}/ops/inbox/api/delivery?id=msg_example`, {
        headers: { authorization: `Bearer ${TOKEN}` }
      })
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
      const inspector = yield* Effect.provide(WebhookInspector.toHttpApp({ token: Redacted.make(TOKEN) }), inbox)
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
      const bearer = { authorization: `Bearer ${TOKEN}` }
      assert.strictEqual((yield* get(`${origin}/inbox/api/stats`)).status, 401)
      const stats = yield* get(`${origin}/inbox/api/stats`, { headers: bearer })
      assert.strictEqual(stats.status, 200)
      assert.deepInclude(JSON.parse(stats.text).byStatus, { done: 0, dead: 0 })
      assert.include((yield* get(`${origin}/inbox`, { headers: bearer })).text, `src="/inbox/app.js"`)
      assert.strictEqual((yield* get(`${origin}/inbox/api/delivery?id=..`, { headers: bearer })).status, 404)
    }))
})
