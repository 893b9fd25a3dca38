/**
 * Deduplicate deliveries by `webhook-id` and process them reliably, on any `effect/sql` database
 * (SQLite for one instance, PostgreSQL for several).
 *
 * OpenAI may deliver an event more than once and retries any non-2xx answer with backoff for up to 72
 * hours. A `WebhookHttp` route that says `inbox` requires a `WebhookInbox` in its type, and uses it:
 *
 * - **inline** (`inbox: "inline"`, and `mode: "inline"` here) claims the id, runs the handler and marks the id
 *   done. A later copy answers 200 without running the handler (`duplicate`); a copy arriving while the first is
 *   still running waits for its outcome. A failed handler releases the claim, so OpenAI's retry runs it again.
 * - **queued** (`inbox: "queued"`, a route without a handler, and `mode: "queued"` here) stores the verified
 *   delivery, answers 200 at once (`queued`), and `layerWorker` processes it in the background, retrying on a
 *   `Schedule`; a delivery that exhausts it is kept as `dead` and logged with its body. Pending deliveries
 *   survive restarts, and several workers, in one process or many, never process one delivery at the same time.
 *
 * A route of the other mode than the inbox's fails to start; a route that does not say `inbox` uses the inbox
 * its context holds when it starts, if any, and otherwise says once that deliveries are not deduplicated.
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
 * import { Effect, Layer } from "effect"
 * import { WebhookHttp, WebhookInbox } from "effect4-openai-webhooks"
 *
 * const InboxLive = WebhookInbox.layerSql({ mode: "inline" }).pipe(
 *   Layer.provide(SqliteClient.layer({ filename: ".data/openai-webhooks.sqlite" }))
 * )
 * // The route says so, and then requires the WebhookInbox: give it InboxLive, not only the workers.
 * const WebhookRoute = WebhookHttp.layerRoute({ handle: (event) => Effect.log(event._tag), inbox: "inline" }).pipe(
 *   Layer.provide(InboxLive)
 * )
 * ```
 *
 * @since 0.4.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { MigrationError } from "effect/sql/Migrator"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"
import type * as log from "./internal/inbox/log.js"
import * as protocol from "./internal/inbox/protocol.js"
import * as sqlStore from "./internal/inbox/sqlStore.js"
import * as internal from "./internal/inbox/store.js"
import * as Checks from "./internal/options.js"
import * as WebhookError from "./WebhookError.js"
import type { Handler } from "./Webhooks.js"

/**
 * `inline`: run the handler while OpenAI waits for the answer. `queued`: store, answer, run later.
 *
 * @since 0.4.0
 * @category models
 */
export type Mode = internal.Mode

/**
 * The inbox: an opaque store keyed on `webhook-id`.
 *
 * @since 0.4.0
 * @category models
 */
export type Store = internal.Store

/**
 * The inbox as a service: what a `WebhookHttp` route that says `inbox` requires (and one that does not say
 * uses, if its context holds one when it starts), what `layerWorker` and the log's operations run on.
 *
 * @since 0.4.0
 * @category tags
 */
export const WebhookInbox: typeof internal.WebhookInbox = internal.WebhookInbox

/**
 * @since 0.4.0
 * @category tags
 */
export type WebhookInbox = internal.WebhookInbox

/**
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /**
   * Default: `"inline"`. The routes on this inbox must say the same (`WebhookHttp` `inbox: "inline"` or
   * `"queued"`): one that says the other fails to start with an `IllegalArgumentError` (`Conflict`).
   */
  readonly mode?: Mode | undefined
  /**
   * How long a claim (inline) or a worker's lease (queued) holds unless its holder renews it: after a crash,
   * another process takes the delivery over within this long. The holder renews it every `heartbeat` while
   * the handler runs, so a handler may run far longer than the lease. Default: 30 seconds.
   */
  readonly lease?: Duration.Input | undefined
  /**
   * How often a holder renews its claim or lease while the handler runs (one `UPDATE`, which only succeeds
   * while the holder still holds the delivery). Must be shorter than `lease`; a third of it lets one renewal
   * fail (a database hiccup, a stalled process) without losing the lease. Default: a third of `lease`
   * (10 seconds with the default lease).
   */
  readonly heartbeat?: Duration.Input | undefined
  /**
   * How long handled (`done`) and `failed` deliveries are remembered after their last change, with their
   * attempts. Default: 7 days (OpenAI retries for up to 72 hours).
   */
  readonly retention?: Duration.Input | undefined
  /**
   * How long `dead` deliveries (dead letters) are kept after they died, with their attempts, unless
   * discarded before. Default: 30 days.
   *
   * @since 0.4.0
   */
  readonly deadRetention?: Duration.Input | undefined
  /** How often expired records are purged. Default: every hour. */
  readonly purgeInterval?: Duration.Input | undefined
  /**
   * Where the inbox's claims, settles and enqueues are written (grouped, many deliveries to a commit, either way):
   *
   * - `"connection"` (default): on the `SqlClient` you provide, in its transactions, seen by its spans; on SQLite the
   *   statements and the `fdatasync` before a 200 cost the event loop (about 45 µs a delivery, measured).
   * - `"thread"`: for a SQLite file, on a writer thread with a connection of its own (the engine's `InboxWriter`,
   *   `node:sqlite`), which writes each batch in one transaction and syncs the log before it answers; the event loop
   *   only sends the writes and awaits the answer. The guarantee is the same: no 200 before what it wrote is on
   *   disk. The price: a thread and a second connection to the file, and these writes bypass your client (its spans,
   *   its `withTransaction`, its statement log). The reads, the log's operations, renewals and the workers' takes
   *   stay on your client. PostgreSQL and SQLite in memory ignore it (no file a second connection could share).
   *   Only with a client on `node:sqlite` (`@effect/sql-sqlite-node`): a client on another build of SQLite in the
   *   same process (better-sqlite3, libSQL) would not see the thread's locks on the file (SQLite's "How To Corrupt
   *   An SQLite Database File", 2.2.1: POSIX locks are per process, tracked by each copy of the library).
   *   This is what the `npm start` receiver runs on a SQLite file.
   *
   * @since 0.4.0
   */
  readonly writer?: "connection" | "thread" | undefined
}

/** Short, so that a crashed process's deliveries are taken over within seconds: the heartbeat keeps live ones. */
const DEFAULT_LEASE = Duration.millis(InboxSql.defaultLeaseMs)

/** A third of the lease, in whole milliseconds (the store writes times as integers). */
const defaultHeartbeat = (lease: Duration.Duration): Duration.Duration =>
  Duration.millis(InboxSql.defaultHeartbeatMs(Duration.toMillis(lease)))

/**
 * The options checked, with their defaults: every problem is an `IllegalArgumentError` naming the option.
 * A heartbeat as long as the lease would let the lease expire between two renewals, and a live holder be
 * taken over.
 */
const resolve = (options: Options): Result.Result<internal.LayerOptions, WebhookError.IllegalArgumentError> =>
  Result.gen(function*() {
    const mode = options.mode ?? "inline"
    if (mode !== "inline" && mode !== "queued") {
      return yield* Result.fail(
        Checks.illegal("WebhookInbox", "mode", "Malformed", `Expected "inline" or "queued"; got ${String(mode)}`)
      )
    }
    const lease = yield* Checks.duration("WebhookInbox", "lease", options.lease ?? DEFAULT_LEASE, true)
    if (!Duration.isFinite(lease)) {
      return yield* Result.fail(
        Checks.illegal("WebhookInbox", "lease", "OutOfRange", "Expected a finite duration; got Infinity")
      )
    }
    const heartbeat = options.heartbeat === undefined
      ? defaultHeartbeat(lease)
      : yield* Checks.duration("WebhookInbox", "heartbeat", options.heartbeat, true)
    if (!Duration.isLessThan(heartbeat, lease)) {
      return yield* Result.fail(Checks.illegal(
        "WebhookInbox",
        "heartbeat",
        "Conflict",
        `Expected a duration shorter than the lease (${Duration.format(lease)}), which it renews; got ` +
          Duration.format(heartbeat)
      ))
    }
    return {
      mode,
      lease,
      heartbeat,
      retention: yield* Checks.duration("WebhookInbox", "retention", options.retention ?? "7 days", true),
      deadRetention: yield* Checks.duration(
        "WebhookInbox",
        "deadRetention",
        options.deadRetention ?? "30 days",
        true
      ),
      purgeInterval: yield* Checks.duration("WebhookInbox", "purgeInterval", options.purgeInterval ?? "1 hour", true),
      writer: yield* writerOf(options.writer)
    }
  })

const writerOf = (
  writer: Options["writer"]
): Result.Result<"connection" | "thread", WebhookError.IllegalArgumentError> =>
  writer === undefined || writer === "connection" || writer === "thread"
    ? Result.succeed(writer ?? "connection")
    : Result.fail(
      Checks.illegal("WebhookInbox", "writer", "Malformed", `Expected "connection" or "thread"; got ${String(writer)}`)
    )

/**
 * The inbox on the `SqlClient` you provide (`@effect/sql-sqlite-node` on `node:sqlite`, `@effect/sql-pg`, ...).
 * Creates its table with migrations when built (idempotent), purges expired records periodically, and renews the
 * claims and leases of running handlers every `heartbeat`. Fails with an `IllegalArgumentError` naming
 * the option for one it cannot use: a duration Effect cannot read or of zero, a `lease` that is not finite,
 * a `heartbeat` not shorter than the `lease`.
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect, Layer } from "effect"
 * import { WebhookInbox } from "effect4-openai-webhooks"
 *
 * const InboxLive = WebhookInbox.layerSql({ mode: "queued", lease: "1 minute" }).pipe(
 *   Layer.provide(SqliteClient.layer({ filename: "webhooks.sqlite" }))
 * )
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layerSql = (
  options: Options = {}
): Layer.Layer<
  WebhookInbox,
  SqlError | MigrationError | WebhookError.IllegalArgumentError,
  SqlClient.SqlClient
> => {
  const resolved = resolve(options)
  return Result.isFailure(resolved)
    ? Layer.effect(WebhookInbox, Effect.fail(resolved.failure))
    : sqlStore.layer(resolved.success)
}

/**
 * The inbox itself, in the current `Scope` (which its purge job and heartbeat live in): {@link layerSql} without
 * the layer, for a service of your own built on it. The same migrations and the same failures.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookInbox } from "effect4-openai-webhooks"
 *
 * // A program that needs the store in hand (a SqlClient and a Scope provided around it).
 * const program = Effect.gen(function*() {
 *   const inbox = yield* WebhookInbox.make({ mode: "queued" })
 *   return yield* WebhookInbox.stats.pipe(Effect.provideService(WebhookInbox.WebhookInbox, inbox))
 * })
 * ```
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  Store,
  SqlError | MigrationError | WebhookError.IllegalArgumentError,
  SqlClient.SqlClient | Scope.Scope
> => Effect.map(Layer.build(layerSql(options)), Context.get(WebhookInbox))

/**
 * The inbox's settings from the environment, as the `npm start` receiver reads them (README, Configuration):
 *
 * - `WEBHOOK_MODE`: `inline` (default) or `queued`;
 * - `WEBHOOK_LEASE`: a duration of at least 1 second (default `30 seconds`); the heartbeat is a third of it.
 *
 * A value it cannot use is a `ConfigError` naming the variable and what it accepts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookInbox } from "effect4-openai-webhooks"
 *
 * // Say at start which mode the environment chose.
 * const announce = Effect.flatMap(WebhookInbox.config, ({ mode }) => Effect.log(`inbox: ${mode} mode`))
 * ```
 *
 * @since 0.4.0
 * @category config
 */
export const config: Config.Config<{ readonly mode: Mode; readonly lease: Duration.Duration }> = Config.all({
  mode: Config.Literals(["inline", "queued"], "WEBHOOK_MODE").pipe(Config.withDefault("inline" as const)),
  // A lease under a second is a typo more often than a choice: renewed every third of it, it would cost a
  // write every few hundred milliseconds per running handler.
  lease: Config.schema(
    Schema.DurationFromString.check(
      Schema.makeFilter((lease) =>
        Duration.isGreaterThanOrEqualTo(lease, Duration.seconds(1)) ? undefined : "Expected at least 1 second"
      )
    ),
    "WEBHOOK_LEASE"
  ).pipe(Config.withDefault(DEFAULT_LEASE))
})

/**
 * {@link layerSql} with its options from `Config`: by default {@link config} (`WEBHOOK_MODE`, `WEBHOOK_LEASE`);
 * pass a `Config` of {@link Options}, or an object of one `Config` per option, to read others. Fails with the
 * `ConfigError` that names the variable, or as `layerSql` does.
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Config, Duration, Layer } from "effect"
 * import { WebhookInbox } from "effect4-openai-webhooks"
 *
 * const Sqlite = SqliteClient.layer({ filename: "webhooks.sqlite" })
 * // WEBHOOK_MODE and WEBHOOK_LEASE, as `npm start` reads them.
 * export const InboxLive = WebhookInbox.layerConfig().pipe(Layer.provide(Sqlite))
 * // The same, keeping handled deliveries for 14 days.
 * export const Longer = WebhookInbox.layerConfig(
 *   Config.map(WebhookInbox.config, (settings) => ({ ...settings, retention: Duration.days(14) }))
 * ).pipe(Layer.provide(Sqlite))
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Wrap<Options> = config
): Layer.Layer<
  WebhookInbox,
  Config.ConfigError | SqlError | MigrationError | WebhookError.IllegalArgumentError,
  SqlClient.SqlClient
> => Layer.unwrap(Effect.map(Config.unwrap(options), layerSql))

/**
 * @since 0.4.0
 * @category models
 */
export interface WorkerOptions<E, R> {
  /** The same handler as the HTTP one (an inline route's), or the one a queued route leaves to the workers. */
  readonly handle: Handler<E, R>
  /** Deliveries processed at once by this process. Default: 4. */
  readonly concurrency?: number | undefined
  /**
   * When to try a failed delivery again, by attempt: each failed attempt is one input, and the delay the
   * schedule gives is the wait before the next. When it ends, the delivery is dead: `Schedule.recurs(n)` allows
   * n retries, so n + 1 attempts in all (as `Effect.retry` with it would run an effect).
   * Default: {@link defaultSchedule}, exponential from 1 second, doubling, 8 attempts in all.
   */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  /** How often an idle worker looks for due deliveries. Default: 250 millis. */
  readonly pollInterval?: Duration.Input | undefined
  /**
   * How long the handler may run before it is interrupted and the attempt counted as failed (`timed_out`), and
   * retried on the schedule. Default: {@link defaultTimeout} (10 seconds), so that a hung handler cannot hold its
   * slot forever; `Duration.infinity` for no limit.
   */
  readonly timeout?: Duration.Input | undefined
}

/**
 * The default `timeout` of `layerWorker`'s handler: 10 seconds, the receiver's `WEBHOOK_TIMEOUT` default, which
 * bounds an inline handler's run there, and how long an inline copy waits on another copy's claim without one.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = protocol.DEFAULT_WAIT

/**
 * The default retry schedule of queued deliveries: 1 s, 2 s, 4 s, ... 64 s: 8 attempts in all (the first,
 * and the 7 retries `Schedule.recurs(7)` allows).
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultSchedule: Schedule.Schedule<unknown, unknown> = Schedule.max([
  Schedule.exponential("1 second"),
  Schedule.recurs(7)
])

/**
 * Background processing of pending deliveries: up to `concurrency` handlers run at once, each on a due
 * delivery under a lease (so no two workers anywhere process one delivery at a time), and mark them done,
 * retry them later on the schedule, or keep them as dead. The free slots are filled by one statement that
 * takes as many due deliveries as there are slots, oldest due first; when a take fills every slot, the next
 * one comes as soon as a handler ends, else after `pollInterval`. A handler that runs past `timeout` (default
 * {@link defaultTimeout}, 10 seconds) is interrupted, its attempt recorded `timed_out` and retried on the
 * schedule: a hung handler frees its slot. Every attempt logs one line:
 * `processed`, `failed` (with the next attempt) or `dead` (with the body), and is recorded in the log.
 *
 * In queued mode it processes every delivery. In inline mode, run it too if you want {@link replay} and
 * {@link recover}: it then processes exactly the replayed and recovered deliveries (a small `concurrency`,
 * 1 or 2, is plenty), and takes over after `lease` one whose process died while running it. A replayed
 * delivery that fails follows the schedule from its attempt count: one that had exhausted it is dead again.
 *
 * Fails with an `IllegalArgumentError` naming the option for a `concurrency` that is not a whole number of
 * at least 1, or a `pollInterval` or `timeout` Effect cannot read or of zero.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { WebhookHttp, WebhookInbox } from "effect4-openai-webhooks"
 *
 * const handle = (event: { readonly _tag: string }) => Effect.log(`handling ${event._tag}`)
 * // Queued: the route stores, the workers handle; both on the same inbox.
 * const WebhookRoute = WebhookHttp.layerRoute({ inbox: "queued" })
 * const WorkersLive = WebhookInbox.layerWorker({ handle, concurrency: 4, timeout: "30 seconds" })
 * const both = Layer.merge(WebhookRoute, WorkersLive) // requires WebhookInbox.layerSql({ mode: "queued" })
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layerWorker = <E, R>(
  options: WorkerOptions<E, R>
): Layer.Layer<never, WebhookError.IllegalArgumentError, WebhookInbox | R> => {
  const settings = Result.gen(function*() {
    const concurrency = yield* Checks.whole("WebhookInbox", "concurrency", options.concurrency ?? 4, 1, "deliveries")
    const poll = options.pollInterval ?? "250 millis"
    const pollInterval = yield* Checks.duration("WebhookInbox", "pollInterval", poll, true)
    const timeout = yield* Checks.duration("WebhookInbox", "timeout", options.timeout ?? defaultTimeout, true)
    return {
      handle: options.handle,
      concurrency,
      schedule: options.schedule ?? defaultSchedule,
      pollInterval,
      // No timer for an endless one (a timer of Infinity would fire at once).
      timeout: Duration.isFinite(timeout) ? timeout : undefined
    }
  })
  return Result.isFailure(settings)
    ? Layer.effectDiscard(Effect.fail(settings.failure))
    : Layer.effectDiscard(protocol.worker(settings.success))
}

// The delivery log.

/**
 * Where a delivery is: `processing` (a handler runs it), `done`, `failed` (inline: the handler failed,
 * waiting for OpenAI's retry), `pending` (waiting for a worker), `dead` (kept until discarded).
 *
 * @since 0.4.0
 * @category models
 */
export type Status = log.Status

/**
 * How an attempt ended: `processed`, `failed`, `timed_out` (ran past its timeout and was interrupted),
 * `interrupted` (a shutdown).
 *
 * @since 0.4.0
 * @category models
 */
export type AttemptOutcome = log.AttemptOutcome

/**
 * A delivery as {@link list} shows it: `webhookId`, `eventType`, `timestamp` (the signed one), `receivedAt`,
 * `updatedAt`, `status`, `attempts`, `lastError` (text), `nextAttemptAt` (pending only). Times are `Date`s.
 *
 * @since 0.4.0
 * @category models
 */
export type DeliveryRecord = log.DeliveryRecord

/**
 * One attempt: `attempt` (1, 2, ...), `startedAt`, `endedAt`, `outcome`, `error` (`Cause.pretty` text),
 * `durationMs` (milliseconds). `endedAt`, `outcome` and `durationMs` are null while it runs, and stay null
 * when its process died during it.
 *
 * @since 0.4.0
 * @category models
 */
export type Attempt = log.Attempt

/**
 * A delivery with its raw `body` (UTF-8 text; null for one stored before bodies were kept in inline mode)
 * and its `history` of attempts, oldest first.
 *
 * @since 0.4.0
 * @category models
 */
export type DeliveryDetail = log.DeliveryDetail

/**
 * What {@link list} selects: `status` (one or several), `eventType` (exact, or a family: a prefix ending in
 * `.` such as `"batch."`, or a name without a dot, `"batch"`, read as `"batch."`), `since` (received at or
 * after) / `until` (received before), `limit` (1 to 500, default 50), `after` (the previous page's `next`).
 *
 * @since 0.4.0
 * @category models
 */
export type ListQuery = log.ListQuery

/**
 * A page of deliveries, newest first, and `next`: the cursor of the next page, null on the last.
 *
 * @since 0.4.0
 * @category models
 */
export type ListPage = log.ListPage

/**
 * Counts: `byStatus` (every status, 0 included), `byEventType` (per event type and status),
 * `oldestPendingAgeMs` (how long the oldest `pending` or `failed` delivery has waited since it was received,
 * in milliseconds; null when none).
 *
 * @since 0.4.0
 * @category models
 */
export type Stats = log.Stats

/**
 * What {@link recover} replays: deliveries received in [`since`, `until`) (`until` defaults to now) that
 * are `failed` (a failed attempt, waiting for a retry), `dead`, or both (the default).
 *
 * @since 0.4.0
 * @category models
 */
export type RecoverQuery = log.RecoverQuery

/**
 * Deliveries received in one bucket that starts at `start`, counted by their status now.
 *
 * @since 0.4.0
 * @category models
 */
export type TimelineBucket = log.TimelineBucket

/**
 * @deprecated Use `WebhookError.InboxError` (the errors' home); this alias goes in the next release.
 * @since 0.4.0
 * @category errors
 */
export const InboxError: typeof WebhookError.InboxError = WebhookError.InboxError

/**
 * @deprecated Use `WebhookError.InboxError` (the errors' home); this alias goes in the next release.
 * @since 0.4.0
 * @category errors
 */
export type InboxError = WebhookError.InboxError

/**
 * One page of the deliveries the inbox keeps, newest first (by received time, then `webhook-id`), with
 * the cursor of the next page. Fails with `InboxError` `InvalidQuery` for a `limit` out of 1 to 500, a
 * cursor this inbox did not make, or `since` after `until`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookInbox } from "effect4-openai-webhooks"
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
 * @since 0.4.0
 * @category log
 */
export const list = (query?: ListQuery): Effect.Effect<ListPage, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.list(query))

/**
 * A delivery by its `webhook-id`, with its raw body and its attempts (oldest first); `Option.none()` when
 * the inbox has no such delivery (never received, or purged).
 *
 * @since 0.4.0
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
 * @since 0.4.0
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
 * @since 0.4.0
 * @category log
 */
export const recover = (query: RecoverQuery): Effect.Effect<number, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.recover(query))

/**
 * Removes a dead letter and its attempts. Fails with `InboxError`: `NotFound`; `NotDead` for a delivery that
 * is not `dead` (replay it, or let the retention purge it).
 *
 * @since 0.4.0
 * @category log
 */
export const discard = (webhookId: string): Effect.Effect<void, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.discard(webhookId))

/**
 * Counts by status and by event type, and the age of the oldest waiting delivery: two grouped queries,
 * cheap enough for every scrape.
 *
 * @since 0.4.0
 * @category log
 */
export const stats: Effect.Effect<Stats, SqlError, WebhookInbox> = Effect.flatMap(WebhookInbox, (store) => store.stats)

/**
 * `{ healthy: true }`, or `{ healthy: false, reason }`: whether the inbox keeps what it answers 200 for.
 *
 * @since 0.4.0
 * @category models
 */
export type Health = { readonly healthy: true } | { readonly healthy: false; readonly reason: string }

/**
 * Whether what the inbox commits still goes where its next start will read it. A SQLite inbox keeps its file open:
 * when the file is deleted or replaced under the running process, it is unhealthy from then on, with the reason
 * (logged once at error level), every write fails and deliveries are answered 500, so that OpenAI retries them, until
 * the process restarts. Looks at the file now (one `stat`); the store also looks after every group commit, before
 * answering. Always healthy on PostgreSQL and in memory (a database that does not answer fails its statements).
 * For a health check (the receiver's `/healthz` answers 503 with the reason).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookInbox } from "effect4-openai-webhooks"
 *
 * // 200 or 503, for a load balancer or Kubernetes' probes.
 * export const healthz = Effect.map(WebhookInbox.health, (health) => (health.healthy ? 200 : 503))
 * ```
 *
 * @since 0.4.0
 * @category log
 */
export const health: Effect.Effect<Health, never, WebhookInbox> = Effect.flatMap(WebhookInbox, (store) => store.health)

/**
 * Deliveries received per `bucket` (default 1 minute) since `since` (default an hour ago), by their status
 * now: every bucket from the one holding `since` to the one holding now, empty ones included, each starting
 * at a multiple of `bucket` since the epoch. Fails with `InboxError` `InvalidQuery` for a bucket under a
 * millisecond, a `since` in the future, or more than 10,080 buckets.
 *
 * @since 0.4.0
 * @category log
 */
export const timeline = (
  options?: { readonly since?: Date | undefined; readonly bucket?: Duration.Input | undefined }
): Effect.Effect<ReadonlyArray<TimelineBucket>, SqlError | InboxError, WebhookInbox> =>
  Effect.flatMap(WebhookInbox, (store) => store.timeline(options))
