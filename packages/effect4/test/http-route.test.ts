/**
 * What is around a delivery rather than in it, for the Effect 4 edition's `WebhookHttp`: a body read before the
 * route (by a middleware, or before a fetch handler), the platform's request logger, a request's scope, a fetch
 * handler whose request or layer breaks, and what a route needs and says when it starts (its inbox, its options).
 * Real servers on loopback, real SQLite for the inbox.
 */
import type * as http from "node:http"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Context, Deferred, type Duration, Effect, Layer, Result, type Scope, Stream } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Bodies from "../../engine/test/tables/bodies.js"
import { replyOf } from "../../engine/test/tables/replies.js"
import { secret } from "../../engine/test/tables/mounting.js"
import {
  type WebhookEvent,
  WebhookError,
  WebhookHttp,
  WebhookInbox,
  WebhookSecret,
  WebhookTesting
} from "../src/index.js"
import { bodyOf, idOf, lineOf, paddedTo, recorder, signed, signedPayload } from "./support/deliveries.js"
import {
  type Endpoint,
  fetchAdapter,
  type Init,
  type LogLine,
  type Observed,
  observe,
  PATH,
  Secret,
  serveNode,
  servePlatform,
  type Style,
  styles,
  webHandler
} from "./support/mount.js"

const post = (endpoint: Endpoint, delivery: WebhookTesting.Signed) =>
  Effect.promise(async () => {
    const response = await endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
    return { status: response.status, body: await response.json() as unknown }
  })

describe("toWebHandler given a Request whose body was read before it", () => {
  // The engine's rows: each way a middleware reads or locks a Request before the handler.
  for (const { consume, name: what } of Bodies.consumedWeb) {
    it.live(`answers a 500 Response and logs one failed line when ${what} ran first`, () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const observed = observe()
        const handler = yield* webHandler({ handle }, observed.layer)
        const delivery = yield* signed("response.completed")
        const request = new Request(`http://127.0.0.1${PATH}`, {
          method: "POST",
          headers: delivery.headers,
          body: bodyOf(delivery)
        })
        yield* Effect.promise(() => consume(request))
        const response = yield* Effect.promise(() => handler(request))
        assert.strictEqual(response.status, 500)
        assert.deepStrictEqual(yield* Effect.promise(() => response.json()), replyOf("failed").body)
        assert.strictEqual(seen.length, 0)
        yield* observed.untilLines(1)
        const line = lineOf(observed.lines, idOf(delivery))
        assert.strictEqual(line.message, "failed")
        assert.include(String(line.annotations["error"]), "the request body was read before the webhook handler")
        assert.include(String(line.annotations["error"]), "request.clone()")
      }))
  }
})

describe("the platform styles, whatever read the body before them", () => {
  /** What a server middleware reads of the body (or not) before the router runs the route. */
  type Read = ((request: HttpServerRequest.HttpServerRequest) => Effect.Effect<unknown, unknown>) | undefined
  const before = (read: Read) => (app: Effect.Effect<HttpServerResponse.HttpServerResponse, any, any>) =>
    read === undefined
      ? app
      : Effect.andThen(Effect.orDie(Effect.flatMap(HttpServerRequest.HttpServerRequest, read)), app)

  interface Server {
    readonly name: string
    /** Whether the platform's request holds a Node `IncomingMessage` (else a web `Request`). */
    readonly node: boolean
    readonly mount: <E>(
      options: WebhookHttp.Options<E, never>,
      read: Read,
      observability: Layer.Layer<never>
    ) => Effect.Effect<Endpoint, unknown, Scope.Scope>
  }

  /** The platform's own fetch handler (`HttpRouter.toWebHandler`) behind node:http, disposed with the scope. */
  interface PlatformHandler {
    readonly handler: (request: Request) => Promise<Response>
    readonly dispose: () => Promise<void>
  }
  const webServer = (make: () => PlatformHandler) =>
    Effect.flatMap(
      Effect.acquireRelease(Effect.sync(make), ({ dispose }) => Effect.promise(dispose)),
      ({ handler }) => serveNode(fetchAdapter((request) => handler(request)))
    )

  type App = Layer.Layer<never, unknown, any>
  const servers: ReadonlyArray<Server> = [
    {
      name: "layerRoute on @effect/platform-node",
      node: true,
      mount: (options, read, observability) =>
        servePlatform(
          HttpRouter.serve(WebhookHttp.layerRoute(options), {
            disableLogger: true,
            disableListenLog: true,
            middleware: before(read)
          }) as App,
          observability
        )
    },
    {
      name: "toHttpApp on @effect/platform-node",
      node: true,
      mount: (options, read, observability) =>
        servePlatform(
          HttpRouter.serve(HttpRouter.add("*", PATH, WebhookHttp.toHttpApp(options)), {
            disableLogger: true,
            disableListenLog: true,
            middleware: before(read)
          }) as App,
          observability
        )
    },
    {
      name: "layerRoute on HttpRouter.toWebHandler (a web Request)",
      node: false,
      mount: (options, read, observability) =>
        webServer(() =>
          HttpRouter.toWebHandler(
            WebhookHttp.layerRoute(options).pipe(Layer.provide(Secret), Layer.provide(observability)) as App,
            { disableLogger: true, middleware: before(read) }
          ) as never
        )
    },
    {
      name: "toHttpApp on HttpRouter.toWebHandler (a web Request)",
      node: false,
      mount: (options, read, observability) =>
        webServer(() =>
          HttpRouter.toWebHandler(
            // A handler's services are its requests' (Effect 4's router): provided per request, not to the layer.
            HttpRouter.add("*", PATH, WebhookHttp.toHttpApp(options)).pipe(
              HttpRouter.provideRequest(Layer.merge(Secret, observability))
            ) as App,
            { disableLogger: true, middleware: before(read) }
          ) as never
        )
    }
  ]

  // Effect 4's requests keep what arrayBuffer, text and json read (on Node and on the web alike); a stream keeps
  // nothing. (Effect 3's kept the text only on Node.)
  const reads: ReadonlyArray<readonly [string, Read, boolean]> = [
    ["nothing", undefined, true],
    ["request.text", (request) => request.text, true],
    ["request.json", (request) => request.json, true],
    ["request.arrayBuffer", (request) => request.arrayBuffer, true],
    // The platform's read made (and kept) but never run: run by the route, bounded by its limit.
    ["nothing but the request.arrayBuffer getter", (request) => Effect.sync(() => void request.arrayBuffer), true],
    ["request.stream", (request) => Stream.runDrain(request.stream), false]
  ]

  for (const server of servers) {
    describe(server.name, () => {
      for (const [what, read, processed] of reads) {
        it.live(
          processed
            ? `processes a delivery when a middleware read ${what} first`
            : `answers 500 with a line saying how to mount it when a middleware read ${what} first`,
          () =>
            Effect.gen(function*() {
              const { handle, seen } = recorder()
              const observed = observe()
              const endpoint = yield* server.mount({ handle }, read, observed.layer)
              const delivery = yield* signed("response.completed")
              const reply = yield* post(endpoint, delivery)
              yield* observed.untilLines(1)
              const line = lineOf(observed.lines, idOf(delivery))
              if (processed) {
                assert.deepStrictEqual(reply, { status: 200, body: { received: true } })
                assert.strictEqual(seen[0]?.event._tag, "response.completed")
                assert.strictEqual(line.message, "processed")
              } else {
                assert.strictEqual(reply.status, 500)
                assert.strictEqual(seen.length, 0)
                assert.strictEqual(line.message, "failed")
                const error = String(line.annotations["error"])
                assert.include(error, "the request body was read before the webhook handler")
                // On Node, how to read it so that the platform keeps it; on the web, how to leave it readable.
                assert.include(error, server.node ? "with request.arrayBuffer or request.text" : "request.clone()")
              }
            })
        )
      }

      it.live("answers 413 to a body over the limit whose read a middleware made and did not run", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const touch: Read = (request) => Effect.sync(() => void request.arrayBuffer)
          const endpoint = yield* server.mount({ handle, maxBodySize: 1024 }, touch, observed.layer)
          const delivery = yield* signedPayload(paddedTo(4 * 1024))
          // Chunked: no content-length, so only the read itself can find the body over the limit.
          const response = yield* Effect.promise(() =>
            endpoint.fetch({
              method: "POST",
              headers: delivery.headers,
              body: Bodies.chunkedStream(new TextEncoder().encode(delivery.body as string)),
              duplex: "half"
            })
          )
          assert.strictEqual(response.status, 413)
          assert.strictEqual(seen.length, 0)
          yield* observed.untilLines(1)
          assert.strictEqual(lineOf(observed.lines, idOf(delivery)).message, "too_large")
        }))

      it.live("answers 413 to a body over the limit that a middleware read as text first", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const endpoint = yield* server.mount({ handle, maxBodySize: 1024 }, (request) => request.text, observed.layer)
          const delivery = yield* signedPayload(paddedTo(1025))
          const reply = yield* post(endpoint, delivery)
          assert.strictEqual(reply.status, 413)
          assert.strictEqual(seen.length, 0)
          yield* observed.untilLines(1)
          assert.strictEqual(lineOf(observed.lines, idOf(delivery)).message, "too_large")
        }))
    })
  }
})

describe("layerRoute", () => {
  for (const requestLogger of [undefined, true]) {
    it.live(
      requestLogger
        ? "with requestLogger: true, logs each delivery with its own line and the platform's request line"
        : "logs each delivery once, with its own line: the platform's request logger stays quiet on its path",
      () =>
        Effect.gen(function*() {
          const observed = observe()
          const endpoint = yield* servePlatform(
            HttpRouter.serve(
              Layer.mergeAll(
                WebhookHttp.layerRoute({ handle: () => Effect.void, requestLogger }),
                HttpRouter.add("GET", "/other", HttpServerResponse.text("other"))
              ),
              { disableListenLog: true }
            ) as Layer.Layer<never, unknown, any>,
            observed.layer
          )
          const delivery = yield* signed("response.completed")
          assert.strictEqual((yield* post(endpoint, delivery)).status, 200)
          // Another route of the same router keeps the platform's line: only the webhook path is quiet.
          const other = yield* Effect.promise(() => fetch(`${endpoint.url!.replace(PATH, "")}/other`))
          assert.strictEqual(other.status, 200)
          yield* observed.untilLines(requestLogger ? 3 : 2)
          assert.deepStrictEqual(
            observed.lines.filter((line) => line.message !== "Sent HTTP response").map((line) => line.message),
            ["processed"]
          )
          const requests = observed.lines.filter((line) => line.message === "Sent HTTP response")
          assert.deepStrictEqual(
            requests.map((line) => line.annotations["http.url"]),
            requestLogger ? [PATH, "/other"] : ["/other"]
          )
        })
    )
  }

  it.live("closes a handler's scope with its request, not with the server", () =>
    Effect.gen(function*() {
      const finalized = yield* Deferred.make<void>()
      const observed = observe()
      const endpoint = yield* servePlatform(
        HttpRouter.serve(
          WebhookHttp.layerRoute({
            handle: () => Effect.addFinalizer(() => Deferred.succeed(finalized, undefined))
          }) as Layer.Layer<never, never, HttpRouter.HttpRouter | WebhookSecret.WebhookSecret>,
          { disableLogger: true, disableListenLog: true }
        ) as Layer.Layer<never, unknown, any>,
        observed.layer
      )
      assert.strictEqual((yield* post(endpoint, yield* signed("response.completed"))).status, 200)
      // The server is still up: only the request's scope can have run the finalizer.
      yield* Deferred.await(finalized)
    }))
})

describe("toWebHandler when something goes wrong around the delivery", () => {
  it.live("answers a 500 Response and logs one failed line when the body stream fails mid-way", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const observed = observe()
      const handler = yield* webHandler({ handle }, observed.layer)
      const delivery = yield* signed("response.completed")
      const broken = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{\"id\":"))
          controller.error(new Error("the client went away"))
        }
      })
      const init: Init = { method: "POST", headers: delivery.headers, body: broken, duplex: "half" }
      const response = yield* Effect.promise(() => handler(new Request(`http://127.0.0.1${PATH}`, init)))
      assert.strictEqual(response.status, 500)
      assert.strictEqual(seen.length, 0)
      yield* observed.untilLines(1)
      const line = lineOf(observed.lines, idOf(delivery))
      assert.strictEqual(line.message, "failed")
      assert.include(String(line.annotations["error"]), "the client went away")
    }))

  it.live("answers a 500 Response and logs a failed line, not a rejection, when reading the request throws", () =>
    Effect.gen(function*() {
      const observed = observe()
      const handler = yield* webHandler({ handle: () => Effect.void }, observed.layer)
      const request = new Proxy(new Request(`http://127.0.0.1${PATH}`, { method: "POST", body: "{}" }), {
        get: (target, key) => {
          if (key === "headers") throw new Error("a broken adapter")
          const value = Reflect.get(target, key, target)
          return typeof value === "function" ? value.bind(target) : value
        }
      })
      const response = yield* Effect.promise(() => handler(request))
      assert.strictEqual(response.status, 500)
      yield* observed.untilLines(1)
      assert.deepStrictEqual(observed.lines.map((line) => line.message), ["failed"])
      assert.include(observed.lines[0]!.cause, "a broken adapter")
    }))

  it("answers 500, never a rejection, when its layer fails to build", async () => {
    const { dispose, handler } = WebhookHttp.toWebHandler({
      handle: () => Effect.void,
      layer: Layer.effect(WebhookSecret.WebhookSecret, Effect.fail("no secret configured"))
    })
    try {
      const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
      const response = await handler(
        new Request(`http://127.0.0.1${PATH}`, { method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(response.status, 500)
      assert.deepStrictEqual(await response.json(), replyOf("failed").body)
    } finally {
      await dispose()
    }
  })
})

describe("what a route needs, and what it says when it starts", () => {
  /**
   * An inbox on a new SQLite database in memory, beside the observability layer: where a route finds it. Built
   * here, in the test's scope: a style may provide its layers to the making of the route only (`Effect.provide`
   * around `makeNodeListener`), which would close an inbox built there as soon as the listener is made.
   */
  const withInbox = (
    observed: Observed,
    mode: WebhookInbox.Mode
  ): Effect.Effect<Layer.Layer<never>, never, Scope.Scope> =>
    Effect.map(
      Layer.build(
        WebhookInbox.layerSql({ mode }).pipe(Layer.provide(SqliteClient.layer({ filename: ":memory:" })), Layer.orDie)
      ),
      (inbox) => Layer.merge(observed.layer, Layer.succeedContext(inbox))
    )

  /**
   * How `style` refuses a route that cannot start: the `IllegalArgumentError` its mounting fails with, where the
   * route starts when it is mounted (`layerRoute`, `makeNodeListener`); else undefined, once a delivery has been
   * answered 500 (`toHttpApp`, `toWebHandler`: no start of their own).
   */
  const refusal = (style: Style, mounting: Effect.Effect<Endpoint, unknown, Scope.Scope>, observed: Observed) =>
    Effect.gen(function*() {
      const mounted = yield* Effect.result(mounting)
      if (/layerRoute|makeNodeListener/.test(style.name)) {
        assert.isTrue(Result.isFailure(mounted), "the route fails to start")
        return (mounted as Result.Failure<Endpoint, unknown>).failure as WebhookError.IllegalArgumentError
      }
      const endpoint = Result.getOrThrow(mounted)
      const reply = yield* post(endpoint, yield* signed("response.completed"))
      assert.strictEqual(reply.status, 500)
      assert.isEmpty(observed.started)
      return undefined
    })

  /** The `failed` line of a delivery a route that could not start answered: what it says, with its cause. */
  const refusedLine = (observed: Observed) =>
    Effect.gen(function*() {
      yield* observed.untilLines(1)
      const [line] = observed.lines as [LogLine]
      assert.strictEqual(line.message, "failed")
      return `${String(line.annotations["error"])} ${line.cause}`
    })

  for (const style of styles) {
    describe(style.name, () => {
      it.live("says once, at warning level, that deliveries are not deduplicated when it has no inbox", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const endpoint = yield* Effect.orDie(style.mount({ handle }, observed.layer))
          const delivery = yield* signed("response.completed")
          for (let copy = 0; copy < 3; copy++) assert.strictEqual((yield* post(endpoint, delivery)).status, 200)
          // Every copy runs the handler: what the line warns of.
          assert.strictEqual(seen.length, 3)
          assert.strictEqual(observed.started.length, 1)
          const [line] = observed.started as [LogLine]
          assert.strictEqual(line.level, "Warn")
          assert.strictEqual(line.message, "deliveries are not deduplicated")
          const error = String(line.annotations["error"])
          assert.include(error, "every copy of a webhook-id runs the handler")
          assert.include(error, "not only to WebhookInbox.layerWorker")
          assert.include(error, "inbox: \"inline\"")
          assert.isUndefined(line.annotations["webhook_id"])
        }))

      it.live("with inbox: \"inline\", answers a copy of a handled delivery duplicate, without the handler", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const inbox = yield* withInbox(observed, "inline")
          const endpoint = yield* Effect.orDie(style.mount({ handle, inbox: "inline" }, inbox))
          const delivery = yield* signed("response.completed")
          assert.deepStrictEqual(yield* post(endpoint, delivery), { status: 200, body: { received: true } })
          assert.deepStrictEqual(yield* post(endpoint, delivery), {
            status: 200,
            body: { received: true, duplicate: true }
          })
          assert.strictEqual(seen.length, 1)
          assert.deepStrictEqual(observed.lines.map((line) => line.message), ["processed", "duplicate"])
          assert.deepStrictEqual(observed.started, [])
        }))

      it.live("with inbox: \"inline\", 20 concurrent copies of one delivery run the handler once", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const endpoint = yield* Effect.orDie(
            style.mount({ handle, inbox: "inline" }, yield* withInbox(observed, "inline"))
          )
          const delivery = yield* signed("response.completed")
          const replies = yield* Effect.forEach(Array.from({ length: 20 }), () => post(endpoint, delivery), {
            concurrency: "unbounded"
          })
          assert.deepStrictEqual(replies.map((reply) => reply.status), Array(20).fill(200))
          assert.strictEqual(seen.length, 1)
          const messages = observed.lines.map((line) => line.message)
          assert.deepStrictEqual(
            [messages.filter((m) => m === "processed").length, messages.filter((m) => m === "duplicate").length],
            [1, 19]
          )
        }))

      it.live("with inbox: \"queued\" and no handler, stores a delivery: 200 queued, then duplicate", () =>
        Effect.gen(function*() {
          const observed = observe()
          const endpoint = yield* Effect.orDie(style.mount({ inbox: "queued" }, yield* withInbox(observed, "queued")))
          const delivery = yield* signed("batch.completed")
          assert.deepStrictEqual(yield* post(endpoint, delivery), {
            status: 200,
            body: { received: true, queued: true }
          })
          assert.deepStrictEqual(yield* post(endpoint, delivery), {
            status: 200,
            body: { received: true, duplicate: true }
          })
          assert.deepStrictEqual(observed.lines.map((line) => line.message), ["queued", "duplicate"])
          assert.deepStrictEqual(observed.started, [])
        }))

      it.live("refuses an option it cannot use with an IllegalArgumentError naming it, never a throw", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const error = yield* refusal(style, style.mount({ handle, maxBodySize: 0 }, observed.layer), observed)
          assert.strictEqual(seen.length, 0)
          const message = "WebhookHttp: maxBodySize: Expected a whole number of bytes, at least 1; got 0"
          if (error === undefined) return assert.include(yield* refusedLine(observed), message)
          assert.instanceOf(error, WebhookError.IllegalArgumentError)
          assert.isTrue(Cause.isIllegalArgumentError(error))
          assert.deepStrictEqual([error._tag, error.reason, error.option, error.message], [
            "IllegalArgumentError",
            "OutOfRange",
            "maxBodySize",
            message
          ])
        }))

      it.live("refuses to start, saying how to build it, on an inbox of another mode than it says", () =>
        Effect.gen(function*() {
          const observed = observe()
          const inbox = yield* withInbox(observed, "inline")
          const error = yield* refusal(style, style.mount({ inbox: "queued" }, inbox), observed)
          const message = "WebhookHttp: inbox: the route says inbox: \"queued\", and the WebhookInbox it is given is " +
            "inline: build it with WebhookInbox.layerSql({ mode: \"queued\" })"
          if (error === undefined) return assert.include(yield* refusedLine(observed), message)
          assert.deepStrictEqual([error.reason, error.option], ["Conflict", "inbox"])
          assert.include(error.message, message)
        }))
    })
  }

  it.effect("names the option: a duration Effect cannot decode is Malformed, a timeout of zero OutOfRange", () =>
    Effect.gen(function*() {
      const make = (options: WebhookHttp.BaseOptions & { readonly inbox?: unknown; readonly handle?: unknown }) =>
        Effect.flip(
          WebhookHttp.makeNodeListener(
            { handle: () => Effect.void, ...options } as WebhookHttp.Options<never, never>
          ).pipe(Effect.provide(Layer.orDie(Secret)))
        )
      const malformed = yield* make({ timeout: "5 minuets" as Duration.Input })
      assert.deepStrictEqual([malformed.reason, malformed.option, malformed.message], [
        "Malformed",
        "timeout",
        "WebhookHttp: timeout: Expected a duration such as \"10 seconds\" or \"1500 millis\"; got \"5 minuets\""
      ])
      const zero = yield* make({ timeout: 0 })
      assert.deepStrictEqual([zero.reason, zero.option], ["OutOfRange", "timeout"])
      const tolerance = yield* make({ tolerance: "a while" as Duration.Input })
      assert.deepStrictEqual([tolerance.reason, tolerance.option], ["Malformed", "tolerance"])
      const fraction = yield* make({ maxBodySize: 1.5 })
      assert.deepStrictEqual([fraction.reason, fraction.option], ["OutOfRange", "maxBodySize"])
      const mode = yield* make({ inbox: "durable" })
      assert.deepStrictEqual([mode.reason, mode.option, mode.message], [
        "Malformed",
        "inbox",
        "WebhookHttp: inbox: Expected \"inline\" or \"queued\"; got durable"
      ])
      const handler = yield* make({ handle: "log it" })
      assert.deepStrictEqual([handler.reason, handler.option], ["Malformed", "handle"])
    }))

  it("has the Effect 3 edition's constants", () => {
    assert.strictEqual(WebhookHttp.defaultPath, "/webhooks/openai")
    assert.strictEqual(WebhookHttp.defaultMaxBodySize, 1024 * 1024)
  })
})

describe("types: a route that says inbox requires a WebhookInbox, in every mounting style", () => {
  class Mailer extends Context.Service<Mailer, { readonly send: (text: string) => Effect.Effect<void> }>()(
    "test/Mailer"
  ) {}
  const handle = (event: WebhookEvent.UnwrapWebhookEvent) => Effect.flatMap(Mailer, (mailer) => mailer.send(event._tag))
  const Secrets: Layer.Layer<WebhookSecret.WebhookSecret> = Layer.succeedContext(Context.empty()) as never
  const Inbox: Layer.Layer<WebhookInbox.WebhookInbox> = Layer.succeedContext(Context.empty()) as never
  const MailerLive = Layer.succeed(Mailer, { send: () => Effect.void })
  type Listener = (request: http.IncomingMessage, response: http.ServerResponse) => void
  type App<R> = Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>

  // Only compiled: the assignments are the assertions. `@ts-expect-error` fails the type-check when there is no error.
  it("makeNodeListener", () => {
    const inline: Effect.Effect<Listener, unknown, WebhookSecret.WebhookSecret | Mailer | WebhookInbox.WebhookInbox> =
      WebhookHttp.makeNodeListener({ handle, inbox: "inline" })
    type Needs = WebhookSecret.WebhookSecret | Mailer
    // @ts-expect-error an inline route built without its inbox
    const missing: Effect.Effect<Listener, unknown, Needs> = WebhookHttp.makeNodeListener({ handle, inbox: "inline" })
    // Queued: no handler, so none of its services; the inbox only.
    const queued: Effect.Effect<Listener, unknown, WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox> =
      WebhookHttp.makeNodeListener({ inbox: "queued" })
    // @ts-expect-error a queued route takes no handler: the workers run it
    const handled = WebhookHttp.makeNodeListener({ handle, inbox: "queued" })
    // Without `inbox`, no inbox in the type: what it says at start is the runtime test above.
    const plain: Effect.Effect<Listener, unknown, WebhookSecret.WebhookSecret | Mailer> = WebhookHttp.makeNodeListener({
      handle
    })
    assert.isDefined([inline, missing, queued, handled, plain])
  })

  it("layerRoute", () => {
    type Router = HttpRouter.HttpRouter
    type Inline = Router | WebhookSecret.WebhookSecret | Mailer | WebhookInbox.WebhookInbox
    const inline: Layer.Layer<never, unknown, Inline> = WebhookHttp.layerRoute({ handle, inbox: "inline" })
    // @ts-expect-error an inline route built without its inbox: the slip of giving it to layerWorker only
    const missing: Layer.Layer<never, unknown, Router | WebhookSecret.WebhookSecret | Mailer> = WebhookHttp.layerRoute(
      { handle, inbox: "inline" }
    )
    const queued: Layer.Layer<never, unknown, Router | WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox> =
      WebhookHttp.layerRoute({ inbox: "queued", path: "/hooks" })
    // The README's slip, a type error: the inbox given to the workers only.
    const workers = WebhookInbox.layerWorker({ handle }).pipe(Layer.provide(Inbox), Layer.provide(MailerLive))
    const slip = Layer.merge(WebhookHttp.layerRoute({ inbox: "queued" }).pipe(Layer.provide(Secrets)), workers)
    // @ts-expect-error the route still requires the WebhookInbox
    const launched: Layer.Layer<never, unknown, Router> = slip
    assert.isDefined([inline, missing, queued, launched])
  })

  it("toHttpApp", () => {
    type Request = HttpServerRequest.HttpServerRequest
    type Needs = WebhookSecret.WebhookSecret | Mailer | Request
    const inline: App<Needs | WebhookInbox.WebhookInbox> = WebhookHttp.toHttpApp({ handle, inbox: "inline" })
    // @ts-expect-error an inline route built without its inbox
    const missing: App<Needs> = WebhookHttp.toHttpApp({ handle, inbox: "inline" })
    const queued: App<WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox | Request> = WebhookHttp.toHttpApp({
      inbox: "queued"
    })
    assert.isDefined([inline, missing, queued])
  })

  it("toWebHandler", () => {
    const both = Layer.mergeAll(Secrets, Inbox, MailerLive)
    const inline = WebhookHttp.toWebHandler({ handle, inbox: "inline", layer: both })
    // @ts-expect-error an inline route whose layer has no inbox
    const missing = WebhookHttp.toWebHandler({ handle, inbox: "inline", layer: Layer.merge(Secrets, MailerLive) })
    const queued = WebhookHttp.toWebHandler({ inbox: "queued", layer: Layer.merge(Secrets, Inbox) })
    // @ts-expect-error a queued route whose layer has no inbox
    const queuedMissing = WebhookHttp.toWebHandler({ inbox: "queued", layer: Secrets })
    // @ts-expect-error the handler's services are still required without an inbox
    const unserved = WebhookHttp.toWebHandler({ handle, layer: Secrets })
    assert.isDefined([inline, missing, queued, queuedMissing, unserved])
  })
})

describe("makeNodeListener behind a framework's body parser", () => {
  /**
   * What a body parser does before the route (Express's `raw()`, `text()`, `json()`, Fastify's parsers): it reads
   * the stream to its end and leaves a value in `req.body`. The engine's rows of those values, each behind a parser
   * of that kind in front of the listener on node:http.
   */
  const behindParser = (listener: http.RequestListener, value: () => unknown): http.RequestListener =>
  (request, response) => {
    request.resume()
    request.on("end", () => {
      ;(request as http.IncomingMessage & { body?: unknown }).body = value()
      listener(request, response)
    })
  }

  for (const row of Bodies.values) {
    const expected = row.expected
    it.live(
      expected._tag === "Body"
        ? `verifies ${row.name}: the bytes it holds are what the signature covers`
        : expected._tag === "TooLarge"
        ? `answers 413 to ${row.name}`
        : `answers 500 to ${row.name}, saying how to mount the listener`,
      () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const listener = yield* WebhookHttp.makeNodeListener({ handle, maxBodySize: Bodies.limit }).pipe(
            Effect.provide(Layer.merge(Secret, observed.layer))
          )
          const endpoint = yield* serveNode(behindParser(listener, row.value))
          // A body row is signed as its bytes: a 401 would say the listener checked other bytes than the parser's.
          const delivery = yield* WebhookTesting.sign({ payload: Uint8Array.from(row.bytes ?? [0x7b, 0x7d]), secret })
          const reply = yield* post(endpoint, delivery)
          yield* observed.untilLines(1)
          const line = lineOf(observed.lines, idOf(delivery))
          assert.strictEqual(seen.length, 0)
          switch (expected._tag) {
            case "Body": {
              // Authentic, and not an event: read and verified, then refused by decoding.
              const reason = row.bytes!.length === 0 ? "InvalidJson" : "InvalidEvent"
              assert.deepStrictEqual(reply, { status: 400, body: replyOf("invalid", reason).body })
              assert.strictEqual(line.message, "invalid")
              break
            }
            case "TooLarge":
              assert.deepStrictEqual(reply, {
                status: 413,
                body: { error: { type: "PayloadTooLarge", message: `The body is larger than ${Bodies.limit} bytes` } }
              })
              assert.strictEqual(line.message, "too_large")
              break
            case "Unreadable":
              assert.deepStrictEqual(reply, { status: 500, body: replyOf("failed").body })
              assert.strictEqual(line.message, "failed")
              assert.include(String(line.annotations["error"]), expected.why)
          }
        })
    )
  }
})
