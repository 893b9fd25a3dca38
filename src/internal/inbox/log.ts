/**
 * The delivery log's shapes: what the inbox tells about the deliveries it keeps (list, get, stats,
 * timeline) and the one error its operations raise. The store (`./store.ts`) fills them; the public
 * `WebhookInbox` module re-exports them; the CLI's `inbox` commands, the inspector page and `/metrics`
 * read them. Times are `Date`s; durations are milliseconds where a number is needed.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { InboxError } from "../../WebhookError.js"

/**
 * Where a delivery is:
 * - `processing`: a handler runs it now (inline claim or worker lease).
 * - `done`: processed.
 * - `failed`: inline mode, the handler failed: the claim was given back, OpenAI's retry will claim it
 *   again (a store made before the log called this `released`; the second migration renames it).
 * - `pending`: stored and due (queued mode, a replay or a recovery), or waiting for its next attempt.
 * - `dead`: the worker's schedule ended, or the body is not an event: kept until discarded.
 */
export type Status = "processing" | "done" | "failed" | "pending" | "dead"

export const STATUSES: ReadonlyArray<Status> = ["processing", "done", "failed", "pending", "dead"]

/** How one attempt ended. `timed_out`: the handler ran past its timeout and was interrupted. */
export type AttemptOutcome = "processed" | "failed" | "timed_out" | "interrupted"

export const ATTEMPT_OUTCOMES: ReadonlyArray<AttemptOutcome> = ["processed", "failed", "timed_out", "interrupted"]

/** A delivery as the log lists it: everything but its body and its attempts. */
export interface DeliveryRecord {
  /** `webhook-id`: the key. */
  readonly webhookId: string
  /** The event's `type` as received; null for a delivery stored before the log existed without one. */
  readonly eventType: string | null
  /** `webhook-timestamp`, as signed (whole seconds). */
  readonly timestamp: Date
  /** When this store first received it. */
  readonly receivedAt: Date
  /** When its row last changed. */
  readonly updatedAt: Date
  readonly status: Status
  /** Attempts made so far (the handler was started this many times). */
  readonly attempts: number
  /** The last failed attempt's cause, as text; null once processed. */
  readonly lastError: string | null
  /** `pending`: when a worker may take it next. */
  readonly nextAttemptAt: Date | null
}

/** One run of the handler on a delivery. */
export interface Attempt {
  /** 1 for the first, then 2, ... (the delivery's `attempts` when it started). */
  readonly attempt: number
  readonly startedAt: Date
  /** Null while it runs (or when its process died during it). */
  readonly endedAt: Date | null
  /** Null while it runs (or when its process died during it). */
  readonly outcome: AttemptOutcome | null
  /** The cause, as text (`Cause.pretty`), when it did not succeed. */
  readonly error: string | null
  /** `endedAt - startedAt`, in milliseconds; null while it runs. */
  readonly durationMs: number | null
}

/** A delivery with its raw body and its attempts, oldest first. */
export interface DeliveryDetail extends DeliveryRecord {
  /** The raw body as received (UTF-8); null for a delivery stored before the log kept bodies inline. */
  readonly body: string | null
  readonly history: ReadonlyArray<Attempt>
}

/** What `list` selects. Every field is optional; they combine with AND. */
export interface ListQuery {
  /** One status or several. */
  readonly status?: Status | ReadonlyArray<Status> | undefined
  /** An exact type (`"response.completed"`), or a family prefix ending in `.` (`"batch."`). */
  readonly eventType?: string | undefined
  /** Received at or after. */
  readonly since?: Date | undefined
  /** Received before. */
  readonly until?: Date | undefined
  /** Page size: 1 to 500. Default: 50. */
  readonly limit?: number | undefined
  /** The `next` cursor of the previous page. */
  readonly after?: string | undefined
}

/** One page, newest first, and the cursor of the next (null on the last page). */
export interface ListPage {
  readonly deliveries: ReadonlyArray<DeliveryRecord>
  readonly next: string | null
}

/** Counts for a dashboard or a scrape: cheap (grouped counts over an index). */
export interface Stats {
  /** Every status, 0 when none. */
  readonly byStatus: Readonly<Record<Status, number>>
  /** One row per event type and status that has deliveries. */
  readonly byEventType: ReadonlyArray<{ readonly eventType: string | null; readonly status: Status; readonly count: number }>
  /** How long the oldest `pending` or `failed` delivery has waited since it was received, in ms; null when none. */
  readonly oldestPendingAgeMs: number | null
}

/** What `recover` replays. */
export interface RecoverQuery {
  /** Received at or after. */
  readonly since: Date
  /** Received before. Default: now. */
  readonly until?: Date | undefined
  /** `failed` (a failed attempt, waiting for a retry), `dead`, or both (default). */
  readonly status?: "failed" | "dead" | ReadonlyArray<"failed" | "dead"> | undefined
}

/** Deliveries received per `bucket`, by their status now: the inspector's chart. */
export interface TimelineBucket {
  readonly start: Date
  readonly counts: Readonly<Record<Status, number>>
}

/** An operation on the log that cannot be done as asked: its home is `WebhookError`, with the other errors. */
export { InboxError }

// What the store needs to read and check the above: pure, so that both engines share it.

/**
 * What a store made before the log wrote for `failed` (an instance of that version may still write it during
 * a rolling upgrade).
 */
export const LEGACY_FAILED = "released"

/** A stored status as the log tells it: `released` is `failed`. */
export const statusOf = (stored: string): Status => (stored === LEGACY_FAILED ? "failed" : stored as Status)

/** Every status, counted 0: the start of a count. */
export const zeroCounts = (): Record<Status, number> => ({ processing: 0, done: 0, failed: 0, pending: 0, dead: 0 })

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500

/** The most buckets `timeline` computes at once (a week of minutes): a wider range is an `InvalidQuery`. */
export const MAX_BUCKETS = 10_080

const invalid = (message: string): InboxError => new InboxError({ reason: "InvalidQuery", message })

// Web APIs rather than Node's Buffer: the public modules load on every runtime.
const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: true })

/** The key of the last row of a page, as the opaque `next` cursor: base64url of `[receivedAt, webhookId]`. */
export const encodeCursor = (receivedAt: number, webhookId: string): string => {
  const bytes = utf8Encoder.encode(JSON.stringify([receivedAt, webhookId]))
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** The key a cursor holds, or undefined for one this store did not make. */
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

/** A `ListQuery` checked and in the store's units (ms since the epoch). */
export interface ListFilter {
  readonly statuses: ReadonlyArray<Status> | undefined
  /** An exact type, or the prefix of a family when `prefix`. */
  readonly eventType: string | undefined
  readonly prefix: boolean
  readonly since: number | undefined
  readonly until: number | undefined
  readonly limit: number
  readonly after: readonly [number, string] | undefined
}

const time = (name: string, date: Date | undefined): number | InboxError | undefined => {
  if (date === undefined) return undefined
  const ms = date instanceof Date ? date.getTime() : NaN
  return Number.isFinite(ms) ? ms : invalid(`${name} must be a valid Date; got ${String(date)}`)
}

const window = (since: Date | undefined, until: Date | undefined) => {
  const from = time("since", since)
  if (from instanceof InboxError) return from
  const to = time("until", until)
  if (to instanceof InboxError) return to
  if (from !== undefined && to !== undefined && from > to) {
    return invalid(`since (${new Date(from).toISOString()}) is after until (${new Date(to).toISOString()})`)
  }
  return { from, to }
}

const statusList = <S extends string>(
  given: S | ReadonlyArray<S> | undefined,
  allowed: ReadonlyArray<S>
): ReadonlyArray<S> | InboxError | undefined => {
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

/** Checks a `ListQuery`: the filter, or an `InvalidQuery` that says what to fix. */
export const listFilter = (query: ListQuery): ListFilter | InboxError => {
  const limit = query.limit ?? DEFAULT_LIMIT
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT)) {
    return invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}; got ${String(limit)}`)
  }
  const statuses = statusList(query.status, STATUSES)
  if (statuses instanceof InboxError) return statuses
  const range = window(query.since, query.until)
  if (range instanceof InboxError) return range
  let after: readonly [number, string] | undefined
  if (query.after !== undefined) {
    after = decodeCursor(query.after)
    if (after === undefined) return invalid("after: not a cursor of this inbox (pass the `next` of a page as it is)")
  }
  const eventType = query.eventType === "" ? undefined : query.eventType
  return {
    statuses,
    eventType,
    prefix: eventType !== undefined && eventType.endsWith("."),
    since: range.from,
    until: range.to,
    limit,
    after
  }
}

/** A `RecoverQuery` checked, in ms. */
export interface RecoverFilter {
  readonly since: number
  readonly until: number
  readonly failed: boolean
  readonly dead: boolean
}

/** A `RecoverQuery` checked, in ms; `until` defaults to `now`. */
export const recoverFilter = (query: RecoverQuery, now: number): RecoverFilter | InboxError => {
  if (query === undefined || query === null || query.since === undefined) {
    return invalid("recover needs since: the start of the window to recover")
  }
  const range = window(query.since, query.until ?? new Date(now))
  if (range instanceof InboxError) return range
  const statuses = statusList(query.status, ["failed", "dead"] as const) ?? ["failed", "dead"]
  if (statuses instanceof InboxError) return statuses
  return {
    since: range.from!,
    until: range.to!,
    failed: statuses.includes("failed"),
    dead: statuses.includes("dead")
  }
}

/** The buckets `timeline` covers: aligned on the bucket, from the one holding `since` to the one holding `now`. */
export const timelineRange = (
  options: { readonly since?: Date | undefined; readonly bucket?: Duration.DurationInput | undefined },
  now: number
): { readonly first: number; readonly count: number; readonly bucketMs: number } | InboxError => {
  const bucket = options.bucket === undefined
    ? Option.some(Duration.minutes(1))
    : Duration.decodeUnknown(options.bucket)
  const bucketMs = Option.isSome(bucket) ? Duration.toMillis(bucket.value) : NaN
  if (!(Number.isSafeInteger(bucketMs) && bucketMs >= 1)) {
    return invalid(`bucket must be a whole number of milliseconds, at least 1; got ${String(options.bucket)}`)
  }
  const since = time("since", options.since) ?? now - 60 * 60 * 1000
  if (since instanceof InboxError) return since
  if (since > now) return invalid(`since (${new Date(since).toISOString()}) is in the future`)
  const first = Math.floor(since / bucketMs) * bucketMs
  const count = Math.floor(now / bucketMs) - first / bucketMs + 1
  if (count > MAX_BUCKETS) {
    return invalid(
      `${count} buckets from since to now: at most ${MAX_BUCKETS} (choose a later since or a wider bucket)`
    )
  }
  return { first, count, bucketMs }
}
