/**
 * The log's shapes, as `InboxSql` exports them (its public module holds the statements; these are the records they
 * read and the queries they take).
 *
 * @internal
 */
import type { AttemptOutcome, Status } from "../../InboxSql.js"
import type { Problem } from "../../Result.js"

/**
 * A delivery as the log lists it: everything but its body and its attempts.
 *
 * @since 0.3.0
 * @category log
 */
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

/**
 * One run of the handler on a delivery.
 *
 * @since 0.3.0
 * @category log
 */
export interface Attempt {
  /** 1 for the first, then 2, ... (the delivery's `attempts` when it started). */
  readonly attempt: number
  readonly startedAt: Date
  /** Null while it runs (or when its process died during it). */
  readonly endedAt: Date | null
  /** Null while it runs (or when its process died during it). */
  readonly outcome: AttemptOutcome | null
  /** The cause, as text, when it did not succeed. */
  readonly error: string | null
  /** `endedAt - startedAt`, in milliseconds; null while it runs. */
  readonly durationMs: number | null
  /**
   * Present (true) on an attempt that a replay or a recovery made (`replay`, `recover`, the inspector, `inbox
   * replay`), absent on the others: what the inspector marks "replayed". Since 0.4.0; attempts made before the
   * inbox recorded it are not marked.
   */
  readonly replayed?: true
}

/**
 * A delivery with its raw body and its attempts, oldest first.
 *
 * @since 0.3.0
 * @category log
 */
export interface DeliveryDetail extends DeliveryRecord {
  /** The raw body as received (UTF-8); null for a delivery stored before the log kept bodies inline. */
  readonly body: string | null
  readonly history: ReadonlyArray<Attempt>
}

/**
 * What `list` selects. Every field is optional; they combine with AND.
 *
 * @since 0.3.0
 * @category log
 */
export interface ListQuery {
  /** One status or several. */
  readonly status?: Status | ReadonlyArray<Status> | undefined
  /**
   * An exact type (`"response.completed"`), or a family: a prefix ending in `.` (`"batch."`), or a name without a
   * dot (`"batch"`, read as `"batch."`).
   */
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

/**
 * One page, newest first, and the cursor of the next (null on the last page).
 *
 * @since 0.3.0
 * @category log
 */
export interface ListPage {
  readonly deliveries: ReadonlyArray<DeliveryRecord>
  readonly next: string | null
}

/**
 * Counts for a dashboard or a scrape: cheap whatever the number of deliveries (counts the database keeps as the
 * deliveries change, and one step of an index for the oldest waiting).
 *
 * @since 0.3.0
 * @category log
 */
export interface Stats {
  /** Every status, 0 when none. */
  readonly byStatus: Readonly<Record<Status, number>>
  /** One row per event type and status that has deliveries. */
  readonly byEventType: ReadonlyArray<
    { readonly eventType: string | null; readonly status: Status; readonly count: number }
  >
  /** How long the oldest `pending` or `failed` delivery has waited since it was received, in ms; null when none. */
  readonly oldestPendingAgeMs: number | null
}

/**
 * What `recover` replays.
 *
 * @since 0.3.0
 * @category log
 */
export interface RecoverQuery {
  /** Received at or after. */
  readonly since: Date
  /** Received before. Default: now. */
  readonly until?: Date | undefined
  /** `failed` (a failed attempt, waiting for a retry), `dead`, or both (default). */
  readonly status?: "failed" | "dead" | ReadonlyArray<"failed" | "dead"> | undefined
}

/**
 * Deliveries received per bucket, by their status now: the inspector's chart.
 *
 * @since 0.3.0
 * @category log
 */
export interface TimelineBucket {
  readonly start: Date
  readonly counts: Readonly<Record<Status, number>>
}

// The log's queries, checked.

/**
 * Why a query of the log cannot run as asked: a `limit` out of 1 to 500, a cursor this store did not make, `since`
 * after `until`, a bucket under a millisecond, too many buckets. The message says what to fix.
 *
 * @since 0.3.0
 * @category log
 */
export type QueryProblem = Problem<"InvalidQuery">

/**
 * A {@link ListQuery} checked, in the store's units (ms since the epoch).
 *
 * @since 0.3.0
 * @category log
 */
export interface ListFilter {
  readonly statuses: ReadonlyArray<Status> | undefined
  /** An exact type, or the prefix of a family when `prefix`. */
  readonly eventType: string | undefined
  readonly prefix: boolean
  readonly since: number | undefined
  readonly until: number | undefined
  readonly limit: number
  /** The key (`received_at`, `webhook_id`) of the previous page's last row. */
  readonly after: readonly [number, string] | undefined
}

/**
 * A {@link RecoverQuery} checked, in ms: the window [`since`, `until`), and which deliveries.
 *
 * @since 0.3.0
 * @category log
 */
export interface RecoverFilter {
  readonly since: number
  readonly until: number
  readonly failed: boolean
  readonly dead: boolean
}

/**
 * The buckets a timeline covers: `count` buckets of `bucketMs` from `first` (a multiple of `bucketMs`).
 *
 * @since 0.3.0
 * @category log
 */
export interface TimelineRange {
  readonly first: number
  readonly count: number
  readonly bucketMs: number
}
