/**
 * The inbox's SQL, one dialect object per database (`sqlite`, `pg`), both implementing {@link Dialect}: the tables
 * and their migrations, every statement of the inbox as text with its parameters in order (a `params` function
 * gives them for an input; SQLite's placeholders are `?`, PostgreSQL's `$1`, `$2`, ...), and a `read` function
 * that turns the rows a statement returns into a plain value. An edition runs them on its own SQL client, chooses
 * the dialect once, and adds what is about its effect system: transactions, group commit, durability, retries.
 *
 * The store: a table of deliveries keyed on `webhook-id` (its `attempts` is the number of the attempt running or
 * last run, and the token a holder presents to settle it) and one of their attempts. Every claim is one atomic
 * statement (`INSERT ... ON CONFLICT ... DO UPDATE ... WHERE ... RETURNING`): no read-then-write. An attempt
 * starts and ends in the very statement that claims, takes or settles its delivery (SQLite: by trigger;
 * PostgreSQL: by data-modifying CTE). Times are integers, ms since the epoch; `webhook_timestamp` is seconds. Also
 * the vocabulary the log speaks (statuses, attempt outcomes), the checks of its queries and the bound on its key.
 *
 * @since 0.3.0
 */
import { pg as pgDialect } from "./internal/inbox/pg.js"
import * as file from "./internal/inbox/file.js"
import * as log from "./internal/inbox/log.js"
import * as shared from "./internal/inbox/shared.js"
import type {
  Query,
  Script,
  Bound,
  Migration,
  Claim,
  Settle,
  Enqueue,
  Take,
  Taken,
  Renew,
  Purge,
  At,
  Inspection,
  Batch
} from "./internal/inbox/statements.js"
import { sqlite as sqliteDialect } from "./internal/inbox/sqlite.js"
import type {
  DeliveryRecord,
  Attempt,
  DeliveryDetail,
  ListQuery,
  ListPage,
  Stats,
  RecoverQuery,
  TimelineBucket,
  QueryProblem,
  ListFilter,
  RecoverFilter,
  TimelineRange
} from "./internal/inbox/records.js"
import type { Problem, Result } from "./Result.js"

// The vocabulary.

/**
 * Where a delivery is:
 * - `processing`: a handler runs it now (inline claim or worker lease).
 * - `done`: processed.
 * - `failed`: inline mode, the handler failed: the claim was given back, OpenAI's retry will claim it again (a
 *   store made before the log called this `released`; the second migration renames it).
 * - `pending`: stored and due (queued mode, a replay or a recovery), or waiting for its next attempt.
 * - `dead`: the worker's schedule ended, or the body is not an event: kept until discarded.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export type Status = "processing" | "done" | "failed" | "pending" | "dead"

/**
 * Every status, in the order the log shows them.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export const statuses: ReadonlyArray<Status> = shared.statuses

/**
 * How one attempt ended. `timed_out`: the handler ran past its timeout and was interrupted; `interrupted`: it was
 * interrupted otherwise (a shutdown).
 *
 * @since 0.3.0
 * @category vocabulary
 */
export type AttemptOutcome = "processed" | "failed" | "timed_out" | "interrupted"

/**
 * Every attempt outcome.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export const attemptOutcomes: ReadonlyArray<AttemptOutcome> = shared.attemptOutcomes

/**
 * What a store made before the log wrote for `failed` (an instance of that version may still write it during a
 * rolling upgrade): every statement treats it as `failed`.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export const legacyFailed: "released" = shared.legacyFailed

/**
 * A stored status as the log tells it: `released` is `failed`.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export const statusOf: (stored: string) => Status = shared.statusOf

/**
 * Every status, counted 0: the start of a count.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export const zeroCounts: () => Record<Status, number> = shared.zeroCounts

/**
 * The event type as a text column can hold it: `type` comes from the signed JSON, where `\u0000` is valid, but
 * PostgreSQL's text cannot hold U+0000 (the delivery would fail to store, and be answered 500 at every retry); it
 * becomes U+FFFD, on SQLite too, so that both keep the same. The claim's and the enqueue's parameters apply it; the
 * body keeps the escape as it came.
 *
 * @since 0.3.0
 * @category vocabulary
 */
export const storable: (eventType: string) => string = shared.storable

/**
 * Why no database can key on `id` (`WebhookIdTooLong`: over 1,024 bytes of UTF-8), or undefined: answered 400.
 *
 * @since 0.4.0
 * @category vocabulary
 */
export const idTooLong: (id: string) => Problem<"WebhookIdTooLong"> | undefined = shared.idTooLong

/**
 * The tables: the deliveries, their attempts (one row per attempt, `(webhook_id, attempt)`), and the migrations
 * applied (the table `@effect/sql`'s Migrator keeps: `migration_id`, `created_at`, `name`).
 *
 * @since 0.3.0
 * @category tables
 */
export const tables: {
  readonly deliveries: "openai_webhook_deliveries"
  readonly attempts: "openai_webhook_attempts"
  readonly migrations: "effect_openai_webhooks_migrations"
} = {
  deliveries: shared.DELIVERIES,
  attempts: shared.ATTEMPTS,
  migrations: shared.MIGRATIONS
}

// The log's shapes (their docs are with them).
export type {
  DeliveryRecord,
  Attempt,
  DeliveryDetail,
  ListQuery,
  ListPage,
  Stats,
  RecoverQuery,
  TimelineBucket,
  QueryProblem,
  ListFilter,
  RecoverFilter,
  TimelineRange
}

/**
 * Checks a {@link ListQuery}: the filter, or an `InvalidQuery` that says what to fix.
 *
 * @since 0.3.0
 * @category log
 */
export const listFilter: (query: ListQuery) => Result<ListFilter, QueryProblem> = log.listFilter

/**
 * Checks a {@link RecoverQuery}; `until` defaults to `now` (ms).
 *
 * @since 0.3.0
 * @category log
 */
export const recoverFilter: (query: RecoverQuery, now: number) => Result<RecoverFilter, QueryProblem> =
  log.recoverFilter

/**
 * The buckets of a timeline: aligned on the bucket, from the one holding `since` (default: an hour before `now`)
 * to the one holding `now`. `bucketMs` defaults to a minute; `bucket` is what the caller gave, for the message.
 * At most {@link maxBuckets}.
 *
 * @since 0.3.0
 * @category log
 */
export const timelineRange: (
  options: { readonly since?: Date | undefined; readonly bucketMs?: number | undefined; readonly bucket?: unknown },
  now: number
) => Result<TimelineRange, QueryProblem> = log.timelineRange

/**
 * The key of the last row of a page as the opaque `next` cursor: base64url of `[receivedAt, webhookId]`.
 *
 * @since 0.3.0
 * @category log
 */
export const encodeCursor: (receivedAt: number, webhookId: string) => string = log.encodeCursor

/**
 * The key a cursor holds, or undefined for one this store did not make.
 *
 * @since 0.3.0
 * @category log
 */
export const decodeCursor: (cursor: string) => readonly [number, string] | undefined = log.decodeCursor

/**
 * A page's size unless the query says: 50.
 *
 * @since 0.3.0
 * @category log
 */
export const defaultLimit: number = log.DEFAULT_LIMIT

/**
 * The largest page: 500.
 *
 * @since 0.3.0
 * @category log
 */
export const maxLimit: number = log.MAX_LIMIT

/**
 * The most buckets a timeline computes at once (a week of minutes): a wider range is an `InvalidQuery`.
 *
 * @since 0.3.0
 * @category log
 */
export const maxBuckets: number = log.MAX_BUCKETS

/**
 * Why an operation on one delivery (`replay`, `discard`) did not change it: the `reason` and `message` of the
 * edition's `InboxError`, and the delivery's id.
 *
 * @since 0.4.0
 * @category log
 */
export type Refusal<Reason extends string> = log.Refusal<Reason>

/**
 * Why a replay changed nothing, from what {@link Dialect.inspect} read after it (undefined: no such delivery):
 * `NotFound`, `InProgress` (a live claim or lease holds it) or `NoBody` (stored without its body).
 *
 * @since 0.4.0
 * @category log
 */
export const replayRefusal: (
  id: string,
  found: Inspection | undefined
) => Refusal<"NotFound" | "InProgress" | "NoBody"> = log.replayRefusal

/**
 * Why a discard changed nothing, from what {@link Dialect.inspect} read after it: `NotFound`, or `NotDead`.
 *
 * @since 0.4.0
 * @category log
 */
export const discardRefusal: (id: string, found: Inspection | undefined) => Refusal<"NotFound" | "NotDead"> =
  log.discardRefusal

// Leases.

/**
 * How long a claim or a worker's lease holds unless renewed, by default: 30 s, so that a crashed process's
 * deliveries are taken over within seconds (the heartbeat keeps live ones).
 *
 * @since 0.4.0
 * @category leases
 */
export const defaultLeaseMs = 30_000

/**
 * The heartbeat of a lease unless one is given: a third of it, in whole milliseconds (the store writes times as
 * integers), at least 1. A third lets one renewal fail (a database hiccup, a stalled process) without losing it.
 *
 * @since 0.4.0
 * @category leases
 */
export const defaultHeartbeatMs = (leaseMs: number): number => Math.max(1, Math.floor(leaseMs / 3))

/**
 * What is said of a claim or lease another holder took over after it expired while its handler ran: `takenOver`
 * the fact, `running` for the heartbeat's line (its handler runs on), `notRecorded` for the attempt's outcome.
 *
 * @since 0.4.0
 * @category leases
 */
export const leaseLost: {
  readonly takenOver: string
  readonly running: string
  readonly notRecorded: string
} = (() => {
  const takenOver = "another holder took this delivery over after this one's lease expired (this process stalled, " +
    "or its database did not answer, for longer than the lease)"
  return {
    takenOver,
    running: `${takenOver}: its handler runs on, but its outcome will not be recorded`,
    notRecorded: `${takenOver}: this attempt's outcome is not recorded`
  }
})()

// The store's file (SQLite).

/**
 * Whether what the store commits still goes where its next start reads it: healthy, or not with the reason.
 *
 * @since 0.4.0
 * @category file
 */
export type Health = file.Health

/**
 * @since 0.4.0
 * @category file
 */
export const healthy: Health = file.HEALTHY

/**
 * A file as `stat` names it (device and inode, as bigints).
 *
 * @since 0.4.0
 * @category file
 */
export type FileIdentity = file.FileIdentity

/**
 * `node:fs`'s `statSync`, as {@link watchFile} calls it.
 *
 * @since 0.4.0
 * @category file
 */
export type StatSync = file.StatSync

/**
 * One look at the store's file: its health, and `lost` on the one look that found it gone (to log it once).
 *
 * @since 0.4.0
 * @category file
 */
export type Look = file.Look

/**
 * @since 0.4.0
 * @category file
 */
export type FileWatch = file.FileWatch

/**
 * Watches a SQLite store's file, just opened: SQLite keeps its file open, so when the file at its path is deleted or
 * replaced (a restore, a volume mounted again) under the running process, every later write goes into a file
 * nobody will open again, with no error. `check` compares the file at the path with the one opened (one `stat`);
 * once lost it stays lost until the process restarts. Undefined when there is no file at the path to watch.
 *
 * @since 0.4.0
 * @category file
 */
export const watchFile: (path: string, statSync: StatSync) => FileWatch | undefined = file.watchFile

/**
 * {@link watchFile} with `node:fs`'s own `statSync`, imported when called (never by a literal name, so that the
 * engine loads on edge runtimes): what a store with a file calls once it has opened and migrated it.
 *
 * @since 0.4.0
 * @category file
 */
export const watch: (path: string) => Promise<FileWatch | undefined> = file.watch

/**
 * The callback functions of `node:fs` that {@link syncFile} uses.
 *
 * @since 0.4.0
 * @category file
 */
export type SyncFileSystem = file.SyncFileSystem

/**
 * @since 0.4.0
 * @category file
 */
export type FileSync = file.FileSync

/**
 * `fdatasync` of the file {@link Dialect.durability} names (SQLite's write-ahead log), off the event loop: the
 * durability barrier's one system call. The file is opened at the first sync, kept open until `close`, opened again
 * after a failed open or sync; `fs` (default: `node:fs`, imported then, never by a literal name) is called at the
 * first sync only.
 *
 * @since 0.4.0
 * @category file
 */
export const syncFile: (path: string, fs?: () => Promise<SyncFileSystem>) => FileSync = file.syncFile

/**
 * The message of a sync that failed.
 *
 * @since 0.4.0
 * @category file
 */
export const syncFailed: (path: string) => string = file.syncFailed

// Statements.

// The statements' shapes (their docs are with them).
export type {
  SqlRow,
  Query,
  Script,
  Bound,
  Migration,
  Claim,
  Settle,
  Enqueue,
  Take,
  Taken,
  Renew,
  Purge,
  At,
  Inspection,
  Batch
} from "./internal/inbox/statements.js"

/**
 * The kinds of write a group commit carries.
 *
 * @since 0.3.0
 * @category group commit
 */
export type WriteKind = "claim" | "settle" | "enqueue"

/**
 * How a batch of writes goes into {@link Batch}'s statements: per kind, the writes one multi-row statement takes
 * (the first write of each id, ordered by id), and the writes of an id already taken by its kind's statement, in
 * submission order, to write alone after the statements (one statement cannot change a row twice). Indices into
 * the batch.
 *
 * @since 0.3.0
 * @category group commit
 */
export interface BatchPlan {
  readonly claim: ReadonlyArray<number>
  readonly settle: ReadonlyArray<number>
  readonly enqueue: ReadonlyArray<number>
  readonly later: ReadonlyArray<number>
}

/**
 * What a group commit says when a batch failed as a whole and its writes are written again one at a time: correct,
 * but each write then costs a commit of its own, so a batch statement that always fails would otherwise hide as a slow
 * inbox (one did, on PostgreSQL, for a release). Said at most once every {@link batchFellBackIntervalMs}.
 *
 * @since 0.4.0
 * @category group commit
 */
export const batchFellBack = (size: number): string =>
  `inbox: a batch of ${size} writes failed as a whole; writing them one at a time (said at most once a minute)`

/**
 * How often, at most, {@link batchFellBack} is said: a minute, in milliseconds.
 *
 * @since 0.4.0
 * @category group commit
 */
export const batchFellBackIntervalMs: number = 60_000

/**
 * One group commit's warnings of its fallback: called with a fallen-back batch's size and the time (milliseconds), it
 * answers the line to log, or undefined within {@link batchFellBackIntervalMs} of the last one it answered.
 *
 * @since 0.4.0
 * @category group commit
 */
export const batchFellBackWarnings = (): (size: number, now: number) => string | undefined => {
  let saidAt: number | undefined
  return (size, now) => {
    if (saidAt !== undefined && now - saidAt < batchFellBackIntervalMs) return undefined
    saidAt = now
    return batchFellBack(size)
  }
}

/**
 * Plans a batch for {@link Batch}'s statements (PostgreSQL's group commit).
 *
 * @since 0.3.0
 * @category group commit
 */
export const planBatch: (writes: ReadonlyArray<{ readonly kind: WriteKind; readonly id: string }>) => BatchPlan =
  shared.planBatch

/**
 * Everything the inbox runs on one database.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Dialect {
  readonly name: "sqlite" | "pg"
  /** Every migration, in order. */
  readonly migrations: ReadonlyArray<Migration>
  /** The id of the last migration this version knows. */
  readonly latestMigration: number
  /**
   * PostgreSQL: the migrations table, to create (`IF NOT EXISTS`, retried: two instances starting together may
   * race on it) before migrating, so that the Migrator's `LOCK TABLE` serialises the instances that migrate.
   * SQLite: undefined. It has no LOCK TABLE: an instance starting beside another may find the migrations
   * "running" and return before they are done, so it waits until {@link migrated} reaches `latestMigration`.
   */
  readonly migrationsTable: string | undefined
  /** The last migration applied (0 for none). */
  readonly migrated: Query<void, number>
  /**
   * SQLite: the file to `fdatasync` before a delivery is answered, when commits do not sync it themselves (WAL
   * below `synchronous = FULL`), else undefined. PostgreSQL: undefined (every commit is durable when it returns).
   */
  readonly durability: Script<void, string | undefined> | undefined
  /** SQLite: its database file (undefined in memory), to tell when the path no longer leads to it. PostgreSQL: none. */
  readonly file: Script<void, string | undefined> | undefined
  readonly claim: Query<Claim, number | null>
  readonly settle: Query<Settle, boolean>
  readonly enqueue: Query<Enqueue, boolean>
  /**
   * How a group commit writes many at once. PostgreSQL: one multi-row statement per kind. SQLite: undefined, each
   * write's own statement, all in one transaction (a prepared statement runs in about 13 µs; its triggers write
   * the attempts).
   */
  readonly batch: Batch | undefined
  readonly renew: Query<Renew, boolean>
  readonly status: Query<string, Status | undefined>
  /** The rows taken, oldest due first. */
  readonly take: Query<Take, ReadonlyArray<Taken>>
  readonly purge: Script<Purge, number>
  /** Deletes a dead delivery and its attempts; how many (0 or 1). */
  readonly discard: Script<string, number>
  /** One page, newest first: one row more than `limit` is read to know whether a next page exists. */
  readonly list: (filter: ListFilter) => Bound<ListPage>
  /** A delivery without its attempts, with its body; undefined when unknown. */
  readonly get: Query<string, { readonly record: DeliveryRecord; readonly body: string | null } | undefined>
  /** A delivery's attempts, oldest first. */
  readonly history: Query<string, ReadonlyArray<Attempt>>
  /**
   * Makes a delivery pending and due now, unless a live claim or lease holds it or it has no body; whether it did.
   */
  readonly replay: Query<At, boolean>
  readonly inspect: Query<At, Inspection | undefined>
  /** Replays every failed or dead delivery received in the window, with a body; how many. */
  readonly recover: (filter: RecoverFilter, now: number) => Bound<number>
  /** Counts by status and event type, and the age of the oldest waiting delivery at `now`. */
  readonly stats: Script<number, Stats>
  readonly timeline: Query<TimelineRange, ReadonlyArray<TimelineBucket>>
}

/**
 * SQLite's statements (`?` placeholders).
 *
 * @since 0.3.0
 * @category dialects
 */
export const sqlite: Dialect = sqliteDialect

/**
 * PostgreSQL's statements (`$1` placeholders).
 *
 * @since 0.3.0
 * @category dialects
 */
export const pg: Dialect = pgDialect
