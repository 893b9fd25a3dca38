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
 * Handled deliveries are kept for `retention` (default 7 days: longer than OpenAI retries), then purged.
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
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
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
  /** How long handled deliveries are remembered. Default: 7 days (OpenAI retries for up to 72 hours). */
  readonly retention?: Duration.DurationInput | undefined
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
 * Background processing of queued deliveries: `concurrency` workers take due deliveries (each under a
 * lease, so no two workers anywhere process one delivery at a time), run the handler, and mark them
 * done, retry them later on the schedule, or keep them as dead. Every attempt logs one line:
 * `processed`, `failed` (with the next attempt) or `dead` (with the body).
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
