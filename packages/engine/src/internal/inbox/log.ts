/**
 * The delivery log's queries checked before any SQL runs: a page's filter, a recovery's window, a timeline's
 * buckets, and the opaque cursor of a page. Each check answers the filter in the store's units (ms since the epoch)
 * or an `InvalidQuery` that says what to fix.
 *
 * @internal
 */
import type {
  Inspection,
  ListFilter,
  ListQuery,
  QueryProblem,
  RecoverFilter,
  RecoverQuery,
  Status,
  TimelineRange
} from "../../InboxSql.js"
import { fail, ok, type Result } from "../../Result.js"

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500
export const MAX_BUCKETS = 10_080

export const statuses: ReadonlyArray<Status> = ["processing", "done", "failed", "pending", "dead"]

const invalid = (message: string): QueryProblem => ({ reason: "InvalidQuery", message })

// Web APIs rather than Node's Buffer: the engine loads on every runtime.
const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: true })

export const encodeCursor = (receivedAt: number, webhookId: string): string => {
  const bytes = utf8Encoder.encode(JSON.stringify([receivedAt, webhookId]))
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

export const decodeCursor = (cursor: string): readonly [number, string] | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))
    const key: unknown = JSON.parse(utf8Decoder.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))))
    return Array.isArray(key) && key.length === 2 && Number.isSafeInteger(key[0]) && typeof key[1] === "string"
      ? [key[0] as number, key[1]]
      : undefined
  } catch {
    return undefined
  }
}

const time = (name: string, date: Date | undefined): number | QueryProblem | undefined => {
  if (date === undefined) return undefined
  const ms = date instanceof Date ? date.getTime() : NaN
  return Number.isFinite(ms) ? ms : invalid(`${name} must be a valid Date; got ${String(date)}`)
}

const isProblem = (value: unknown): value is QueryProblem =>
  typeof value === "object" && value !== null && (value as QueryProblem).reason === "InvalidQuery"

const window = (
  since: Date | undefined,
  until: Date | undefined
): { readonly from: number | undefined; readonly to: number | undefined } | QueryProblem => {
  const from = time("since", since)
  if (isProblem(from)) return from
  const to = time("until", until)
  if (isProblem(to)) return to
  if (from !== undefined && to !== undefined && from > to) {
    return invalid(`since (${new Date(from).toISOString()}) is after until (${new Date(to).toISOString()})`)
  }
  return { from, to }
}

const statusList = <S extends string>(
  given: S | ReadonlyArray<S> | undefined,
  allowed: ReadonlyArray<S>
): ReadonlyArray<S> | QueryProblem | undefined => {
  if (given === undefined) return undefined
  const list: ReadonlyArray<S> = typeof given === "string" ? [given] : given
  if (list.length === 0) {
    return invalid(`status: give one or several of ${allowed.join(", ")}, or leave it out for all of them`)
  }
  const unknown = list.find((status) => !allowed.includes(status))
  return unknown === undefined
    ? Array.from(new Set(list))
    : invalid(`status: ${JSON.stringify(unknown)} is not one of ${allowed.join(", ")}`)
}

export const listFilter = (query: ListQuery): Result<ListFilter, QueryProblem> => {
  const limit = query.limit ?? DEFAULT_LIMIT
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT)) {
    return fail(invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}; got ${String(limit)}`))
  }
  const only = statusList(query.status, statuses)
  if (isProblem(only)) return fail(only)
  const range = window(query.since, query.until)
  if (isProblem(range)) return fail(range)
  let after: readonly [number, string] | undefined
  if (query.after !== undefined) {
    after = decodeCursor(query.after)
    if (after === undefined) {
      return fail(invalid("after: not a cursor of this inbox (pass the `next` of a page as it is)"))
    }
  }
  const given = query.eventType === "" ? undefined : query.eventType
  // Every type has a dot: one without (`batch`) names a family, as `batch.` does, never an exact type.
  const eventType = given !== undefined && !given.includes(".") ? `${given}.` : given
  return ok({
    statuses: only,
    eventType,
    prefix: eventType !== undefined && eventType.endsWith("."),
    since: range.from,
    until: range.to,
    limit,
    after
  })
}

export const recoverFilter = (query: RecoverQuery, now: number): Result<RecoverFilter, QueryProblem> => {
  if (query === undefined || query === null || query.since === undefined) {
    return fail(invalid("recover needs since: the start of the window to recover"))
  }
  const range = window(query.since, query.until ?? new Date(now))
  if (isProblem(range)) return fail(range)
  const statuses = statusList(query.status, ["failed", "dead"] as const) ?? ["failed", "dead"]
  if (isProblem(statuses)) return fail(statuses)
  return ok({
    since: range.from!,
    until: range.to!,
    failed: statuses.includes("failed"),
    dead: statuses.includes("dead")
  })
}

export const timelineRange = (
  options: { readonly since?: Date | undefined; readonly bucketMs?: number | undefined; readonly bucket?: unknown },
  now: number
): Result<TimelineRange, QueryProblem> => {
  const bucketMs = options.bucketMs ?? 60_000
  if (!(Number.isSafeInteger(bucketMs) && bucketMs >= 1)) {
    const given = options.bucket !== undefined ? options.bucket : options.bucketMs
    return fail(invalid(`bucket must be a whole number of milliseconds, at least 1; got ${String(given)}`))
  }
  const since = time("since", options.since) ?? now - 60 * 60 * 1000
  if (isProblem(since)) return fail(since)
  if (since > now) return fail(invalid(`since (${new Date(since).toISOString()}) is in the future`))
  const first = Math.floor(since / bucketMs) * bucketMs
  const count = Math.floor(now / bucketMs) - first / bucketMs + 1
  if (count > MAX_BUCKETS) {
    return fail(invalid(
      `${count} buckets from since to now: at most ${MAX_BUCKETS} (choose a later since or a wider bucket)`
    ))
  }
  return ok({ first, count, bucketMs })
}

/** Why an operation on one delivery did not change it: what `InboxError` carries, with the id. */
export interface Refusal<Reason extends string> {
  readonly reason: Reason
  readonly message: string
  readonly webhookId: string
}

const notFound = (id: string): Refusal<"NotFound"> => ({
  reason: "NotFound",
  message: `no delivery in the inbox has the webhook-id ${JSON.stringify(id)}`,
  webhookId: id
})

/** Why a replay changed nothing, from what `inspect` read after it (undefined: no such delivery). */
export const replayRefusal = (
  id: string,
  found: Inspection | undefined
): Refusal<"NotFound" | "InProgress" | "NoBody"> => {
  if (found === undefined) return notFound(id)
  return found.status === "processing" && found.locked
    ? {
      reason: "InProgress",
      message: `${JSON.stringify(id)} is being processed right now: replay it once this attempt has ended`,
      webhookId: id
    }
    : {
      reason: "NoBody",
      message: `${JSON.stringify(id)} was stored without its body (inline mode, before the inbox kept ` +
        "bodies): there is nothing to replay",
      webhookId: id
    }
}

/** Why a discard changed nothing, from what `inspect` read after it (undefined: no such delivery). */
export const discardRefusal = (id: string, found: Inspection | undefined): Refusal<"NotFound" | "NotDead"> =>
  found === undefined ? notFound(id) : {
    reason: "NotDead",
    message: `${JSON.stringify(id)} is ${found.status}, not dead: only dead deliveries are discarded`,
    webhookId: id
  }
