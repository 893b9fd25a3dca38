/**
 * Deduplicate deliveries by `webhook-id` and process them reliably, on any `@effect/sql` database
 * (SQLite for one instance, PostgreSQL for several).
 *
 * OpenAI may deliver an event more than once and retries any non-2xx answer with backoff for up to 72
 * hours. When a `WebhookInbox` is provided, the `WebhookHttp` handlers use it:
 *
 * - **inline** mode claims the id, runs the handler and marks the id done. A later copy answers 200
 *   without running the handler (`duplicate`); a copy arriving while the first is still running waits
 *   for its outcome. A failed handler releases the claim, so OpenAI's retry runs it again.
 * - **queued** mode stores the verified delivery, answers 200 at once (`queued`), and `layerWorker`
 *   processes it in the background, retrying on a `Schedule`; a delivery that exhausts it is kept as
 *   `dead` and logged with its body. Pending deliveries survive restarts, and several workers, in one
 *   process or many, never process one delivery at the same time.
 *
 * A claim or a worker's lease lasts `lease` (30 s), and a heartbeat renews it every `heartbeat` (10 s)
 * while the handler runs, so a handler may run for as long as it needs, and the deliveries of a process
 * that died (`kill -9`, a lost machine) are taken over by another within `lease` of its last renewal. A
 * holder whose lease was taken over all the same (it stalled, or its database did not answer, for
 * longer than the lease) finds out at its next renewal or when it settles: it logs `taken over`, lets
 * its handler run to its end, and records nothing (inline answers 500): the delivery is the new holder's.
 *
 * Handled deliveries are kept for `retention` (default 7 days: longer than OpenAI retries), then purged;
 * dead ones for `deadRetention` (default 30 days), unless discarded before.
 *
 * **The delivery log.** Every verified delivery is kept with its raw body (in both modes), and every
 * attempt of its handler with its outcome, error and duration: {@link list}, {@link get}, {@link stats}
 * and {@link timeline} read them; {@link replay} and {@link recover} make deliveries pending again for
 * `layerWorker` to process, and {@link discard} removes a dead letter. In inline mode nothing else makes
 * a delivery pending, so an inline inbox that wants replays runs `layerWorker` too: it processes exactly
 * the replayed and recovered deliveries (and takes over, after `lease`, one whose process died running it).
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Layer } from "effect"
 * import { WebhookInbox } from "effect-openai-webhooks"
 *
 * const InboxLive = WebhookInbox.layerSql({ mode: "inline" }).pipe(
 *   Layer.provide(SqliteClient.layer({ filename: ".data/openai-webhooks.sqlite" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type { MigrationError } from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { IllegalArgumentException } from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as log from "./internal/inbox/log.js"
import * as protocol from "./internal/inbox/protocol.js"
import * as internal from "./internal/inbox/store.js"
import type { Delivery } from "./Webhooks.js"
import type { UnwrapWebhookEvent } from "./WebhookEvent.js"

/**
 * `inline`: run the handler while OpenAI waits for the answer. `queued`: store, answer, run later.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = internal.Mode

/**
 * The inbox: an opaque store keyed on `webhook-id`.
 *
 * @since 0.1.0
 * @category models
 */
export type Store = internal.Store

/**
 * The service the HTTP handlers look for; without it they run the handler for every copy.
 *
 * @since 0.1.0
 * @category tags
 */
export const WebhookInbox: typeof internal.WebhookInbox = internal.WebhookInbox

/**
 * @since 0.1.0
 * @category tags
 */
export type WebhookInbox = internal.WebhookInbox

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default: `"inline"`. */
  readonly mode?: Mode | undefined
  /**
   * How long a claim (inline) or a worker's lease (queued) holds unless its holder renews it: after a crash,
   * another process takes the delivery over within this long. The holder renews it every `heartbeat` while
   * the handler runs, so a handler may run far longer than the lease. Default: 30 seconds.
   */
  readonly lease?: Duration.DurationInput | undefined
  /**
   * How often a holder renews its claim or lease while the handler runs (one `UPDATE`, which only succeeds
   * while the holder still holds the delivery). Must be shorter than `lease`; a third of it lets one renewal
   * fail (a database hiccup, a stalled process) without losing the lease. Default: a third of `lease`
   * (10 seconds with the default lease).
   */
  readonly heartbeat?: Duration.DurationInput | undefined
  /**
   * How long handled (`done`) and `failed` deliveries are remembered after their last change, with their
   * attempts. Default: 7 days (OpenAI retries for up to 72 hours).
   */
  readonly retention?: Duration.DurationInput | undefined
  /**
   * How long `dead` deliveries (dead letters) are kept after they died, with their attempts, unless
   * discarded before. Default: 30 days.
   *
   * @since 0.2.0
   */
  readonly deadRetention?: Duration.DurationInput | undefined
  /** How often expired records are purged. Default: every hour. */
  readonly purgeInterval?: Duration.DurationInput | undefined
}

/** Short, so that a crashed process's deliveries are taken over within seconds: the heartbeat keeps live ones. */
const DEFAULT_LEASE = Duration.seconds(30)

/** A third of the lease, in whole milliseconds (the store writes times as integers). */
const defaultHeartbeat = (lease: Duration.Duration): Duration.Duration =>
  Duration.millis(Math.max(1, Math.floor(Duration.toMillis(lease) / 3)))

/**
 * The inbox on the `SqlClient` you provide (`@effect/sql-sqlite-node`, `@effect/sql-pg`, ...). Creates
 * its table with migrations when built (idempotent), purges expired records periodically, and renews the
 * claims and leases of running handlers every `heartbeat`. Fails with `IllegalArgumentException` when
 * `heartbeat` is not shorter than `lease`, or `lease` is not positive.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSql = (
  options: Options = {}
): Layer.Layer<WebhookInbox, SqlError | MigrationError | IllegalArgumentException, SqlClient.SqlClient> => {
  const lease = Duration.decode(options.lease ?? DEFAULT_LEASE)
  return internal.layer({
    mode: options.mode ?? "inline",
    lease,
    heartbeat: options.heartbeat === undefined ? defaultHeartbeat(lease) : Duration.decode(options.heartbeat),
    retention: Duration.decode(options.retention ?? "7 days"),
    deadRetention: Duration.decode(options.deadRetention ?? "30 days"),
    purgeInterval: options.purgeInterval ?? "1 hour"
  })
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WorkerOptions<E, R> {
  /** The same handler as the HTTP one. */
  readonly handle: (event: UnwrapWebhookEvent, delivery: Delivery) => Effect.Effect<void, E, R>
  /** Deliveries processed at once by this process. Default: 4. */
  readonly concurrency?: number | undefined
  /**
   * When to try a failed delivery again, by attempt. When it ends, the delivery is dead.
   * Default: exponential from 1 second, doubling, 8 attempts in all.
   */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  /** How often an idle worker looks for due deliveries. Default: 250 millis. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** How long the handler may run before it is interrupted and the attempt counted as failed. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The default retry schedule of queued deliveries: 1 s, 2 s, 4 s, ... 8 attempts in all.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(7))
)

/**
 * Background processing of pending deliveries: up to `concurrency` handlers run at once, each on a due
 * delivery under a lease (so no two workers anywhere process one delivery at a time), and mark them done,
 * retry them later on the schedule, or keep them as dead. The free slots are filled by one statement that
 * takes as many due deliveries as there are slots, oldest due first; when a take fills every slot, the next
 * one comes as soon as a handler ends, else after `pollInterval`. Every attempt logs one line:
 * `processed`, `failed` (with the next attempt) or `dead` (with the body), and is recorded in the log.
 *
 * In queued mode it processes every delivery. In inline mode, run it too if you want {@link replay} and
 * {@link recover}: it then processes exactly the replayed and recovered deliveries (a small `concurrency`,
 * 1 or 2, is plenty), and takes over after `lease` one whose process died while running it. A replayed
 * delivery that fails follows the schedule from its attempt count: one that had exhausted it is dead again.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWorker = <E, R>(options: WorkerOptions<E, R>): Layer.Layer<never, never, WebhookInbox | R> =>
  Layer.scopedDiscard(protocol.worker({
    handle: options.handle,
    concurrency: options.concurrency ?? 4,
    schedule: options.schedule ?? defaultSchedule,
    pollInterval: options.pollInterval ?? "250 millis",
    timeout: options.timeout === undefined ? undefined : Duration.decode(options.timeout)
  }))

// The delivery log.

/**
 * Where a delivery is: `processing` (a handler runs it), `done`, `failed` (inline: the handler failed,
 * waiting for OpenAI's retry), `pending` (waiting for a worker), `dead` (kept until discarded).
 *
 * @since 0.2.0
 * @category models
 */
export type Status = log.Status

/**
 * How an attempt ended: `processed`, `failed`, `timed_out` (ran past its timeout and was interrupted),
 * `interrupted` (a shutdown).
 *
 * @since 0.2.0
 * @category models
 */
export type AttemptOutcome = log.AttemptOutcome

/**
 * A delivery as {@link list} shows it: `webhookId`, `eventType`, `timestamp` (the signed one), `receivedAt`,
 * `updatedAt`, `status`, `attempts`, `lastError` (text), `nextAttemptAt` (pending only). Times are `Date`s.
 *
 * @since 0.2.0
 * @category models
 */
export type DeliveryRecord = log.DeliveryRecord

/**
 * One attempt: `attempt` (1, 2, ...), `startedAt`, `endedAt`, `outcome`, `error` (`Cause.pretty` text),
 * `durationMs` (milliseconds). `endedAt`, `outcome` and `durationMs` are null while it runs, and stay null
 * when its process died during it.
 *
 * @since 0.2.0
 * @category models
 */
export type Attempt = log.Attempt

/**
 * A delivery with its raw `body` (UTF-8 text; null for one stored before bodies were kept in inline mode)
 * and its `history` of attempts, oldest first.
 *
 * @since 0.2.0
 * @category models
 */
export type DeliveryDetail = log.DeliveryDetail

/**
 * What {@link list} selects: `status` (one or several), `eventType` (exact, or a family prefix ending in
 * `.` such as `"batch."`), `since` (received at or after) / `until` (received before), `limit` (1 to 500,
 * default 50), `after` (the previous page's `next`).
 *
 * @since 0.2.0
 * @category models
 */
export type ListQuery = log.ListQuery

/**
 * A page of deliveries, newest first, and `next`: the cursor of the next page, null on the last.
 *
 * @since 0.2.0
 * @category models
 */
export type ListPage = log.ListPage

/**
 * Counts: `byStatus` (every status, 0 included), `byEventType` (per event type and status),
 * `oldestPendingAgeMs` (how long the oldest `pending` or `failed` delivery has waited since it was received,
 * in milliseconds; null when none).
 *
 * @since 0.2.0
 * @category models
 */
export type Stats = log.Stats

/**
 * What {@link recover} replays: deliveries received in [`since`, `until`) (`until` defaults to now) that
 * are `failed` (a failed attempt, waiting for a retry), `dead`, or both (the default).
 *
 * @since 0.2.0
 * @category models
 */
export type RecoverQuery = log.RecoverQuery

/**
 * Deliveries received in one bucket that starts at `start`, counted by their status now.
 *
 * @since 0.2.0
 * @category models
 */
export type TimelineBucket = log.TimelineBucket

/**
 * An operation of the log that cannot be done as asked; `reason` says why: `NotFound`, `NotDead`
 * (discard of a delivery that is not dead), `InProgress` (replay of a delivery a handler runs right now),
 * `NoBody` (replay of a delivery stored without its body), `InvalidQuery` (a limit out of 1 to 500, a
 * cursor this inbox did not make, `since` after `until`, an unknown status, too many timeline buckets).
 * `webhookId` names the delivery when there is one.
 *
 * @since 0.2.0
 * @category errors
 */
export const InboxError: typeof log.InboxError = log.InboxError

/**
 * @since 0.2.0
 * @category errors
 */
export type InboxError = log.InboxError

/**
 * One page of the deliveries the inbox keeps, newest first (by received time, then `webhook-id`), with
 * the cursor of the next page. Fails with `InboxError` `InvalidQuery` for a `limit` out of 1 to 500, a
 * cursor this inbox did not make, or `since` after `until`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookInbox } from "effect-openai-webhooks"
 *
 * // Every failed or dead batch delivery of the last day, 100 at a time.
 * export const failedBatches = Effect.gen(function*() {
 *   const since = new Date(Date.now() - 24 * 60 * 60 * 1000)
 *   const query: WebhookInbox.ListQuery = { status: ["failed", "dead"], eventType: "batch.", since, limit: 100 }
 *   let page = yield* WebhookInbox.list(query)
 *   const all = [...page.deliveries]
 *   while (page.next !== null) {
 *     page = yield* WebhookInbox.list({ ...query, after: page.next })
 *     all.push(...page.deliveries)
 *   }
 *   return all.map((delivery) => `${delivery.webhookId} ${delivery.status}: ${delivery.lastError ?? ""}`)
 * })
 * ```
 *
 * @since 0.2.0
 * @category log
 */
export const list = (query?: ListQuery): Effect.Effect<ListPage, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.list(query))

/**
 * A delivery by its `webhook-id`, with its raw body and its attempts (oldest first); `Option.none()` when
 * the inbox has no such delivery (never received, or purged).
 *
 * @since 0.2.0
 * @category log
 */
export const get = (webhookId: string): Effect.Effect<Option.Option<DeliveryDetail>, SqlError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.get(webhookId))

/**
 * Processes a delivery again, whatever its status (a `done` one too): makes it `pending` and due now, for
 * `layerWorker` to take within its `pollInterval` (run one in inline mode too). Its attempt count goes on
 * counting. Fails with `InboxError`: `NotFound`; `InProgress` while a handler runs it (a live claim or
 * lease); `NoBody` for a delivery stored without its body.
 *
 * @since 0.2.0
 * @category log
 */
export const replay = (webhookId: string): Effect.Effect<void, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.replay(webhookId))

/**
 * Replays, in one statement, every delivery received in [`since`, `until`) that is `failed` (inline: given
 * back for OpenAI's retry; queued: `pending` after a failed attempt, made due now) or `dead`, as `status`
 * says (both by default), and has its body. Returns how many. Fails with `InboxError` `InvalidQuery` when
 * `since` is after `until`.
 *
 * @since 0.2.0
 * @category log
 */
export const recover = (query: RecoverQuery): Effect.Effect<number, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.recover(query))

/**
 * Removes a dead letter and its attempts. Fails with `InboxError`: `NotFound`; `NotDead` for a delivery that
 * is not `dead` (replay it, or let the retention purge it).
 *
 * @since 0.2.0
 * @category log
 */
export const discard = (webhookId: string): Effect.Effect<void, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.discard(webhookId))

/**
 * Counts by status and by event type, and the age of the oldest waiting delivery: two grouped queries,
 * cheap enough for every scrape.
 *
 * @since 0.2.0
 * @category log
 */
export const stats: Effect.Effect<Stats, SqlError, WebhookInbox> = Effect.flatMap(WebhookInbox, (store) => store.stats)

/**
 * Deliveries received per `bucket` (default 1 minute) since `since` (default an hour ago), by their status
 * now: every bucket from the one holding `since` to the one holding now, empty ones included, each starting
 * at a multiple of `bucket` since the epoch. Fails with `InboxError` `InvalidQuery` for a bucket under a
 * millisecond, a `since` in the future, or more than 10,080 buckets.
 *
 * @since 0.2.0
 * @category log
 */
export const timeline = (
  options?: { readonly since?: Date | undefined; readonly bucket?: Duration.DurationInput | undefined }
): Effect.Effect<ReadonlyArray<TimelineBucket>, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.timeline(options))
