/**
 * The inspector of both editions without Effect: its page (HTML, a vanilla JS module, CSS, shipped in this package
 * once and read once per inspector), the token rule, the JSON API's routing, validation and answers, and the count
 * of what the webhook endpoint answered per minute. Each edition's `WebhookInspector` runs the {@link Call}s this
 * module asks for on its own `WebhookInbox` and serves the answers here, so that both serve the same bytes.
 *
 * The rule: with a token, a request carries it as `Authorization: Bearer <token>` (RFC 6750 2.1) or in the
 * `inspector_token` cookie a browser gets by opening `<path>?token=...` once (303 to `<path>`; `HttpOnly`,
 * `SameSite=Strict`, limited to `<path>`), compared in constant time as SHA-256 digests (Web Crypto); anything
 * without it is answered 401, the same bytes on every path. A change (Replay, Recover, Discard) needs the token in
 * `Authorization` or `x-inspector: 1`, which the page sends and no cross-site form can.
 *
 * @example
 * ```ts
 * import { Inspector } from "openai-webhooks-engine"
 *
 * const page = Inspector.loadPage("/inbox")
 * const token = "a-long-random-token-0123"
 * const door = Inspector.make({ path: "/inbox", token, page: page.ok ? page.value : undefined })
 * const routed = await door({ method: "GET", url: "/inbox/api/stats", header: () => undefined })
 * // routed: { _tag: "Answer", answer } (here the 401), or { _tag: "Call", call } for the edition's inbox
 * ```
 *
 * @since 0.4.0
 */
import * as api from "./internal/inspector/api.js"
import * as page from "./internal/inspector/page.js"
import * as counting from "./internal/inspector/traffic.js"
import type { Answer } from "./Reply.js"

/**
 * Where an inspector is mounted unless told otherwise: `/inbox`.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultPath = "/inbox"

/**
 * What the inspector reads of a request, whatever server it came through: the method, the request-target as
 * received (path and query), and a header by lower-case name.
 *
 * @since 0.4.0
 * @category models
 */
export type Request = page.Request

/**
 * An inspector's settings: `path`, the `token` (none: the application's own authentication guards it) and the
 * `page` ({@link loadPage}; none: the page's paths answer {@link notInstalled}, the API is served).
 *
 * @since 0.4.0
 * @category models
 */
export type Options = page.Options

/**
 * The page's answers by path below the inspector's: `""` (the HTML, with its Content-Security-Policy),
 * `/app.js`, `/style.css`.
 *
 * @since 0.4.0
 * @category models
 */
export type Page = page.Page

/**
 * A `node:http` request as the inspector reads it (for a `node:http` listener of either edition).
 *
 * @since 0.4.0
 * @category constructors
 */
export const fromNode = page.fromNode

/**
 * An inbox operation a request's answer needs, for the edition to run on its `WebhookInbox`: `List`, `Get`,
 * `Replay`, `Discard`, `Recoverable` (what a recover would replay, counted), `Recover`, `Stats`, `Timeline`,
 * `Answers` (the endpoint's answers per minute, {@link traffic}).
 *
 * @since 0.4.0
 * @category models
 */
export type Call = api.Call

/**
 * What the door makes of a request: `{ _tag: "Answer", answer }` (the page, a refusal, a query it cannot read) or
 * `{ _tag: "Call", call }`.
 *
 * @since 0.4.0
 * @category models
 */
export type Routed = api.Routed

/**
 * An inspector's door: a request's {@link Routed}, a promise of one when the inspector has a token (its digest is
 * Web Crypto's).
 *
 * @since 0.4.0
 * @category models
 */
export type Door = page.Door

/**
 * The door of an inspector at `options.path` ({@link pathProblem} must have accepted it): a request outside
 * `path` is 404, one without the token 401, `<path>?token=` the sign-in, `<path>/api/...` routed to a {@link Call}
 * or answered, `<path>`, `<path>/app.js` and `<path>/style.css` the page.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make: (options: Options) => Door = page.make

/**
 * Reads the page's files for an inspector at `base` (its `__BASE__`), once: `{ ok: true, value }`, or a failure
 * saying why (a runtime without `node:fs`, a broken installation). Read through `process.getBuiltinModule`, so
 * that no bundler for an edge runtime meets a `node:` import.
 *
 * @since 0.4.0
 * @category constructors
 */
export const loadPage = page.loadPage

/**
 * The page's answers from its files' text (`read(file)`, file one of `index.html`, `app.js`, `style.css`): for a
 * runtime that reads them some other way.
 *
 * @since 0.4.0
 * @category constructors
 */
export const pageOf: (base: string, read: (file: string) => string) => Page = page.pageOf

/**
 * Where one of the page's files (`index.html`, `app.js`, `style.css`) is in this package: a `file:` URL next to the
 * module that reads it (the build copies them from `src/` into `dist/`).
 *
 * @since 0.4.0
 * @category constants
 */
export const assetUrl: (file: string) => URL = page.assetUrl

/**
 * The page's files and their content types.
 *
 * @since 0.4.0
 * @category constants
 */
export const assets: ReadonlyArray<readonly [file: string, type: string]> = page.ASSETS

/**
 * Why `path` cannot be an inspector's (for an edition's `IllegalArgumentError`), or undefined: it must be an
 * absolute path without a trailing slash, query, fragment or router pattern (`*`, `:`).
 *
 * @since 0.4.0
 * @category validation
 */
export const pathProblem: (path: string) => string | undefined = page.pathProblem

/**
 * Whether a request's `path` (without its query) is the inspector's at `base`: `base` itself or below it, never
 * a path that only begins the same (`/inboxes`).
 *
 * @since 0.4.0
 * @category validation
 */
export const owns = (path: string, base: string = defaultPath): boolean => page.owns(base, path)

/**
 * The origin-form (path and query) of a request-target given as an absolute URL, as the characters came (no dot
 * segment resolved, nothing re-encoded); a target already in origin-form is itself. For a platform whose request
 * holds only the absolute URL (Effect 4's `originalUrl`).
 *
 * @since 0.4.0
 * @category validation
 */
export const originForm: (url: string) => string = page.originForm

/**
 * The value of the cookie `name` in a `Cookie` header (RFC 6265 4.2.1), percent-decoded; undefined when absent or
 * not percent-encoded.
 *
 * @since 0.4.0
 * @category validation
 */
export const cookieValue: (header: string | undefined, name: string) => string | undefined = page.cookieValue

/**
 * The headers on every answer of the inspector: `no-store`, `nosniff`, `no-referrer`, `DENY`.
 *
 * @since 0.4.0
 * @category answers
 */
export const headers: Readonly<Record<string, string>> = api.HEADERS

/**
 * A JSON answer of the inspector (with {@link headers}).
 *
 * @since 0.4.0
 * @category answers
 */
export const json: (status: number, value: unknown, headers?: Readonly<Record<string, string>>) => Answer = api.json

/**
 * An `InboxError` of either edition as the API answers it: 404 `NotFound`, 409 `NotDead`, `InProgress`,
 * `NoBody`, 400 `InvalidQuery`, with `{ error: { type: "InboxError", reason, message, webhookId? } }`.
 *
 * @since 0.4.0
 * @category answers
 */
export const inboxError: (e: api.InboxFailure) => Answer = api.inboxError

/**
 * What an `InboxError` holds, as {@link inboxError} reads it.
 *
 * @since 0.4.0
 * @category models
 */
export type InboxFailure = api.InboxFailure

/**
 * The answer to `Get` of an id the log does not hold: 404, an `InboxError` `NotFound` naming it.
 *
 * @since 0.4.0
 * @category answers
 */
export const notFound: (id: string) => Answer = api.notFound

/**
 * The answers of the calls: `{ replayed: id }`, `{ discarded: id }`, `{ recovered: count }`,
 * `{ count, ids }` (the first 100 ids a recover would replay), `{ bucketMs: 60000, buckets }`.
 *
 * @since 0.4.0
 * @category answers
 */
export const answers = {
  replayed: api.replayed,
  discarded: api.discarded,
  recovered: api.recovered,
  recoverable: api.recoverable,
  timeline: api.timeline,
  /** The page's answer, built once: what the edition serves for a `List`, `Get`, `Stats` or `Answers` result. */
  ok: (value: unknown): Answer => api.json(200, value)
} as const

/**
 * The answers of failures: 500 `DatabaseError` (the inbox's database failed; the edition logs why), 500
 * `InternalError` (a defect), 500 `NotInstalled` (the page's files are missing), 401 `Unauthorized`.
 *
 * @since 0.4.0
 * @category answers
 */
export const databaseFailed: Answer = api.DATABASE_FAILED

/**
 * @since 0.4.0
 * @category answers
 */
export const failed: Answer = api.FAILED

/**
 * @since 0.4.0
 * @category answers
 */
export const notInstalled: Answer = page.NOT_INSTALLED

/**
 * @since 0.4.0
 * @category answers
 */
export const unauthorized: Answer = page.UNAUTHORIZED

/**
 * The time step of a `Timeline` call: one minute, in ms.
 *
 * @since 0.4.0
 * @category constants
 */
export const timelineBucketMs: number = api.TIMELINE_BUCKET_MS

/**
 * The list query a `Recoverable` call pages through (500 a page, following `next`): the recover's window and
 * statuses, `until` defaulting to `now` (ms) as a recover's does.
 *
 * @since 0.4.0
 * @category calls
 */
export const recoverablePages = api.recoverablePages

/**
 * The messages of the lines a change writes: `inspector: replayed`, `inspector: discarded`, `inspector: recovered`.
 *
 * @since 0.4.0
 * @category logging
 */
export const lines = api.LINES

/**
 * The annotations naming a change's ids: `webhook_id` for one, else `webhook_ids` (the first 100, then `...`).
 *
 * @since 0.4.0
 * @category logging
 */
export const idAnnotations = api.idAnnotations

/**
 * The annotations of a recover's line: `recovered`, `since`, `until`, `status`, and its ids.
 *
 * @since 0.4.0
 * @category logging
 */
export const recoverAnnotations = api.recoverAnnotations

/**
 * A count of the deliveries counter, as {@link traffic} reads it.
 *
 * @since 0.4.0
 * @category traffic
 */
export type Count = counting.Count

/**
 * What an `Answers` call answers: `{ bucketMs, since, minutes: [{ start, counts: { outcome: n } }] }`.
 *
 * @since 0.4.0
 * @category traffic
 */
export type Answers = counting.Answers

/**
 * The counter of the endpoint's answers per minute: `start` (once; a one-second `unref`'d timer), `sample`, `read`.
 *
 * @since 0.4.0
 * @category traffic
 */
export type Traffic = counting.Traffic

/**
 * The endpoint's answers per minute for the last hour, from `totals` (the deliveries counter's counts now), each
 * minute what they gained during it; `now` is the clock (ms).
 *
 * @since 0.4.0
 * @category traffic
 */
export const traffic: (totals: () => Iterable<Count>, now?: () => number) => Traffic = counting.make
