/**
 * The delivery log's shapes: what the inbox tells about the deliveries it keeps (list, get, stats,
 * timeline) and the one error its operations raise. The store (`./store.ts`) fills them; the public
 * `WebhookInbox` module re-exports them; the CLI's `inbox` commands, the inspector page and `/metrics`
 * read them. Times are `Date`s; durations are milliseconds where a number is needed.
 *
 * @internal
 */
import * as Schema from "effect/Schema"

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

/**
 * An operation on the log that cannot be done as asked:
 * - `NotFound`: no delivery has this `webhook-id` (`webhookId` names it).
 * - `NotDead`: `discard` is for dead letters; this one is not dead (its status is in the message).
 * - `InProgress`: `replay` of a delivery a handler runs right now (a live claim or lease).
 * - `NoBody`: `replay` of a delivery stored before bodies were kept in inline mode.
 * - `InvalidQuery`: a `limit` out of 1 to 500, a cursor this store did not make, `since` after `until`.
 */
export class InboxError extends Schema.TaggedError<InboxError>("effect-openai-webhooks/InboxError")(
  "InboxError",
  {
    reason: Schema.Literal("NotFound", "NotDead", "InProgress", "NoBody", "InvalidQuery"),
    message: Schema.String,
    webhookId: Schema.optionalWith(Schema.String, { exact: true })
  }
) {}
