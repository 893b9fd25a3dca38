/**
 * Every way users mount the Effect 4 edition's `WebhookHttp`, each live on a real loopback server (or, for a web
 * handler, also called directly), with a logger and a tracer that record what a delivery leaves behind: the
 * wiring of the mounting conformance table (the engine's `tables/mounting.ts`) for this edition.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Context, Effect, Layer, Logger, References, type Scope, Tracer } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import { fetchAdapter, type Init } from "../../../engine/test/support/http.js"
import { secret } from "../../../engine/test/tables/mounting.js"
import { type WebhookError, WebhookHttp, type WebhookInbox, WebhookSecret } from "../../src/index.js"

export const PATH = WebhookHttp.defaultPath
export const Secret = WebhookSecret.layer(secret)

// Observability: what a delivery leaves behind in logs and traces.

export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

export interface Observed {
  /** What deliveries left behind: every line but the one a route logs when it starts (see `started`). */
  readonly lines: Array<LogLine>
  /** The lines a route logs once when it starts: `deliveries are not deduplicated`, without an inbox. */
  readonly started: Array<LogLine>
  readonly spans: Array<Tracer.Span>
  /** The logger and the tracer, for the server or runtime under test. */
  readonly layer: Layer.Layer<never>
  /** Waits until at least `count` lines have been logged (a line may follow the answer it is about). */
  readonly untilLines: (count: number) => Effect.Effect<void>
}

/** The message of the line a route without an inbox logs once, when it starts. */
export const NOT_DEDUPLICATED = "deliveries are not deduplicated"

/** A logger and a tracer that record everything (and print nothing). */
export const observe = (): Observed => {
  const lines: Array<LogLine> = []
  const started: Array<LogLine> = []
  const spans: Array<Tracer.Span> = []
  const waiters = new Set<() => void>()
  const logger = Logger.make(({ cause, fiber, logLevel, message }) => {
    const line = {
      level: logLevel,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: { ...fiber.getRef(References.CurrentLogAnnotations) },
      cause: cause.reasons.length === 0 ? "" : Cause.pretty(cause)
    }
    if (line.message === NOT_DEDUPLICATED) return void started.push(line)
    lines.push(line)
    for (const waiter of waiters) waiter()
  })
  // Effect's own spans, kept: they record their attributes, ends and exits.
  const tracer = Tracer.make({
    span(options) {
      const span = Tracer.nativeTracer.span(options)
      spans.push(span)
      return span
    }
  })
  const untilLines = (count: number) =>
    Effect.callback<void>((resume) => {
      const check = () => {
        if (lines.length < count) return
        waiters.delete(check)
        resume(Effect.void)
      }
      waiters.add(check)
      check()
      return Effect.sync(() => waiters.delete(check))
    })
  return {
    lines,
    started,
    spans,
    untilLines,
    layer: Layer.mergeAll(Logger.layer([logger]), Layer.succeed(Tracer.Tracer, tracer))
  }
}

// Mounting styles: each builds a live endpoint in the test's scope.

export type { Init }
export { fetchAdapter }

export interface Endpoint {
  /** Sends one request to the webhook endpoint. */
  readonly fetch: (init: Init) => Promise<Response>
  /** The endpoint's URL when it is served over HTTP (every style but a bare web handler). */
  readonly url: string | undefined
}

/** A route's options: a handler (with or without `inbox: "inline"`), or `inbox: "queued"` and none. */
export type RouteOptions<E> = WebhookHttp.Options<E, never> | WebhookHttp.QueuedOptions

export interface Style {
  readonly name: string
  /** Whether it is served over a connection (all but a web handler called directly). */
  readonly connected: boolean
  /**
   * `observability` is provided where the route's services are (its layer, its runtime, the server's context):
   * merge a `WebhookInbox` into it for a route that says `inbox`.
   */
  readonly mount: <E>(
    options: RouteOptions<E>,
    observability: Layer.Layer<never>
  ) => Effect.Effect<Endpoint, unknown, Scope.Scope>
}

const overHttp = (port: number): Endpoint => {
  const url = `http://127.0.0.1:${port}${PATH}`
  return { url, fetch: (init) => fetch(url, init) }
}

/** Serves a router's app layer with `@effect/platform-node` on a random loopback port, for the test's scope. */
export const servePlatform = (
  app: Layer.Layer<never, unknown, HttpServer.HttpServer | WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox>,
  observability: Layer.Layer<never>
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      // The inbox of a route that says `inbox`, if any, is in `observability`.
      (app as Layer.Layer<never, unknown, HttpServer.HttpServer | WebhookSecret.WebhookSecret>).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" })),
        Layer.provide(Secret),
        Layer.provide(observability)
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag === "UnixPathAddress") return yield* Effect.die("the platform server should listen on TCP")
    return overHttp(address.port)
  })

/** A plain `node:http` server on a random loopback port; closing the scope drops every connection. */
export const listenLoopback = (listener: http.RequestListener) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.callback<http.Server>((resume) => {
        const server = http.createServer(listener)
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    ),
    (server) => ({ server, port: (server.address() as AddressInfo).port })
  )

/** Serves a plain Node listener on a random loopback port. */
export const serveNode = (listener: http.RequestListener) =>
  Effect.map(listenLoopback(listener), ({ port }) => overHttp(port))

/** The Node listener, made on a context with the secret and the observability layer. */
export const nodeListener = <E>(options: RouteOptions<E>, observability: Layer.Layer<never>) =>
  // The types say what a route that says `inbox` needs; here the inbox, if any, is in `observability`.
  (WebhookHttp.makeNodeListener(options) as Effect.Effect<
    http.RequestListener,
    WebhookError.IllegalArgumentError,
    WebhookSecret.WebhookSecret
  >).pipe(Effect.provide(Layer.merge(Secret, observability)))

/** The fetch handler on a layer of the secret and the observability layer, disposed with the test's scope. */
export const webHandler = <E>(options: RouteOptions<E>, observability: Layer.Layer<never>) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        // The types say what a route that says `inbox` needs; here the inbox, if any, is in `observability`.
        const layer = Layer.merge(Secret, observability) as Layer.Layer<
          WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox
        >
        return options.inbox === "queued"
          ? WebhookHttp.toWebHandler({ ...options, layer })
          : WebhookHttp.toWebHandler({ ...options, layer })
      }),
      ({ dispose }) => Effect.promise(dispose)
    ),
    ({ handler }) => handler
  )

/** Every mounting style of this edition, each on a real server (a web handler also called directly). */
export const styles: ReadonlyArray<Style> = [
  {
    name: "toHttpApp on HttpRouter.add",
    connected: true,
    // The platform's access log is the application's choice, and adds a line of its own: off here.
    mount: (options, observability) =>
      servePlatform(
        HttpRouter.serve(HttpRouter.add("*", PATH, WebhookHttp.toHttpApp(options)), {
          disableLogger: true,
          disableListenLog: true
        }) as Layer.Layer<never, unknown, HttpServer.HttpServer | WebhookSecret.WebhookSecret>,
        observability
      )
  },
  {
    name: "layerRoute on HttpRouter",
    connected: true,
    // The platform's access log stays on: the route keeps it quiet for its own requests (one line per delivery).
    mount: (options, observability) =>
      servePlatform(
        HttpRouter.serve(WebhookHttp.layerRoute(options), { disableListenLog: true }) as Layer.Layer<
          never,
          unknown,
          HttpServer.HttpServer | WebhookSecret.WebhookSecret
        >,
        observability
      )
  },
  {
    name: "toWebHandler called with a Request",
    connected: false,
    mount: (options, observability) =>
      Effect.map(webHandler(options, observability), (handler): Endpoint => ({
        url: undefined,
        fetch: (init) => handler(new Request(`http://127.0.0.1${PATH}`, init))
      }))
  },
  {
    name: "toWebHandler behind node:http",
    connected: true,
    mount: (options, observability) =>
      Effect.flatMap(webHandler(options, observability), (handler) => serveNode(fetchAdapter(handler)))
  },
  {
    name: "makeNodeListener on node:http",
    connected: true,
    mount: (options, observability) => Effect.flatMap(nodeListener(options, observability), serveNode)
  }
]
