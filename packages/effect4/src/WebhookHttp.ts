/**
 * Receive deliveries over HTTP: one handler, four ways to mount it (`effect/http`'s `HttpRouter`, a fetch handler,
 * a `node:http` listener).
 *
 * | situation | status |
 * |---|---|
 * | handled | 200 |
 * | method other than POST | 405 (with `Allow: POST`) |
 * | body over the limit (default 1 MiB) | 413 |
 * | `SignatureError` | 401 |
 * | `DecodeError` (authentic but undecodable: logged with its raw body) | 400 |
 * | the handler failed, died or timed out | 500 (OpenAI retries) |
 *
 * Every delivery is logged once (message: the outcome in one word; annotations `webhook_id`,
 * `event_type`), traced as an `openai.webhook` span and counted in `openai_webhook_deliveries_total`
 * (attributes `outcome` and `event_type`; a type this version does not know counts as `unknown`, so that a
 * sender cannot grow the metric registry). Responses carry a small JSON body and never a secret or
 * signature. The replies, the words and the status table are the engine's, the same as the Effect 3 edition's.
 *
 * A route says what it needs: with `inbox: "inline"` (a handler) or `inbox: "queued"` (none: the workers run it),
 * every mounting style requires a `WebhookInbox` in its type and finds it once, when it starts. A route that does
 * not say `inbox` uses the inbox its context holds when it starts, if any, and otherwise says once, at start, that
 * deliveries are not deduplicated. Options it cannot use are an `IllegalArgumentError` (`WebhookError`) when
 * it starts, never a throw.
 *
 * @since 0.4.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import type * as HttpRouter from "effect/http/HttpRouter"
import { HttpRouter as Router } from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import { Body, Reply } from "openai-webhooks-engine"
import * as internal from "./internal/http.js"
import * as reply from "./internal/reply.js"
import type { IllegalArgumentError } from "./WebhookError.js"
import type { WebhookInbox } from "./WebhookInbox.js"
import type { Handler } from "./Webhooks.js"
import type { WebhookSecret } from "./WebhookSecret.js"

/**
 * What every mounting style takes besides the handler.
 *
 * @since 0.4.0
 * @category models
 */
export interface BaseOptions {
  /** The largest body accepted, in bytes; larger ones are answered 413. Default: 1 MiB ({@link defaultMaxBodySize}). */
  readonly maxBodySize?: number | undefined
  /**
   * How long the handler may run before it is interrupted and the delivery answered 500 (OpenAI
   * expects an answer within a few seconds); with an inbox, also how long a copy waits on another copy's
   * claim. Default: no limit (a copy waits 10 seconds).
   */
  readonly timeout?: Duration.Input | undefined
  /** The timestamp tolerance (see `Webhooks.Options`). Default: 5 minutes. */
  readonly tolerance?: Duration.Input | undefined
}

/**
 * A route that runs your handler while OpenAI waits for the answer.
 *
 * - `inbox: "inline"`: through the `WebhookInbox`, which the route then requires in its type: each
 *   `webhook-id` is claimed, handled once and remembered, and a copy of one already handled answers 200
 *   `duplicate`. The inbox must be built inline (`WebhookInbox.layerSql()`, its default mode).
 * - no `inbox`: the route requires none. It uses one if its context holds one when it starts (say
 *   `inbox: "inline"` so that the type says so); without one, every copy runs the handler, and the route says so
 *   once when it starts (`deliveries are not deduplicated`, at warning level).
 *
 * @since 0.4.0
 * @category models
 */
export interface Options<E, R> extends BaseOptions {
  /**
   * Your handler, typically a `Match.type<UnwrapWebhookEvent>()` pipeline. Its success answers 200; its
   * failure or defect answers 500 so that OpenAI delivers the event again.
   */
  readonly handle: Handler<E, R>
  /** `"inline"`: through the `WebhookInbox` (required). Default: none (see above). */
  readonly inbox?: "inline" | undefined
}

/**
 * A route that stores every verified delivery in the `WebhookInbox` and answers 200 `queued` at once; the
 * inbox's workers (`WebhookInbox.layerWorker`) run the handler, so the route takes none and requires no service
 * of it. The inbox must be built queued (`WebhookInbox.layerSql({ mode: "queued" })`).
 *
 * @since 0.4.0
 * @category models
 */
export interface QueuedOptions extends BaseOptions {
  readonly inbox: "queued"
  /** None: `WebhookInbox.layerWorker` takes the handler. */
  readonly handle?: undefined
}

/**
 * The services a route with options `O` requires besides the `WebhookSecret`: its handler's, and the
 * `WebhookInbox` when it says `inbox` (`"inline"` or `"queued"`; a queued route has no handler). Options of a
 * wider type (a variable of type `Options<E, R>`, whose `inbox` may be absent) require no inbox in the type: such a
 * route that says `"inline"` and finds none fails to start (`IllegalArgumentError`, `Conflict`).
 *
 * @since 0.4.0
 * @category models
 */
export type Requirements<O> =
  | (O extends { readonly handle: (...args: Array<never>) => Effect.Effect<unknown, unknown, infer R> } ? R : never)
  | (O extends { readonly inbox: "inline" | "queued" } ? WebhookInbox : never)

/**
 * The options of a route: {@link Options} (a handler, inline) or {@link QueuedOptions} (stored for the workers).
 *
 * @since 0.4.0
 * @category models
 */
export type RouteOptions = Options<unknown, unknown> | QueuedOptions

/**
 * The default body limit: 1 MiB.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultMaxBodySize: number = internal.DEFAULT_MAX_BODY_SIZE

/**
 * The default path of `layerRoute` and of the receiver: `/webhooks/openai`.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultPath = "/webhooks/openai"

/**
 * The handler as an `effect/http` handler, an `Effect` of the response that reads the `HttpServerRequest`: for
 * `HttpRouter.add("*", "/webhooks/openai", WebhookHttp.toHttpApp({ handle }))` (`"*"` answers other methods with
 * 405 rather than the router's 404), or anywhere an `effect/http` app is taken.
 *
 * The body: on `@effect/platform-node` it is read straight from the Node request, as `makeNodeListener`
 * reads it (bounded by `maxBodySize`, a body over it answered 413 on a connection that stays usable); on
 * a web `Request` (Bun, Deno, `HttpRouter.toWebHandler`) from its stream. A middleware may read it first with
 * `request.arrayBuffer`, `request.text` or `request.json`: Effect 4's platform keeps the bytes, and they are what
 * the signature is checked against. One that read it with `request.stream` leaves nothing to check: answered 500,
 * with a line saying so.
 *
 * It has no start of its own: the `WebhookInbox` is taken from each request's context (the route requires it with
 * `inbox`), an option that cannot be used answers each delivery 500 with a line naming it (the
 * `IllegalArgumentError` the other styles fail with), and a route without an inbox says at its first delivery
 * that deliveries are not deduplicated.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpRouter } from "effect/http"
 * import { type WebhookEvent, WebhookHttp } from "effect4-openai-webhooks"
 *
 * const Route = HttpRouter.add(
 *   "*",
 *   "/webhooks/openai",
 *   WebhookHttp.toHttpApp({ handle: (event) => Effect.log(event._tag) })
 * )
 * // Deduplicated: the route then requires a WebhookInbox (WebhookInbox.layerSql()).
 * const handle = (event: WebhookEvent.UnwrapWebhookEvent) => Effect.log(event._tag)
 * const Deduplicated = HttpRouter.add("*", "/webhooks/openai", WebhookHttp.toHttpApp({ handle, inbox: "inline" }))
 * ```
 *
 * @since 0.4.0
 * @category mounting
 */
export const toHttpApp = <O extends RouteOptions>(
  options: O
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  Requirements<O> | WebhookSecret | HttpServerRequest.HttpServerRequest
> => {
  const serve = internal.serveApp(internal.prepare(options))
  return Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) => Effect.map(serve(request), reply.toPlatform)
  ) as Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    never,
    Requirements<O> | WebhookSecret | HttpServerRequest.HttpServerRequest
  >
}

/**
 * A route layer for `effect/http`'s `HttpRouter`: every method on `path` (default `/webhooks/openai`), POST
 * handled and the rest answered 405. The services the handler needs, the `WebhookSecret` and the
 * `WebhookInbox` are captured when the layer is built, so requests need nothing more (and look nothing up);
 * a handler's `Scope` is its request's. The body is read as `toHttpApp` reads it. Fails to build with an
 * `IllegalArgumentError` for an option it cannot use, or an inbox of another mode than `inbox` says.
 *
 * Each delivery is logged once, by the route's own line (its outcome, `webhook_id`, `event_type`): the platform's
 * request logger, which `HttpRouter.serve` adds, says nothing of the route's requests. `requestLogger: true` keeps
 * its line too (`Sent HTTP response`); silence the route's own with a `Logger` of yours.
 *
 * @example
 * ```ts
 * import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect, Layer } from "effect"
 * import { HttpRouter } from "effect/http"
 * import { createServer } from "node:http"
 * import { WebhookHttp, WebhookInbox, WebhookSecret } from "effect4-openai-webhooks"
 *
 * // Requires the WebhookInbox in its type: each webhook-id is handled once.
 * const WebhookRoute = WebhookHttp.layerRoute({ handle: (event) => Effect.log(event._tag), inbox: "inline" })
 *
 * HttpRouter.serve(WebhookRoute).pipe(
 *   Layer.provide(WebhookInbox.layerSql().pipe(Layer.provide(SqliteClient.layer({ filename: "webhooks.sqlite" })))),
 *   Layer.provide(WebhookSecret.layerConfig()),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8787 })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * @since 0.4.0
 * @category mounting
 */
export const layerRoute = <O extends RouteOptions>(
  options: O & {
    readonly path?: HttpRouter.PathInput | undefined
    /**
     * Whether the platform's request logger logs the route's requests too, beside the route's own line.
     * Default: false, one line per delivery.
     */
    readonly requestLogger?: boolean | undefined
  }
): Layer.Layer<
  never,
  IllegalArgumentError,
  Router | Exclude<Requirements<O>, HttpServerRequest.HttpServerRequest | Scope.Scope> | WebhookSecret
> => {
  const prepared = internal.prepare(options)
  return Layer.effectDiscard(Effect.gen(function*() {
    const router = yield* Router
    const context = yield* Effect.context<never>()
    const settings = yield* internal.start(prepared, context)
    const deliver = Effect.flatMap(
      HttpServerRequest.HttpServerRequest,
      (request) => Effect.map(internal.serveEffect(settings, request), reply.toPlatform)
    )
    // The layer's own scope, span and annotations stay out: a delivery's are its request's, as for any route.
    const route = internal.withCaptured(
      options.requestLogger === true ? deliver : HttpMiddleware.withLoggerDisabled(deliver),
      internal.capturable(context)
    )
    yield* router.add("*", options.path ?? defaultPath, route)
  })) as Layer.Layer<
    never,
    IllegalArgumentError,
    Router | Exclude<Requirements<O>, HttpServerRequest.HttpServerRequest | Scope.Scope> | WebhookSecret
  >
}

/**
 * What {@link toWebHandler} returns: the handler, and `dispose` to release its layer on shutdown.
 *
 * @since 0.4.0
 * @category models
 */
export interface WebHandler {
  readonly handler: (request: Request) => Promise<Response>
  readonly dispose: () => Promise<void>
}

/**
 * A fetch-style handler, `(request: Request) => Promise<Response>`, for Bun, Deno, Cloudflare Workers
 * or any server that speaks the web `Request`/`Response`. The layer provides the `WebhookSecret`, what the
 * handler needs, and the `WebhookInbox` when the options say `inbox`; it is built once, on the first
 * request, and the route starts then (a layer that fails to build, or an option that cannot be used, answers
 * every delivery 500 with a line saying why). Call `dispose` on shutdown. The promise always resolves: a
 * `Request` whose body a middleware already read, or anything else that goes wrong around the delivery, is
 * answered 500 with a line saying why.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"
 *
 * const { handler, dispose } = WebhookHttp.toWebHandler({
 *   handle: (event) => Effect.log(event._tag),
 *   layer: WebhookSecret.layerConfig()
 * })
 * // Bun.serve({ fetch: handler }), Deno.serve(handler), export default { fetch: handler }
 * ```
 *
 * @since 0.4.0
 * @category mounting
 */
export const toWebHandler: {
  <E, R, LE, I extends "inline" | undefined = undefined>(
    options: BaseOptions & {
      readonly handle: Handler<E, R>
      /** `"inline"`: the layer must provide the `WebhookInbox` too. */
      readonly inbox?: I
      readonly layer: Layer.Layer<R | WebhookSecret | ([I] extends ["inline"] ? WebhookInbox : never), LE>
    }
  ): WebHandler
  <LE>(options: QueuedOptions & { readonly layer: Layer.Layer<WebhookInbox | WebhookSecret, LE> }): WebHandler
} = (options: RouteOptions & { readonly layer: Layer.Layer<never, unknown> }): WebHandler => {
  const prepared = internal.prepare(options)
  // Set when the layer is built, before any delivery runs: the inbox is looked up then, never per request. A
  // route that cannot start keeps its runtime (its logger, its tracer), to say why at each delivery.
  let started: Result.Result<internal.Settings<unknown, unknown>, IllegalArgumentError> | undefined
  const runtime = ManagedRuntime.make(
    Layer.tap(options.layer, (context) =>
      // On the layer's own services (its logger says the start's line), which a tap does not run on otherwise.
      Effect.map(Effect.result(Effect.provideContext(internal.start(prepared, context), context)), (settings) => {
        started = settings
      }))
  )
  // The overloads checked that the layer provides what the route's deliveries need.
  const runFork: internal.RunFork = <A, E>(effect: Effect.Effect<A, E, any>) =>
    runtime.runFork(effect as Effect.Effect<A, E>)
  // Not started: the layer failed to build, and every delivery run on it fails (answered 500, its cause logged).
  const unstarted = Result.succeed(prepared.settings)
  const serve = (request: Request, done: (response: Response) => void) =>
    internal.serve(runFork, started ?? unstarted, Body.web, request, (answer) => done(Reply.toWeb(answer)))
  const handler = (request: Request): Promise<Response> =>
    new Promise((resolve) => {
      if (started !== undefined) return serve(request, resolve)
      // The first requests wait for the layer.
      const then = () => serve(request, resolve)
      runtime.context().then(then, then)
    })
  return { handler, dispose: () => runtime.dispose() }
}

/**
 * A plain Node request listener, `(req, res) => void`: the lean path, and what the `npm start`
 * receiver runs. It reads the body straight from the socket (bounded by the limit, the engine's reader) and runs
 * the handler on the context it was made in, skipping the platform's per-request machinery. Mount it on
 * `http.createServer` (with the engine's `NodeServer.manage` for graceful stops and lingering closes), or on a
 * route of Express or Fastify. The signature covers the raw bytes: what a body parser left in `req.body` is used
 * when it is a `Buffer` (`express.raw()`) or a string (`express.text()`, its UTF-8 text); a body parsed into an
 * object (`express.json()`, Fastify's JSON parser) is answered 500, with a line saying how to mount the listener
 * instead. The `WebhookInbox` is found when the listener is made. Fails with an `IllegalArgumentError` for an
 * option it cannot use, or an inbox of another mode than `inbox` says.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createServer } from "node:http"
 * import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"
 *
 * const program = Effect.gen(function*() {
 *   const listener = yield* WebhookHttp.makeNodeListener({ handle: (event) => Effect.log(event._tag) })
 *   createServer(listener).listen(8787)
 * }).pipe(Effect.provide(WebhookSecret.layerConfig()))
 *
 * // Queued: no handler here (WebhookInbox.layerWorker runs it); requires a WebhookInbox built queued.
 * const queued = WebhookHttp.makeNodeListener({ inbox: "queued", timeout: "10 seconds" })
 * ```
 *
 * @since 0.4.0
 * @category mounting
 */
export const makeNodeListener = <O extends RouteOptions>(
  options: O
): Effect.Effect<
  (request: IncomingMessage, response: ServerResponse) => void,
  IllegalArgumentError,
  Requirements<O> | WebhookSecret
> => {
  const prepared = internal.prepare(options)
  return Effect.flatMap(Effect.context<never>(), (context) =>
    Effect.map(internal.start(prepared, context), (settings) => {
      const runFork: internal.RunFork = Effect.runForkWith(context) as internal.RunFork
      const route = Result.succeed(settings)
      return (request: IncomingMessage, response: ServerResponse) =>
        internal.serve(runFork, route, Body.node, request, (answer) => Reply.toNode(response, answer))
    })) as Effect.Effect<
      (request: IncomingMessage, response: ServerResponse) => void,
      IllegalArgumentError,
      Requirements<O> | WebhookSecret
    >
}

/**
 * One count of {@link deliveries}: how many deliveries had `outcome` (`processed`, `duplicate`, `queued`,
 * `rejected`, `invalid`, `failed`, `too_large`, `method_not_allowed`) and `eventType` (a type this version
 * knows, `unknown` for any other, `none` for a delivery without one).
 *
 * @since 0.4.0
 * @category metrics
 */
export interface DeliveryCount {
  readonly outcome: Reply.Outcome
  readonly eventType: string
  readonly count: number
}

/**
 * The deliveries counter every mounting style increments once per delivery, by reference: its name,
 * description and attributes as an exporter shows them (`openai_webhook_deliveries_total{outcome, event_type}`),
 * and its counts read from the counters themselves rather than looked up by name in Effect's metric registry
 * (where they also are, for exporters that read it). Effect 4 keeps metrics in a `Metric.MetricRegistry` of the
 * context: `snapshot` reads the registry of the fiber that runs it (the default, process-wide one unless you
 * provide another), `unsafeSnapshot` the default one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookHttp } from "effect4-openai-webhooks"
 *
 * const failedSoFar = Effect.map(
 *   WebhookHttp.deliveries.snapshot,
 *   (counts) => counts.filter((c) => c.outcome === "failed").reduce((sum, c) => sum + c.count, 0)
 * )
 * ```
 *
 * @since 0.4.0
 * @category metrics
 */
export const deliveries: {
  /** `openai_webhook_deliveries_total`. */
  readonly name: string
  readonly description: string
  /** `["outcome", "event_type"]`. */
  readonly tags: ReadonlyArray<string>
  /** Every count so far, one per outcome and event type seen, in the current metric registry. */
  readonly snapshot: Effect.Effect<ReadonlyArray<DeliveryCount>>
  /** The same in the default registry, read synchronously (for a scrape callback outside Effect). */
  readonly unsafeSnapshot: () => ReadonlyArray<DeliveryCount>
} = {
  name: Reply.metric.name,
  description: Reply.metric.description,
  tags: Reply.metric.tags,
  snapshot: Effect.map(Effect.context<never>(), internal.deliveriesIn),
  unsafeSnapshot: () => internal.deliveriesIn(Context.empty())
}
