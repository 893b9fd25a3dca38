/**
 * Deduplicate deliveries by `webhook-id` and process them reliably, on any `@effect/sql` database
 * (SQLite for one instance, PostgreSQL for several).
 *
 * OpenAI may deliver an event more than once and retries any non-2xx answer with backoff for up to 72
 * hours. When a `WebhookInbox` is provided, the `WebhookHttp` handlers use it:
 *
 * - **inline** mode claims the id, runs the handler and marks the id done. A later copy answers 200
 *   without running the handler (`duplicate`); a copy arriving while the first is still running waits
 *   for its outcome. A failed handler releases the claim, so OpenAI's retry runs it again; a claim held
 *   by a process that died expires after `lease`.
 * - **queued** mode stores the verified delivery, answers 200 at once (`queued`), and `layerWorker`
 *   processes it in the background, retrying on a `Schedule`; a delivery that exhausts it is kept as
 *   `dead` and logged with its body. Pending deliveries survive restarts, and several workers, in one
 *   process or many, never process one delivery at the same time.
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
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as deadline from "./internal/deadline.js"
import * as decode from "./internal/decode.js"
import * as internal from "./internal/inbox.js"
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
export class WebhookInbox extends Context.Tag("effect-openai-webhooks/WebhookInbox")<WebhookInbox, Store>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default: `"inline"`. */
  readonly mode?: Mode | undefined
  /** How long a claim or a worker's lease holds before another process may take the delivery. Default: 2 minutes. */
  readonly lease?: Duration.DurationInput | undefined
  /** How long handled deliveries are remembered. Default: 7 days (OpenAI retries for up to 72 hours). */
  readonly retention?: Duration.DurationInput | undefined
  /** How often expired records are purged. Default: every hour. */
  readonly purgeInterval?: Duration.DurationInput | undefined
}

/**
 * The inbox on the `SqlClient` you provide (`@effect/sql-sqlite-node`, `@effect/sql-pg`, ...). Creates
 * its table with migrations when built (idempotent), and purges expired records periodically.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSql = (
  options: Options = {}
): Layer.Layer<WebhookInbox, SqlError | MigrationError, SqlClient.SqlClient> =>
  Layer.scoped(
    WebhookInbox,
    Effect.gen(function*() {
      yield* internal.migrate
      const store = yield* internal.make({
        mode: options.mode ?? "inline",
        lease: Duration.decode(options.lease ?? "2 minutes"),
        retention: Duration.decode(options.retention ?? "7 days")
      })
      yield* store.purge.pipe(
        Effect.tap((purged) => purged > 0 ? Effect.logInfo(`purged ${purged} expired deliveries`) : Effect.void),
        Effect.catchAllCause((cause) => Effect.logWarning("purge failed", cause)),
        Effect.repeat(Schedule.spaced(options.purgeInterval ?? "1 hour")),
        Effect.forkScoped
      )
      return store
    })
  )

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
 * The delay before attempt `attempts + 1`, or none when the schedule has ended. `Schedule.run` also
 * returns the output of the step that ends the schedule, so one more input is run than attempts made:
 * the schedule allows another attempt only if that extra step is reached.
 */
const delayAfter = (schedule: Schedule.Schedule<unknown, unknown>, attempts: number, now: number) =>
  Effect.map(
    Schedule.run(Schedule.delays(schedule), now, Array.from({ length: attempts + 1 }, (_, i) => i)),
    (delays) => delays.length > attempts ? Option.fromNullable(Array.from(delays)[attempts - 1]) : Option.none()
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
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const store = yield* WebhookInbox
      const schedule = options.schedule ?? defaultSchedule
      const poll = options.pollInterval ?? "250 millis"
      const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)

      const attempt = (row: internal.Row) => {
        const event = decode.decode(row.body)
        const annotations = { webhook_id: row.webhookId, event_type: row.eventType ?? "unknown", attempt: row.attempts }
        if (Either.isLeft(event)) {
          return Effect.zipRight(
            store.dead(row.webhookId, row.attempts, event.left.message),
            Effect.logError("dead").pipe(Effect.annotateLogs({ ...annotations, error: event.left.message, body: row.body }))
          )
        }
        const handled = options.handle(event.right, { id: row.webhookId, timestamp: row.webhookTimestamp })
        const bounded = deadline.within(handled, timeout, (after) => Effect.fail(new deadline.HandlerTimeout({ after })))
        return Effect.matchCauseEffect(bounded, {
          onSuccess: () => Effect.zipRight(store.complete(row.webhookId, row.attempts), Effect.logInfo("processed")),
          onFailure: (cause) =>
            Effect.flatMap(Effect.clockWith((clock) => delayAfter(schedule, row.attempts, clock.unsafeCurrentTimeMillis())), (delay) =>
              Option.match(delay, {
                onNone: () =>
                  Effect.zipRight(
                    store.dead(row.webhookId, row.attempts, Cause.pretty(cause)),
                    Effect.logError("dead", cause).pipe(Effect.annotateLogs("body", row.body))
                  ),
                onSome: (delay) =>
                  Effect.flatMap(Effect.clockWith((clock) => Effect.succeed(clock.unsafeCurrentTimeMillis())), (now) =>
                    Effect.zipRight(
                      store.retry(row.webhookId, row.attempts, now + Duration.toMillis(delay), Cause.pretty(cause)),
                      Effect.logWarning("failed", cause).pipe(
                        Effect.annotateLogs("retry_in", Duration.format(delay))
                      )
                    ))
              }))
        }).pipe(
          // Stopped mid-attempt (a shutdown): due again at once, rather than after the lease.
          Effect.onInterrupt(() =>
            Effect.ignore(
              Effect.flatMap(Clock.currentTimeMillis, (now) => store.retry(row.webhookId, row.attempts, now, "interrupted"))
            )
          ),
          Effect.annotateLogs(annotations)
        )
      }

      const worker = store.take.pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.sleep(poll),
          onSome: attempt
        })),
        Effect.catchAllCause((cause) =>
          Effect.zipRight(Effect.logError("inbox worker: database error, trying again", cause), Effect.sleep(poll))
        ),
        Effect.forever
      )
      for (let i = 0; i < (options.concurrency ?? 4); i++) yield* Effect.forkScoped(worker)
    })
  )
