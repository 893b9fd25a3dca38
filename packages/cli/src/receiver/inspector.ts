/**
 * The inspector at `/inbox`: a page (`./inspector/`: HTML, a vanilla JS module, CSS, shipped in the package and
 * read once at start) and its JSON API under `/inbox/api/`, on the receiver's own `node:http` server, over the
 * inbox's delivery log. Served only when a token is configured (`WEBHOOK_INSPECTOR_TOKEN`) or made for a
 * development run; every request must carry it (see `./access.ts`), else 401.
 *
 * The API, all JSON, times as ISO 8601 strings, errors as `{ error: { type, reason, message } }`:
 * - `GET /inbox/api/deliveries?status=failed,dead&type=batch.&since=ISO&until=ISO&limit=50&after=CURSOR`: one
 *   page, newest first, and the next page's cursor (`{ deliveries, next }`); `status` may also repeat.
 * - `GET /inbox/api/deliveries/ID`: the delivery with its body and its attempts (`history`).
 * - `POST /inbox/api/deliveries/ID/replay`: process it again. `{ replayed: ID }`.
 * - `POST /inbox/api/deliveries/ID/discard` or `DELETE /inbox/api/deliveries/ID`: remove a dead letter.
 * - `POST /inbox/api/recover?since=ISO&until=ISO&status=failed,dead`: replay what failed in the window.
 *   `{ recovered: N }`.
 * - `GET /inbox/api/stats`: counts by status and event type, the oldest pending delivery's age in ms.
 * - `GET /inbox/api/timeline?since=ISO`: deliveries per minute by status, since `since` (default: an hour ago).
 *
 * Mutations read no body (their parameters are in the address) and, against cross-site requests, need either the
 * token in `Authorization` or the header `x-inspector: 1`, which no cross-site form can send (and a cross-site
 * script could send only after a CORS preflight this server never grants); the cookie is `SameSite=Strict` too.
 * A browser opens `/inbox?token=...` once: it is redirected to `/inbox` with the token in an `HttpOnly` cookie, so
 * that the token leaves the address bar and the history.
 */
import { readFileSync } from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import { InboxSql, Reply } from "openai-webhooks-engine"
import { WebhookInbox } from "effect-openai-webhooks"
import * as Access from "./access.js"

/** Where the inspector lives: the page at `/inbox`, everything else under `/inbox/`. */
export const PREFIX = "/inbox"

/** Whether `path` is the inspector's. */
export const owns = (path: string): boolean =>
  path.startsWith(PREFIX) && (path.length === PREFIX.length || path.charCodeAt(PREFIX.length) === 47 /* "/" */)

/** The cookie a browser carries the token in, limited to {@link PREFIX}. */
const COOKIE = "inspector_token"

/** The inspector's token for this run: the configured one, one made for a development run, or none (no inspector). */
export class Token extends Context.Tag("effect-openai-webhooks/bin/receiver/InspectorToken")<
  Token,
  Option.Option<Redacted.Redacted<string>>
>() {}

/** On every answer under `/inbox`: nothing cached, nothing sniffed, no referrer, never in a frame. */
const HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

/**
 * The page's own files only: no inline script or style, no other origin. A body holding `<script>` is shown with
 * `textContent` and could not run even if it were inserted as HTML.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const json = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Reply.Answer =>
  Reply.jsonAnswer(status, value, { ...HEADERS, ...headers })

const error = (status: number, type: string, message: string, headers?: Readonly<Record<string, string>>) =>
  json(status, { error: { type, message } }, headers)

const NOT_FOUND = error(404, "NotFound", "Nothing here")
const READ_ONLY = error(405, "MethodNotAllowed", "Use GET", { allow: "GET, HEAD" })
const FORBIDDEN = error(
  403,
  "Forbidden",
  "A change needs the token in the Authorization header, or the header x-inspector: 1 from the inspector's page"
)
const DATABASE_FAILED = error(500, "DatabaseError", "The inbox's database failed: the receiver's log says why")
const FAILED = error(500, "InternalError", "The inspector failed: the receiver's log says why")
/** What the page's paths answer when its files are not where the package puts them (a broken install). */
const NOT_INSTALLED = error(500, "NotInstalled", "The inspector's page is missing from this installation: reinstall it")

/** Statuses by `InboxError` reason: what is not there, what the delivery's state refuses, what was asked wrong. */
const STATUS_OF: Readonly<Record<WebhookInbox.InboxError["reason"], number>> = {
  NotFound: 404,
  NotDead: 409,
  InProgress: 409,
  NoBody: 409,
  InvalidQuery: 400
}

const inboxError = (e: WebhookInbox.InboxError): Reply.Answer =>
  json(STATUS_OF[e.reason], {
    error: {
      type: "InboxError",
      reason: e.reason,
      message: e.message,
      ...(e.webhookId === undefined ? {} : { webhookId: e.webhookId })
    }
  })

const invalid = (message: string) => new WebhookInbox.InboxError({ reason: "InvalidQuery", message })

/** The page's files, read once: `index.html`, `app.js`, `style.css`, next to this module (`src/` and `dist/`). */
const ASSETS: ReadonlyArray<readonly [file: string, type: string]> = [
  ["index.html", "text/html; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"]
]

/** The page's files by path below `/inbox`, or, when one cannot be read, a line saying so and none. */
const loadAssets: Effect.Effect<ReadonlyMap<string, Reply.Answer> | undefined> = Effect.try(() => {
  const assets = new Map<string, Reply.Answer>()
  for (const [file, type] of ASSETS) {
    const body = readFileSync(new URL(`./inspector/${file}`, import.meta.url), "utf8")
    const headers = {
      ...HEADERS,
      "content-type": type,
      "content-length": String(Buffer.byteLength(body)),
      ...(file === "index.html" ? { "content-security-policy": CSP } : {})
    }
    assets.set(file === "index.html" ? "" : `/${file}`, { status: 200, body, headers })
  }
  return assets
}).pipe(
  Effect.catchAll((error) =>
    Effect.as(
      Effect.logError("inspector: its page cannot be read; its API is served").pipe(
        Effect.annotateLogs("error", String(error.error))
      ),
      undefined
    )
  )
)

/** The query of a request-target, whatever its form. */
const queryOf = (target: string): URLSearchParams => {
  const question = target.indexOf("?")
  return new URLSearchParams(question === -1 ? "" : target.slice(question + 1))
}

/** Every value of `name`, split at commas: `status=failed,dead` and `status=failed&status=dead` alike. */
const values = (query: URLSearchParams, name: string): ReadonlyArray<string> =>
  query.getAll(name).flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== "")

const statuses = <S extends WebhookInbox.Status>(
  query: URLSearchParams,
  allowed: ReadonlyArray<S>
): Effect.Effect<ReadonlyArray<S> | undefined, WebhookInbox.InboxError> => {
  const given = values(query, "status")
  const wrong = given.find((status) => !(allowed as ReadonlyArray<string>).includes(status))
  if (wrong !== undefined) {
    return Effect.fail(invalid(`status is one of ${allowed.join(", ")}, not ${JSON.stringify(wrong)}`))
  }
  return Effect.succeed(given.length === 0 ? undefined : given as ReadonlyArray<S>)
}

/** An ISO 8601 time (what the page sends, from its date pickers), or undefined when absent. */
const time = (query: URLSearchParams, name: string): Effect.Effect<Date | undefined, WebhookInbox.InboxError> => {
  const value = query.get(name)
  if (value === null || value === "") return Effect.succeed(undefined)
  const date = new Date(value)
  return Number.isNaN(date.getTime())
    ? Effect.fail(invalid(`${name} is a time in ISO 8601, such as 2026-11-26T19:51:34Z, not ${JSON.stringify(value)}`))
    : Effect.succeed(date)
}

const limit = (query: URLSearchParams): Effect.Effect<number | undefined, WebhookInbox.InboxError> => {
  const value = query.get("limit")
  if (value === null || value === "") return Effect.succeed(undefined)
  return /^\d{1,6}$/.test(value)
    ? Effect.succeed(Number(value))
    : Effect.fail(invalid(`limit is a whole number from 1 to 500, not ${JSON.stringify(value)}`))
}

const listQuery = (query: URLSearchParams): Effect.Effect<WebhookInbox.ListQuery, WebhookInbox.InboxError> =>
  Effect.all({
    status: statuses(query, InboxSql.statuses),
    eventType: Effect.succeed(query.get("type") || undefined),
    since: time(query, "since"),
    until: time(query, "until"),
    limit: limit(query),
    after: Effect.succeed(query.get("after") || undefined)
  })

const RECOVERABLE: ReadonlyArray<"failed" | "dead"> = ["failed", "dead"]

const recoverQuery = (query: URLSearchParams): Effect.Effect<WebhookInbox.RecoverQuery, WebhookInbox.InboxError> =>
  Effect.gen(function*() {
    const since = yield* time(query, "since")
    if (since === undefined) {
      return yield* Effect.fail(invalid("since is required: recover what was received since when?"))
    }
    return { since, until: yield* time(query, "until"), status: yield* statuses(query, RECOVERABLE) }
  })

/** An API request: its method, its path below `/inbox/api/` cut at `/` and decoded, its query. */
interface ApiRequest {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly query: URLSearchParams
  /** Whether it may change something: see the module's note on cross-site requests. */
  readonly mayChange: boolean
}

const allowOnly = (allow: string) => error(405, "MethodNotAllowed", `Use ${allow}`, { allow })

/** The API's routes: the answer, or a failure the caller renders. */
const api = (
  request: ApiRequest
): Effect.Effect<Reply.Answer, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox> => {
  const { method, query, segments } = request
  const reading = method === "GET" || method === "HEAD"
  const change = <A>(
    effect: Effect.Effect<A, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox>,
    value: (a: A) => unknown
  ) =>
    request.mayChange ? Effect.map(effect, (a) => json(200, value(a))) : Effect.succeed(FORBIDDEN)
  const [first, id, action, ...rest] = segments
  if (rest.length > 0) return Effect.succeed(NOT_FOUND)
  switch (first) {
    case "deliveries": {
      if (id === undefined) {
        if (!reading) return Effect.succeed(READ_ONLY)
        return Effect.map(Effect.flatMap(listQuery(query), WebhookInbox.list), (page) => json(200, page))
      }
      if (action === undefined) {
        if (method === "DELETE") return change(WebhookInbox.discard(id), () => ({ discarded: id }))
        if (!reading) return Effect.succeed(allowOnly("GET, HEAD, DELETE"))
        return Effect.map(
          WebhookInbox.get(id),
          Option.match({
            onNone: () =>
              inboxError(
                new WebhookInbox.InboxError({ reason: "NotFound", message: `No delivery ${id}`, webhookId: id })
              ),
            onSome: (detail) => json(200, detail)
          })
        )
      }
      if (action !== "replay" && action !== "discard") return Effect.succeed(NOT_FOUND)
      if (method !== "POST") return Effect.succeed(allowOnly("POST"))
      return action === "replay"
        ? change(WebhookInbox.replay(id), () => ({ replayed: id }))
        : change(WebhookInbox.discard(id), () => ({ discarded: id }))
    }
    case "recover":
      if (id !== undefined) return Effect.succeed(NOT_FOUND)
      if (method !== "POST") return Effect.succeed(allowOnly("POST"))
      return request.mayChange
        ? Effect.map(Effect.flatMap(recoverQuery(query), WebhookInbox.recover), (recovered) => json(200, { recovered }))
        : Effect.succeed(FORBIDDEN)
    case "stats":
      if (id !== undefined) return Effect.succeed(NOT_FOUND)
      return reading ? Effect.map(WebhookInbox.stats, (stats) => json(200, stats)) : Effect.succeed(READ_ONLY)
    case "timeline":
      if (id !== undefined) return Effect.succeed(NOT_FOUND)
      if (!reading) return Effect.succeed(READ_ONLY)
      return time(query, "since").pipe(
        Effect.flatMap((since) =>
          WebhookInbox.timeline({ since: since ?? new Date(Date.now() - 60 * 60_000), bucket: Duration.minutes(1) })
        ),
        Effect.map((buckets) => json(200, { bucketMs: 60_000, buckets }))
      )
    default:
      return Effect.succeed(NOT_FOUND)
  }
}

/** Path segments, percent-decoded; undefined when one is not valid percent-encoding. */
const segmentsOf = (path: string): ReadonlyArray<string> | undefined => {
  try {
    return path.split("/").filter((segment) => segment !== "").map(decodeURIComponent)
  } catch {
    return undefined
  }
}

/** Answers a request on an inspector path (see {@link owns}): the page, its files, or the API. */
export type Listener = (request: IncomingMessage, response: ServerResponse, path: string) => void

/**
 * The inspector, when there is a token for this run ({@link Token}) and an inbox: none otherwise, and then
 * `/inbox` is a 404 like any other unknown path. Reads the page's files once, here.
 */
export const make: Effect.Effect<Option.Option<Listener>> = Effect.gen(function*() {
  const token = Option.flatten(yield* Effect.serviceOption(Token))
  const inbox = yield* Effect.serviceOption(WebhookInbox.WebhookInbox)
  if (Option.isNone(token) || Option.isNone(inbox)) return Option.none()
  const check = Access.make(token.value, { cookie: COOKIE })
  const assets = yield* loadAssets
  const signIn = json(303, { redirect: PREFIX }, {
    location: PREFIX,
    "set-cookie": Access.cookie(COOKIE, token.value, PREFIX)
  })
  const runFork = Runtime.runFork(yield* Effect.runtime<never>())
  const serve = (response: ServerResponse, request: ApiRequest) =>
    runFork(
      api(request).pipe(
        Effect.catchTags({
          InboxError: (e) => Effect.succeed(inboxError(e)),
          SqlError: (e) =>
            Effect.as(Effect.logError("inspector: the inbox's database failed", Cause.fail(e)), DATABASE_FAILED)
        }),
        Effect.catchAllDefect((defect) => Effect.as(Effect.logError("inspector: failed", Cause.die(defect)), FAILED)),
        Effect.provideService(WebhookInbox.WebhookInbox, inbox.value),
        Effect.flatMap((answer) => Effect.sync(() => Reply.toNode(response, answer)))
      )
    )

  const listener: Listener = (request, response, path) => {
    const method = request.method ?? "GET"
    const sub = path.slice(PREFIX.length)
    const target = request.url ?? ""
    // The address the receiver printed: trade the token in the address for the cookie, once.
    if ((sub === "" || sub === "/") && target.includes("?")) {
      const query = queryOf(target)
      if (query.has("token")) {
        return Reply.toNode(response, check.matches(query.get("token")) ? signIn : Access.UNAUTHORIZED)
      }
    }
    const carrier = check.carrier(request)
    if (carrier === undefined) return Reply.toNode(response, Access.UNAUTHORIZED)
    if (sub.startsWith("/api/")) {
      const segments = segmentsOf(sub.slice("/api/".length))
      if (segments === undefined) return Reply.toNode(response, NOT_FOUND)
      return serve(response, {
        method,
        segments,
        query: queryOf(target),
        mayChange: carrier === "bearer" || request.headers["x-inspector"] === "1"
      })
    }
    if (assets === undefined) return Reply.toNode(response, NOT_INSTALLED)
    const asset = assets.get(sub === "/" ? "" : sub)
    if (asset === undefined) return Reply.toNode(response, NOT_FOUND)
    Reply.toNode(response, method === "GET" || method === "HEAD" ? asset : READ_ONLY)
  }
  return Option.some(listener)
})
