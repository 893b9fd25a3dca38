/**
 * The inspector's JSON API, below `<path>/api/`: its routes over the inbox's delivery log, each answered with an
 * engine `Reply.Answer` so that every mounting style (a `node:http` listener, an `HttpApp`, a route layer) serves
 * the same bytes. Moved here from the receiver, which now mounts the library's inspector like any app.
 *
 * A delivery is named by `?id=` in the query, never by a path segment: a browser (and `fetch`, and `new URL`)
 * resolves the segments `.` and `..`, even written `%2E`, before the request leaves, so an id of `.` or `..`
 * could not be opened, replayed or discarded through a path. The path routes (`deliveries/ID`) are kept for
 * clients of the earlier API.
 */
import type { SqlError } from "@effect/sql/SqlError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InboxSql, Reply } from "openai-webhooks-engine"
import * as WebhookInbox from "../../WebhookInbox.js"
import * as Traffic from "./traffic.js"

/** On every answer of the inspector: nothing cached, nothing sniffed, no referrer, never in a frame. */
export const HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

export const json = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Reply.Answer =>
  Reply.jsonAnswer(status, value, { ...HEADERS, ...headers })

export const error = (status: number, type: string, message: string, headers?: Readonly<Record<string, string>>) =>
  json(status, { error: { type, message } }, headers)

export const NOT_FOUND = error(404, "NotFound", "Nothing here")
export const READ_ONLY = error(405, "MethodNotAllowed", "Use GET", { allow: "GET, HEAD" })
const FORBIDDEN = error(
  403,
  "Forbidden",
  "A change needs the token in the Authorization header, or the header x-inspector: 1 from the inspector's page"
)
export const DATABASE_FAILED = error(500, "DatabaseError", "The inbox's database failed: the log says why")
export const FAILED = error(500, "InternalError", "The inspector failed: the log says why")

/** Statuses by `InboxError` reason: what is not there, what the delivery's state refuses, what was asked wrong. */
const STATUS_OF: Readonly<Record<WebhookInbox.InboxError["reason"], number>> = {
  NotFound: 404,
  NotDead: 409,
  InProgress: 409,
  NoBody: 409,
  InvalidQuery: 400
}

export const inboxError = (e: WebhookInbox.InboxError): Reply.Answer =>
  json(STATUS_OF[e.reason], {
    error: {
      type: "InboxError",
      reason: e.reason,
      message: e.message,
      ...(e.webhookId === undefined ? {} : { webhookId: e.webhookId })
    }
  })

const invalid = (message: string) => new WebhookInbox.InboxError({ reason: "InvalidQuery", message })

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

/** An ISO 8601 time (what the page sends), or undefined when absent. */
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

/** The most ids a recover's log line names; the count is always whole. */
const LOGGED_IDS = 100

/**
 * The ids a recover of `query` would replay now, newest first: the delivery log's pages over the same window and
 * statuses (`until` defaults to now, as the recover's does). What the page's question counts before it asks.
 */
const recoverable = (
  query: WebhookInbox.RecoverQuery
): Effect.Effect<ReadonlyArray<string>, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox> =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    const base = { since: query.since, until: query.until ?? new Date(), status: query.status ?? RECOVERABLE }
    let after: string | undefined
    do {
      const page = yield* WebhookInbox.list({ ...base, limit: 500, ...(after === undefined ? {} : { after }) })
      for (const delivery of page.deliveries) ids.push(delivery.webhookId)
      after = page.next ?? undefined
    } while (after !== undefined)
    return ids
  })

/** The line of a change made from the inspector: what was done, to which ids. */
const logChange = (message: string, ids: ReadonlyArray<string>, annotations: Record<string, unknown> = {}) =>
  Effect.logInfo(message).pipe(
    Effect.annotateLogs({
      ...annotations,
      ...(ids.length === 1
        ? { webhook_id: ids[0] }
        : { webhook_ids: ids.slice(0, LOGGED_IDS).join(",") + (ids.length > LOGGED_IDS ? ",..." : "") })
    })
  )

/** An API request: its method, its path below `api/` cut at `/` and decoded, its query. */
export interface ApiRequest {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly query: URLSearchParams
  /** Whether it may change something: a bearer token or `x-inspector: 1`, which no cross-site form can send. */
  readonly mayChange: boolean
}

const allowOnly = (allow: string) => error(405, "MethodNotAllowed", `Use ${allow}`, { allow })

type Answered = Effect.Effect<Reply.Answer, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox>

/** One delivery's routes, whether its id came from the path or the query. */
const delivery = (request: ApiRequest, id: string, action: string | undefined): Answered => {
  const { method } = request
  const reading = method === "GET" || method === "HEAD"
  const change = (effect: Answered): Answered => request.mayChange ? effect : Effect.succeed(FORBIDDEN)
  const replay = change(
    Effect.as(
      Effect.zipRight(WebhookInbox.replay(id), logChange("inspector: replayed", [id])),
      json(200, { replayed: id })
    )
  )
  const discard = change(
    Effect.as(
      Effect.zipRight(WebhookInbox.discard(id), logChange("inspector: discarded", [id])),
      json(200, { discarded: id })
    )
  )
  if (action === undefined) {
    if (method === "DELETE") return discard
    if (!reading) return Effect.succeed(allowOnly("GET, HEAD, DELETE"))
    return Effect.map(
      WebhookInbox.get(id),
      Option.match({
        onNone: () =>
          inboxError(new WebhookInbox.InboxError({ reason: "NotFound", message: `No delivery ${id}`, webhookId: id })),
        onSome: (detail) => json(200, detail)
      })
    )
  }
  if (action !== "replay" && action !== "discard") return Effect.succeed(NOT_FOUND)
  if (method !== "POST") return Effect.succeed(allowOnly("POST"))
  return action === "replay" ? replay : discard
}

/** `?id=`, required by the query routes. */
const idOf = (query: URLSearchParams): string | undefined => {
  const id = query.get("id")
  return id === null || id === "" ? undefined : id
}

const NO_ID = Effect.fail(invalid("id is required: the webhook-id of the delivery, as ?id="))

/** The API's routes: the answer, or a failure the caller renders. */
export const api = (request: ApiRequest): Answered => {
  const { method, query, segments } = request
  const reading = method === "GET" || method === "HEAD"
  const [first, id, action, ...rest] = segments
  if (rest.length > 0) return Effect.succeed(NOT_FOUND)
  switch (first) {
    case "deliveries": {
      if (id === undefined) {
        if (!reading) return Effect.succeed(READ_ONLY)
        return Effect.map(Effect.flatMap(listQuery(query), WebhookInbox.list), (page) => json(200, page))
      }
      return delivery(request, id, action)
    }
    // The query routes: `delivery?id=`, `delivery/replay?id=`, `delivery/discard?id=`.
    case "delivery": {
      if (action !== undefined) return Effect.succeed(NOT_FOUND)
      const given = idOf(query)
      return given === undefined ? NO_ID : delivery(request, given, id)
    }
    case "recover":
      if (id !== undefined) return Effect.succeed(NOT_FOUND)
      // GET: what a recover would replay now, counted before the page asks to confirm.
      if (reading) {
        return Effect.map(
          Effect.flatMap(recoverQuery(query), recoverable),
          (ids) => json(200, { count: ids.length, ids: ids.slice(0, LOGGED_IDS) })
        )
      }
      if (method !== "POST") return Effect.succeed(allowOnly("GET, HEAD, POST"))
      if (!request.mayChange) return Effect.succeed(FORBIDDEN)
      return Effect.gen(function*() {
        const window = yield* recoverQuery(query)
        const ids = yield* recoverable(window)
        const recovered = yield* WebhookInbox.recover(window)
        yield* logChange("inspector: recovered", ids, {
          recovered,
          since: window.since.toISOString(),
          ...(window.until === undefined ? {} : { until: window.until.toISOString() }),
          status: ([] as ReadonlyArray<string>).concat(window.status ?? RECOVERABLE).join(",")
        })
        return json(200, { recovered })
      })
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
    // What the endpoint answered per minute, including what the inbox never stores (rejected, invalid).
    case "answers":
      if (id !== undefined) return Effect.succeed(NOT_FOUND)
      if (!reading) return Effect.succeed(READ_ONLY)
      return Effect.sync(() => json(200, Traffic.read()))
    default:
      return Effect.succeed(NOT_FOUND)
  }
}
