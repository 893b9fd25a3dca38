/**
 * Every way users mount `WebhookHttp`, each live on a real loopback server (or, for a web handler, also
 * called directly), with a logger and a tracer that record what a delivery leaves behind. Express and
 * Fastify are mounted with the README's own code (examples/express.ts, examples/fastify.ts).
 */
import * as http from "node:http"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Context, Effect, type Exit, Layer, Logger, Option, type Scope, Tracer } from "effect"
import express from "express"
import Fastify, { type FastifyInstance } from "fastify"
import { makeApp } from "../../examples/express.js"
import { webhooks } from "../../examples/fastify.js"
import { type WebhookError, WebhookHttp, type WebhookInbox, WebhookSecret } from "../../src/index.js"
import { fetchAdapter, type Init } from "../../packages/engine/test/support/http.js"
import { listenLoopback } from "./http.js"

export const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
export const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
export const PATH = WebhookHttp.defaultPath
export const Secret = WebhookSecret.layer(secret)

// Observability: what a delivery leaves behind in logs and traces.

export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

export class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId = Math.random().toString(16).slice(2)
  readonly traceId: string
  readonly sampled = true
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink>
  status: Tracer.SpanStatus
  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind
  ) {
    this.traceId = Option.match(parent, { onNone: () => this.spanId, onSome: (span) => span.traceId })
    this.links = [...links]
    this.status = { _tag: "Started", startTime }
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }
  event(): void {}
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }
}

export interface Observed {
  /** What deliveries left behind: every line but the ones a route logs when it starts (see `started`). */
  readonly lines: Array<LogLine>
  /** The lines a route logs once when it starts: `deliveries are not deduplicated`, without an inbox. */
  readonly started: Array<LogLine>
  readonly spans: Array<RecordedSpan>
  readonly layer: Layer.Layer<never>
  /** Waits until at least `count` lines have been logged (a line may follow the answer it is about). */
  readonly untilLines: (count: number) => Effect.Effect<void>
}

/** The message of the line a route without an inbox logs once, when it starts. */
export const NOT_DEDUPLICATED = "deliveries are not deduplicated"

/** A logger and a tracer that record everything, as a layer for the server or runtime under test. */
export const observe = (): Observed => {
  const lines: Array<LogLine> = []
  const started: Array<LogLine> = []
  const spans: Array<RecordedSpan> = []
  const waiters = new Set<() => void>()
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    const line = {
      level: logLevel.label,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(annotations),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
    }
    if (line.message === NOT_DEDUPLICATED) return void started.push(line)
    lines.push(line)
    for (const waiter of waiters) waiter()
  })
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const span = new RecordedSpan(name, parent, context, links, startTime, kind)
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  const untilLines = (count: number) =>
    Effect.async<void>((resume) => {
      if (lines.length >= count) return resume(Effect.void)
      const waiter = () => {
        if (lines.length < count) return
        waiters.delete(waiter)
        resume(Effect.void)
      }
      waiters.add(waiter)
      return Effect.sync(() => waiters.delete(waiter))
    })
  return {
    lines,
    started,
    spans,
    untilLines,
    layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Layer.setTracer(tracer))
  }
}

/** A line as one string, to search for what it must never show. */
export const textOf = (line: LogLine): string => [line.message, JSON.stringify(line.annotations), line.cause].join(" ")

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

/** Serves a platform app layer with `@effect/platform-node` on a random loopback port. */
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
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("the platform server should listen on TCP")
    return overHttp(address.port)
  })

/** Serves a plain Node listener on a random loopback port; closing drops every connection. */
export const serveNode = (listener: http.RequestListener) =>
  Effect.map(listenLoopback(listener), ({ port }) => overHttp(port))

/** Serves a Fastify app on a random loopback port, closed with the scope. */
export const serveFastify = (setup: (app: FastifyInstance) => Promise<void>) =>
  Effect.gen(function*() {
    const app = Fastify()
    yield* Effect.addFinalizer(() => Effect.promise(() => app.close()))
    yield* Effect.promise(() => setup(app))
    yield* Effect.promise(() => app.listen({ port: 0, host: "127.0.0.1" }))
    const address = app.server.address()
    if (address === null || typeof address === "string") return yield* Effect.dieMessage("Fastify should listen on TCP")
    return overHttp(address.port)
  })

/** The Node listener, made on a runtime with the secret and the observability layer. */
export const nodeListener = <E>(options: RouteOptions<E>, observability: Layer.Layer<never>) =>
  // The types say what a route that says `inbox` needs; here the inbox, if any, is in `observability`.
  (WebhookHttp.makeNodeListener(options) as Effect.Effect<
    http.RequestListener,
    WebhookError.IllegalArgumentException,
    WebhookSecret.WebhookSecret
  >).pipe(Effect.provide(Layer.merge(Secret, observability)))

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

/** The Node listener on Fastify, mounted as the README shows (examples/fastify.ts). */
export const behindFastify = (listener: http.RequestListener) =>
  serveFastify(async (app) => {
    await app.register(webhooks(listener))
  })

/** The Node listener on an Express route behind `parser`, mounted as the README shows (examples/express.ts). */
const behindExpress = (parser: express.RequestHandler) => (listener: http.RequestListener) =>
  serveNode(makeApp(listener, parser))

/** Every mounting style, each on a real server (a web handler also called directly). */
export const styles: ReadonlyArray<Style> = [
  {
    name: "toHttpApp on the classic HttpRouter",
    connected: true,
    mount: (options, observability) =>
      servePlatform(
        HttpRouter.empty.pipe(HttpRouter.all(PATH, WebhookHttp.toHttpApp(options)), HttpServer.serve()),
        observability
      )
  },
  {
    name: "layerRoute on HttpLayerRouter",
    connected: true,
    // The platform's access log is the application's choice and adds a line of its own: off here.
    mount: (options, observability) =>
      servePlatform(
        HttpLayerRouter.serve(WebhookHttp.layerRoute(options), { disableLogger: true, disableListenLog: true }),
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
  },
  {
    name: "makeNodeListener behind Express with express.raw()",
    connected: true,
    mount: (options, observability) =>
      Effect.flatMap(
        nodeListener(options, observability),
        behindExpress(express.raw({ type: "application/json", limit: "1mb" }))
      )
  },
  {
    name: "makeNodeListener behind Express with express.text()",
    connected: true,
    mount: (options, observability) =>
      Effect.flatMap(
        nodeListener(options, observability),
        behindExpress(express.text({ type: "application/json", limit: "1mb" }))
      )
  },
  {
    name: "makeNodeListener behind Fastify",
    connected: true,
    mount: (options, observability) => Effect.flatMap(nodeListener(options, observability), behindFastify)
  }
]
