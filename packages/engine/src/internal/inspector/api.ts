/**
 * The inspector's JSON API without its inbox: the answers it gives by itself (404, 405, 403, a query it cannot
 * read), and, for everything else, the {@link Call} an edition runs on its own `WebhookInbox` and renders with the
 * answers here. Both editions route, validate and word the API here, so that they serve the same bytes.
 *
 * A delivery is named by `?id=` in the query, never by a path segment: a browser (and `fetch`, and `new URL`)
 * resolves the segments `.` and `..`, even written `%2E`, before the request leaves, so an id of `.` or `..`
 * could not be opened, replayed or discarded through a path. The path routes (`deliveries/ID`) are kept for
 * clients of the earlier API.
 *
 * @internal
 */
import type { ListQuery, RecoverQuery, Status } from "../../InboxSql.js"
import type { Answer } from "../../Reply.js"
import { jsonAnswer } from "../../Reply.js"
import { statuses as allStatuses } from "../inbox/shared.js"

/** On every answer of the inspector: nothing cached, nothing sniffed, no referrer, never in a frame. */
export const HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

export const json = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Answer =>
  jsonAnswer(status, value, { ...HEADERS, ...headers })

export const error = (
  status: number,
  type: string,
  message: string,
  headers?: Readonly<Record<string, string>>
): Answer => json(status, { error: { type, message } }, headers)

export const NOT_FOUND = error(404, "NotFound", "Nothing here")
export const READ_ONLY = error(405, "MethodNotAllowed", "Use GET", { allow: "GET, HEAD" })
export const FORBIDDEN = error(
  403,
  "Forbidden",
  "A change needs the token in the Authorization header, or the header x-inspector: 1 from the inspector's page"
)
export const DATABASE_FAILED = error(500, "DatabaseError", "The inbox's database failed: the log says why")
export const FAILED = error(500, "InternalError", "The inspector failed: the log says why")

/** The reasons of an `InboxError`, as both editions name them. */
export type InboxReason = "NotFound" | "NotDead" | "InProgress" | "NoBody" | "InvalidQuery"

/** Statuses by `InboxError` reason: what is not there, what the delivery's state refuses, what was asked wrong. */
export const STATUS_OF: Readonly<Record<InboxReason, number>> = {
  NotFound: 404,
  NotDead: 409,
  InProgress: 409,
  NoBody: 409,
  InvalidQuery: 400
}

/** What an `InboxError` of either edition holds. */
export interface InboxFailure {
  readonly reason: InboxReason
  readonly message: string
  readonly webhookId?: string | undefined
}

export const inboxError = (e: InboxFailure): Answer =>
  json(STATUS_OF[e.reason], {
    error: {
      type: "InboxError",
      reason: e.reason,
      message: e.message,
      ...(e.webhookId === undefined ? {} : { webhookId: e.webhookId })
    }
  })

/** A delivery the log does not hold, as `get` finds it: none. */
export const notFound = (id: string): Answer =>
  inboxError({ reason: "NotFound", message: `No delivery ${id}`, webhookId: id })

const invalid = (message: string): Answer => inboxError({ reason: "InvalidQuery", message })

/** The failure of a query this API cannot read, as the inbox words one: an `InvalidQuery`, answered 400. */
interface Refused {
  readonly refused: Answer
}

const isRefused = (value: unknown): value is Refused =>
  typeof value === "object" && value !== null && "refused" in value

/** Every value of `name`, split at commas: `status=failed,dead` and `status=failed&status=dead` alike. */
const values = (query: URLSearchParams, name: string): ReadonlyArray<string> =>
  query.getAll(name).flatMap((value) => value.split(",")).map((value) => value.trim()).filter((value) => value !== "")

const statusesOf = <S extends Status>(
  query: URLSearchParams,
  allowed: ReadonlyArray<S>
): ReadonlyArray<S> | undefined | Refused => {
  const given = values(query, "status")
  const wrong = given.find((status) => !(allowed as ReadonlyArray<string>).includes(status))
  if (wrong !== undefined) {
    return { refused: invalid(`status is one of ${allowed.join(", ")}, not ${JSON.stringify(wrong)}`) }
  }
  return given.length === 0 ? undefined : given as ReadonlyArray<S>
}

/** An ISO 8601 time (what the page sends), or undefined when absent. */
const time = (query: URLSearchParams, name: string): Date | undefined | Refused => {
  const value = query.get(name)
  if (value === null || value === "") return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime())
    ? { refused: invalid(`${name} is a time in ISO 8601, such as 2026-11-26T19:51:34Z, not ${JSON.stringify(value)}`) }
    : date
}

const limitOf = (query: URLSearchParams): number | undefined | Refused => {
  const value = query.get("limit")
  if (value === null || value === "") return undefined
  return /^\d{1,6}$/.test(value)
    ? Number(value)
    : { refused: invalid(`limit is a whole number from 1 to 500, not ${JSON.stringify(value)}`) }
}

/** The page's filters of the delivery log: `status`, `type`, `since`, `until`, `limit`, `after`. */
export const listQuery = (query: URLSearchParams): ListQuery | Refused => {
  const status = statusesOf(query, allStatuses)
  if (isRefused(status)) return status
  const since = time(query, "since")
  if (isRefused(since)) return since
  const until = time(query, "until")
  if (isRefused(until)) return until
  const limit = limitOf(query)
  if (isRefused(limit)) return limit
  const eventType = query.get("type") || undefined
  return { status, eventType, since, until, limit, after: query.get("after") || undefined }
}

/** What a recover may replay unless told otherwise. */
export const RECOVERABLE: ReadonlyArray<"failed" | "dead"> = ["failed", "dead"]

/** A recover's window: `since` (required), `until`, `status` (`failed`, `dead`). */
export const recoverQuery = (query: URLSearchParams): RecoverQuery | Refused => {
  const since = time(query, "since")
  if (isRefused(since)) return since
  if (since === undefined) return { refused: invalid("since is required: recover what was received since when?") }
  const until = time(query, "until")
  if (isRefused(until)) return until
  const status = statusesOf(query, RECOVERABLE)
  if (isRefused(status)) return status
  return { since, until, status }
}

/** What the edition runs on its inbox for an API request, once this module has answered everything else. */
export type Call =
  /** `WebhookInbox.list(query)`, answered with the page. */
  | { readonly _tag: "List"; readonly query: ListQuery }
  /** `WebhookInbox.get(id)`: the detail, or {@link notFound}. */
  | { readonly _tag: "Get"; readonly id: string }
  /** `WebhookInbox.replay(id)`, logged, answered {@link replayed}. */
  | { readonly _tag: "Replay"; readonly id: string }
  /** `WebhookInbox.discard(id)`, logged, answered {@link discarded}. */
  | { readonly _tag: "Discard"; readonly id: string }
  /** The ids a recover of `query` would replay now (GET): answered {@link recoverable}. */
  | { readonly _tag: "Recoverable"; readonly query: RecoverQuery }
  /** `WebhookInbox.recover(query)` (POST), logged, answered {@link recovered}. */
  | { readonly _tag: "Recover"; readonly query: RecoverQuery }
  /** `WebhookInbox.stats`, answered as it is. */
  | { readonly _tag: "Stats" }
  /** `WebhookInbox.timeline` from `since` by the minute, answered {@link timeline}. */
  | { readonly _tag: "Timeline"; readonly since: Date }
  /** The endpoint's answers per minute (`Traffic`). */
  | { readonly _tag: "Answers" }

/** An answer made here, or a call for the edition to run. */
export type Routed =
  | { readonly _tag: "Answer"; readonly answer: Answer }
  | { readonly _tag: "Call"; readonly call: Call }

/** An API request: its method, its path below `api/` cut at `/` and decoded, its query. */
export interface ApiRequest {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly query: URLSearchParams
  /** Whether it may change something: a bearer token or `x-inspector: 1`, which no cross-site form can send. */
  readonly mayChange: boolean
}

const answer = (answer: Answer): Routed => ({ _tag: "Answer", answer })
const call = (call: Call): Routed => ({ _tag: "Call", call })
const NOT_FOUND_ROUTE = answer(NOT_FOUND)
const READ_ONLY_ROUTE = answer(READ_ONLY)
const FORBIDDEN_ROUTE = answer(FORBIDDEN)
const NO_ID = answer(invalid("id is required: the webhook-id of the delivery, as ?id="))
const STATS = call({ _tag: "Stats" })
const ANSWERS = call({ _tag: "Answers" })

const allowOnly = (allow: string) => answer(error(405, "MethodNotAllowed", `Use ${allow}`, { allow }))
const ALLOW_DELIVERY = allowOnly("GET, HEAD, DELETE")
const ALLOW_POST = allowOnly("POST")
const ALLOW_RECOVER = allowOnly("GET, HEAD, POST")

const isReading = (method: string) => method === "GET" || method === "HEAD"

/** One delivery's routes, whether its id came from the path or the query. */
const delivery = (request: ApiRequest, id: string, action: string | undefined): Routed => {
  const { method } = request
  if (action === undefined) {
    if (method === "DELETE") return request.mayChange ? call({ _tag: "Discard", id }) : FORBIDDEN_ROUTE
    if (!isReading(method)) return ALLOW_DELIVERY
    return call({ _tag: "Get", id })
  }
  if (action !== "replay" && action !== "discard") return NOT_FOUND_ROUTE
  if (method !== "POST") return ALLOW_POST
  if (!request.mayChange) return FORBIDDEN_ROUTE
  return call(action === "replay" ? { _tag: "Replay", id } : { _tag: "Discard", id })
}

/** The API's routes: an answer of its own, or the call to run. `now` (ms) starts the default timeline. */
export const route = (request: ApiRequest, now: number): Routed => {
  const { method, query, segments } = request
  const reading = isReading(method)
  const [first, id, action, ...rest] = segments
  if (rest.length > 0) return NOT_FOUND_ROUTE
  switch (first) {
    case "deliveries": {
      if (id !== undefined) return delivery(request, id, action)
      if (!reading) return READ_ONLY_ROUTE
      const list = listQuery(query)
      return isRefused(list) ? answer(list.refused) : call({ _tag: "List", query: list })
    }
    // The query routes: `delivery?id=`, `delivery/replay?id=`, `delivery/discard?id=`.
    case "delivery": {
      if (action !== undefined) return NOT_FOUND_ROUTE
      const given = query.get("id")
      return given === null || given === "" ? NO_ID : delivery(request, given, id)
    }
    case "recover": {
      if (id !== undefined) return NOT_FOUND_ROUTE
      if (!reading) {
        if (method !== "POST") return ALLOW_RECOVER
        if (!request.mayChange) return FORBIDDEN_ROUTE
      }
      const window = recoverQuery(query)
      if (isRefused(window)) return answer(window.refused)
      // GET: what a recover would replay now, counted before the page asks to confirm.
      return call({ _tag: reading ? "Recoverable" : "Recover", query: window })
    }
    case "stats":
      if (id !== undefined) return NOT_FOUND_ROUTE
      return reading ? STATS : READ_ONLY_ROUTE
    case "timeline": {
      if (id !== undefined) return NOT_FOUND_ROUTE
      if (!reading) return READ_ONLY_ROUTE
      const since = time(query, "since")
      if (isRefused(since)) return answer(since.refused)
      return call({ _tag: "Timeline", since: since ?? new Date(now - 60 * 60_000) })
    }
    // What the endpoint answered per minute, including what the inbox never stores (rejected, invalid).
    case "answers":
      if (id !== undefined) return NOT_FOUND_ROUTE
      return reading ? ANSWERS : READ_ONLY_ROUTE
    default:
      return NOT_FOUND_ROUTE
  }
}

/** The most ids a recover's count and its log line name; the count is always whole. */
export const LOGGED_IDS = 100

/** The list pages a recover's count walks: its window and statuses, `until` defaulting to `now` as recover's does. */
export const recoverablePages = (query: RecoverQuery, now: number): ListQuery => ({
  since: query.since,
  until: query.until ?? new Date(now),
  status: query.status ?? RECOVERABLE,
  limit: 500
})

export const replayed = (id: string): Answer => json(200, { replayed: id })
export const discarded = (id: string): Answer => json(200, { discarded: id })
export const recovered = (count: number): Answer => json(200, { recovered: count })
export const recoverable = (ids: ReadonlyArray<string>): Answer =>
  json(200, { count: ids.length, ids: ids.slice(0, LOGGED_IDS) })
export const TIMELINE_BUCKET_MS = 60_000
export const timeline = (buckets: unknown): Answer => json(200, { bucketMs: TIMELINE_BUCKET_MS, buckets })

/** The messages of the lines a change writes. */
export const LINES = {
  replayed: "inspector: replayed",
  discarded: "inspector: discarded",
  recovered: "inspector: recovered"
} as const

/** The annotations naming the ids of a change: `webhook_id` for one, else the first {@link LOGGED_IDS} ids. */
export const idAnnotations = (ids: ReadonlyArray<string>): Readonly<Record<string, string | undefined>> =>
  ids.length === 1
    ? { webhook_id: ids[0] }
    : { webhook_ids: ids.slice(0, LOGGED_IDS).join(",") + (ids.length > LOGGED_IDS ? ",..." : "") }

/** The annotations of a recover's line: how many, its window and statuses, and the ids. */
export const recoverAnnotations = (
  query: RecoverQuery,
  ids: ReadonlyArray<string>,
  count: number
): Readonly<Record<string, unknown>> => ({
  recovered: count,
  since: query.since.toISOString(),
  ...(query.until === undefined ? {} : { until: query.until.toISOString() }),
  status: ([] as ReadonlyArray<string>).concat(query.status ?? RECOVERABLE).join(","),
  ...idAnnotations(ids)
})
