/**
 * The inspector in your own app: a page over the `WebhookInbox`'s delivery log (counts, what the endpoint answered
 * per minute, the deliveries with their bodies and attempts, Replay, Recover, Discard) and its JSON API, mounted on
 * your router at `path` (`/inbox` by default), the page at `path` and everything else below it. The receiver
 * (`openai-webhooks serve`) serves this same inspector.
 *
 * Who may open it:
 * - behind **your own authentication**: mount it under your router's middleware and give no `token`;
 * - or with **a token** (`token: Redacted`): every request must carry it as `Authorization: Bearer <token>`, or in
 *   a cookie the page sets after a browser opens `<path>?token=<token>` once (redirected to `<path>`, the token out
 *   of the address bar: `HttpOnly`, `SameSite=Strict`, limited to `path`). Compared in constant time; anything
 *   without it is answered 401, the same bytes on every path.
 *
 * Either way, a change (Replay, Recover, Discard) needs the token in `Authorization` or the header
 * `x-inspector: 1`, which the page sends and no cross-site form can; each change writes a log line
 * (`inspector: replayed`, `inspector: recovered`, `inspector: discarded`) naming the ids. The page's files are in
 * the engine's package (`openai-webhooks-engine`, which both editions serve them from), read once when the
 * inspector is made (so it needs a file system: Node, Bun, Deno).
 *
 * The API (JSON; times ISO 8601 in UTC; errors `{ error: { type, reason?, message } }`), below `<path>/api/`:
 * `deliveries?status=&type=&since=&until=&limit=&after=`, `delivery?id=` (GET), `delivery/replay?id=` and
 * `delivery/discard?id=` (POST), `recover?since=&until=&status=` (GET counts what POST would replay), `stats`,
 * `timeline?since=`, `answers` (the endpoint's answers per minute by outcome for the last hour, counted in this
 * process, including the `rejected` and `invalid` ones the inbox never stores). The id is a query parameter, so
 * that ids such as `.` and `..` are not taken for path steps.
 *
 * @since 0.4.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import { Inspector, Reply } from "openai-webhooks-engine"
import * as page from "./internal/inspector/page.js"
import { illegal } from "./internal/options.js"
import * as reply from "./internal/reply.js"
import type { IllegalArgumentException } from "./WebhookError.js"
import type { WebhookInbox } from "./WebhookInbox.js"

/**
 * Where the inspector is mounted by default: `/inbox`.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultPath = Inspector.defaultPath

/**
 * The inspector's options.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** Where the page is (default `/inbox`): an absolute path without a trailing slash, query or pattern. */
  readonly path?: string | undefined
  /** The token every request must carry; without one, guard the route with your own authentication. */
  readonly token?: Redacted.Redacted<string> | undefined
}

const settings = (options: Options): Effect.Effect<page.Options, IllegalArgumentException> => {
  const path = options.path ?? defaultPath
  const problem = Inspector.pathProblem(path)
  return problem === undefined
    ? Effect.succeed({ path, token: options.token })
    : Effect.fail(illegal("WebhookInspector", "path", "Malformed", problem))
}

const fromPlatform = (request: HttpServerRequest.HttpServerRequest): Inspector.Request => ({
  method: request.method,
  url: request.originalUrl,
  header: (name) => request.headers[name]
})

/**
 * The inspector as an `@effect/platform` `HttpApp`, made once (it reads its page's files): mount it for `path`
 * and everything below it on the classic router. It answers from the request's original URL, so mount it at its
 * own `path`: `HttpRouter.all("/inbox", app)` and `HttpRouter.all("/inbox/*", app)`.
 *
 * @example
 * ```ts
 * import { HttpRouter } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 * import { WebhookInspector } from "effect-openai-webhooks"
 *
 * // Requires the WebhookInbox (WebhookInbox.layerSql()).
 * export const router = Effect.gen(function*() {
 *   const inspector = yield* WebhookInspector.toHttpApp({ token: Redacted.make("a-long-random-token-0123") })
 *   return HttpRouter.empty.pipe(HttpRouter.all("/inbox", inspector), HttpRouter.all("/inbox/*", inspector))
 * })
 * ```
 *
 * @since 0.4.0
 * @category mounting
 */
export const toHttpApp = (
  options: Options = {}
): Effect.Effect<
  Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>,
  IllegalArgumentException,
  WebhookInbox
> =>
  Effect.map(
    Effect.flatMap(settings(options), page.make),
    (serve) =>
      Effect.flatMap(
        HttpServerRequest.HttpServerRequest,
        (request) => Effect.map(serve(fromPlatform(request)), reply.toPlatform)
      )
  )

/**
 * A route layer for `HttpLayerRouter`: the inspector at `path` and below it, every method (the API answers a
 * wrong one 405). The `WebhookInbox` is captured when the layer is built. Fails to build with an
 * `IllegalArgumentException` for a `path` it cannot mount.
 *
 * @example
 * ```ts
 * import { HttpLayerRouter } from "@effect/platform"
 * import { Config, Layer } from "effect"
 * import { WebhookHttp, WebhookInspector } from "effect-openai-webhooks"
 *
 * // Next to the webhook route, with a token read from INSPECTOR_TOKEN (or behind your own auth, without one).
 * export const Routes = Layer.unwrapEffect(
 *   Config.redacted("INSPECTOR_TOKEN").pipe(Config.map((token) => WebhookInspector.layerRoute({ token })))
 * ).pipe(Layer.merge(WebhookHttp.layerRoute({ inbox: "queued" })))
 * ```
 *
 * @since 0.4.0
 * @category mounting
 */
export const layerRoute = (
  options: Options = {}
): Layer.Layer<never, IllegalArgumentException, HttpLayerRouter.HttpRouter | WebhookInbox> =>
  HttpLayerRouter.use((router) =>
    Effect.gen(function*() {
      const resolved = yield* settings(options)
      const serve = yield* page.make(resolved)
      const route = Effect.flatMap(
        HttpServerRequest.HttpServerRequest,
        (request) => Effect.map(serve(fromPlatform(request)), reply.toPlatform)
      )
      // Checked by `settings`: an absolute path, which is what a PathInput is.
      const path = resolved.path as HttpLayerRouter.PathInput
      yield* router.add("*", path, route)
      yield* router.add("*", `${path}/*` as HttpLayerRouter.PathInput, route)
    })
  )

/**
 * The inspector as a `node:http` listener, for a server of your own: call it for requests whose path is
 * `path` or below it (see {@link owns}); it answers every one itself.
 *
 * @since 0.4.0
 * @category mounting
 */
export const makeNodeListener = (
  options: Options = {}
): Effect.Effect<
  (request: IncomingMessage, response: ServerResponse) => void,
  IllegalArgumentException,
  WebhookInbox
> =>
  Effect.gen(function*() {
    const serve = yield* page.make(yield* settings(options))
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    return (request: IncomingMessage, response: ServerResponse) => {
      runFork(Effect.map(serve(Inspector.fromNode(request)), (answer) => Reply.toNode(response, answer)))
    }
  })

/**
 * Whether a request's `path` (without its query) is the inspector's at `base` (default `/inbox`): `base` itself
 * or below it, never a path that only begins the same (`/inboxes`).
 *
 * @since 0.4.0
 * @category mounting
 */
export const owns: (path: string, base?: string) => boolean = Inspector.owns
