/**
 * Receive deliveries over HTTP: one handler, four ways to mount it.
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
 * (tags `outcome` and `event_type`; a type this version does not know counts as `unknown`, so that a
 * sender cannot grow the metric registry). Responses carry a small JSON body and never a secret or
 * signature.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Duration from "effect/Duration"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { Body, Reply } from "openai-webhooks-engine"
import * as internal from "./internal/http.js"
import * as reply from "./internal/reply.js"
import type { Delivery } from "./Webhooks.js"
import type { UnwrapWebhookEvent } from "./WebhookEvent.js"
import type { WebhookSecret } from "./WebhookSecret.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<E, R> {
  /**
   * Your handler, typically a `Match.type<UnwrapWebhookEvent>()` pipeline. Its success answers 200; its
   * failure or defect answers 500 so that OpenAI delivers the event again.
   */
  readonly handle: (event: UnwrapWebhookEvent, delivery: Delivery) => Effect.Effect<void, E, R>
  /** The largest body accepted, in bytes; larger ones are answered 413. Default: 1 MiB. */
  readonly maxBodySize?: number | undefined
  /**
   * How long the handler may run before it is interrupted and the delivery answered 500 (OpenAI
   * expects an answer within a few seconds). Default: no limit.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /** The timestamp tolerance (see `Webhooks.Options`). Default: 5 minutes. */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * The default body limit: 1 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_BODY_SIZE: number = internal.DEFAULT_MAX_BODY_SIZE

/**
 * The default path of `layerRoute` and of the receiver: `/webhooks/openai`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PATH = "/webhooks/openai"


/**
 * The handler as an `@effect/platform` `HttpApp`, for the classic router:
 * `HttpRouter.post("/webhooks/openai", WebhookHttp.toHttpApp({ handle }))` (use `HttpRouter.all` to
 * answer other methods with 405 rather than the router's 404).
 *
 * The body: on `@effect/platform-node` it is read straight from the Node request, as `makeNodeListener`
 * reads it (bounded by `maxBodySize`, a body over it answered 413 on a connection that stays usable); on
 * a web `Request` (Bun, Deno, `HttpApp.toWebHandler`) from its stream. A middleware may read it first with
 * `request.text` (or `request.json`): the platform keeps that text, and its UTF-8 bytes are what the
 * signature is checked against, as for `express.text()`. One that read it with `request.stream`, or on
 * Node with `request.arrayBuffer`, leaves nothing to check: answered 500, with a line saying so.
 *
 * @example
 * ```ts
 * import { HttpRouter } from "@effect/platform"
 * import { Effect } from "effect"
 * import { WebhookHttp } from "effect-openai-webhooks"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.all("/webhooks/openai", WebhookHttp.toHttpApp({ handle: (event) => Effect.log(event._tag) }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category mounting
 */
export const toHttpApp = <E, R>(
  options: Options<E, R>
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  R | WebhookSecret | HttpServerRequest.HttpServerRequest
> => {
  const settings = internal.settings(options)
  return Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) => Effect.map(internal.serveEffect(settings, request), reply.toPlatform)
  )
}

/**
 * A route layer for `HttpLayerRouter`: every method on `path` (default `/webhooks/openai`), POST
 * handled and the rest answered 405. The services the handler needs, and the `WebhookSecret`, are
 * captured when the layer is built, so requests need nothing more; a handler's `Scope` is its
 * request's. The body is read as `toHttpApp` reads it.
 *
 * @example
 * ```ts
 * import { HttpLayerRouter } from "@effect/platform"
 * import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 * import { createServer } from "node:http"
 * import { WebhookHttp, WebhookSecret } from "effect-openai-webhooks"
 *
 * const WebhookRoute = WebhookHttp.layerRoute({ handle: (event) => Effect.log(event._tag) })
 *
 * HttpLayerRouter.serve(WebhookRoute).pipe(
 *   Layer.provide(WebhookSecret.layerConfig()),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8787 })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * @since 0.1.0
 * @category mounting
 */
export const layerRoute = <E, R>(
  options: Options<E, R> & { readonly path?: HttpLayerRouter.PathInput | undefined }
): Layer.Layer<
  never,
  never,
  HttpLayerRouter.HttpRouter | Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope> | WebhookSecret
> =>
  HttpLayerRouter.use((router) =>
    Effect.flatMap(
      Effect.context<Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope> | WebhookSecret>(),
      (context) =>
        router.add(
          "*",
          options.path ?? DEFAULT_PATH,
          // The layer's own scope stays out: a delivery's scope is its request's, as for any route.
          internal.withCaptured(toHttpApp(options), Context.omit(Scope.Scope)(context)) as Effect.Effect<
            HttpServerResponse.HttpServerResponse,
            never,
            HttpServerRequest.HttpServerRequest
          >
        )
    )
  )

/**
 * A fetch-style handler, `(request: Request) => Promise<Response>`, for Bun, Deno, Cloudflare Workers
 * or any server that speaks the web `Request`/`Response`. The layer provides the `WebhookSecret` and
 * what the handler needs; it is built once, on the first request. Call `dispose` on shutdown. The
 * promise always resolves: a `Request` whose body a middleware already read, or anything else that goes
 * wrong around the delivery, is answered 500 with a line saying why.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookHttp, WebhookSecret } from "effect-openai-webhooks"
 *
 * const { handler, dispose } = WebhookHttp.toWebHandler({
 *   handle: (event) => Effect.log(event._tag),
 *   layer: WebhookSecret.layerConfig()
 * })
 * // Bun.serve({ fetch: handler }), Deno.serve(handler), export default { fetch: handler }
 * ```
 *
 * @since 0.1.0
 * @category mounting
 */
export const toWebHandler = <E, R, LE>(
  options: Options<E, R> & { readonly layer: Layer.Layer<R | WebhookSecret, LE> }
): {
  readonly handler: (request: Request) => Promise<Response>
  readonly dispose: () => Promise<void>
} => {
  const settings = internal.settings(options)
  const runtime = ManagedRuntime.make(options.layer)
  const runFork: internal.RunFork<R> = (effect) => runtime.runFork(effect)
  const handler = (request: Request): Promise<Response> =>
    new Promise((resolve) =>
      internal.serve(runFork, settings, Body.web, request, (answer) => resolve(Reply.toWeb(answer)))
    )
  return { handler, dispose: () => runtime.dispose() }
}

/**
 * A plain Node request listener, `(req, res) => void`: the lean path, and what the `npm start`
 * receiver runs. It reads the body straight from the socket (bounded by the limit) and runs the
 * handler on the runtime it was made in, skipping the platform's per-request machinery. Mount it on
 * `http.createServer`, or on a route of Express or Fastify. The signature covers the raw bytes: what a
 * body parser left in `req.body` is used when it is a `Buffer` (`express.raw()`) or a string
 * (`express.text()`, its UTF-8 text); a body parsed into an object (`express.json()`, Fastify's JSON
 * parser) is answered 500, with a line saying how to mount the listener instead.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createServer } from "node:http"
 * import { WebhookHttp, WebhookSecret } from "effect-openai-webhooks"
 *
 * const program = Effect.gen(function*() {
 *   const listener = yield* WebhookHttp.makeNodeListener({ handle: (event) => Effect.log(event._tag) })
 *   createServer(listener).listen(8787)
 * }).pipe(Effect.provide(WebhookSecret.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category mounting
 */
export const makeNodeListener = <E, R>(
  options: Options<E, R>
): Effect.Effect<(request: IncomingMessage, response: ServerResponse) => void, never, R | WebhookSecret> =>
  Effect.map(Effect.runtime<R | WebhookSecret>(), (runtime) => {
    const settings = internal.settings(options)
    const runFork: internal.RunFork<R> = Runtime.runFork(runtime)
    return (request, response) =>
      internal.serve(runFork, settings, Body.node, request, (answer) => Reply.toNode(response, answer))
  })

/**
 * One count of {@link deliveries}: how many deliveries had `outcome` (`processed`, `duplicate`, `queued`,
 * `rejected`, `invalid`, `failed`, `too_large`, `method_not_allowed`) and `eventType` (a type this version
 * knows, `unknown` for any other, `none` for a delivery without one).
 *
 * @since 0.3.0
 * @category metrics
 */
export interface DeliveryCount {
  readonly outcome: Reply.Outcome
  readonly eventType: string
  readonly count: number
}

/**
 * The deliveries counter every mounting style increments once per delivery, by reference: its name,
 * description and tags as an exporter shows them (`openai_webhook_deliveries_total{outcome, event_type}`), and
 * its counts read from the counters themselves rather than looked up by name in Effect's metric registry (where
 * they also are, for exporters that read it). The counts are process-wide, like the registry.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookHttp } from "effect-openai-webhooks"
 *
 * const failedSoFar = Effect.map(
 *   WebhookHttp.deliveries.snapshot,
 *   (counts) => counts.filter((c) => c.outcome === "failed").reduce((sum, c) => sum + c.count, 0)
 * )
 * ```
 *
 * @since 0.3.0
 * @category metrics
 */
export const deliveries: {
  /** `openai_webhook_deliveries_total`. */
  readonly name: string
  readonly description: string
  /** `["outcome", "event_type"]`. */
  readonly tags: ReadonlyArray<string>
  /** Every count so far, one per outcome and event type seen. */
  readonly snapshot: Effect.Effect<ReadonlyArray<DeliveryCount>>
  /** The same, read synchronously (for a scrape callback outside Effect). */
  readonly unsafeSnapshot: () => ReadonlyArray<DeliveryCount>
} = {
  name: Reply.metric.name,
  description: Reply.metric.description,
  tags: Reply.metric.tags,
  snapshot: Effect.sync(internal.unsafeDeliveries),
  unsafeSnapshot: internal.unsafeDeliveries
}
