/**
 * The inbox's store on `effect/sql`: the `Store` of `store.ts`, built on the `SqlClient` in context, and its layer
 * (migrated when built, purged and its claims renewed while it lives).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { InboxWriter } from "openai-webhooks-engine"
import * as Durability from "./durability.js"
import * as Health from "./health.js"
import * as Heartbeat from "./heartbeat.js"
import * as Log from "./log.js"
import { migrate } from "./migrations.js"
import * as Run from "./run.js"
import { type LayerOptions, type Status, type Store, type StoreOptions, WebhookInbox } from "./store.js"
import * as Writes from "./writes.js"

export { migrate } from "./migrations.js"

const DEFAULT_DEAD_RETENTION = Duration.days(30)

const withNow = <A, E>(f: (now: number) => Effect.Effect<A, E>) => Effect.flatMap(Clock.currentTimeMillis, f)

/** The store, and its heartbeat: the loop that renews what is held, for the layer to run. */
export const make = (
  options: StoreOptions
): Effect.Effect<
  { readonly store: Store; readonly heartbeat: Effect.Effect<never> },
  SqlError,
  SqlClient.SqlClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const dialect = Run.dialectOf(sql)
    const lease = Duration.toMillis(options.lease)
    const retention = Duration.toMillis(options.retention)
    const deadRetention = Duration.toMillis(options.deadRetention ?? DEFAULT_DEAD_RETENTION)
    const file = dialect.file === undefined
      ? undefined
      : yield* Effect.orElseSucceed(Run.script(sql, dialect.file, undefined), () => undefined)
    const watch = file === undefined ? Health.none : yield* Health.make(file)
    // On the writer thread: each batch is durable when it is answered (the thread syncs the log after every batch,
    // changed or not: see `InboxWriter`), so no barrier is left to await. Its close is added before the group commit
    // is made: finalizers run last-added first, so the batch being written is answered before the thread ends.
    const thread = options.writer === "thread" && dialect.name === "sqlite" && file !== undefined
      ? yield* Effect.acquireRelease(
        // Started with the store, so that a file it cannot open fails the layer, not the first delivery.
        Effect.tryPromise({
          try: () => {
            const opened = InboxWriter.open({ file })
            return opened.ready().then(() => opened, (failure) => opened.close().then(() => Promise.reject(failure)))
          },
          catch: (failure) => Writes.threadError(failure as InboxWriter.Failure, "start")
        }),
        (writer) => Effect.promise(writer.close)
      )
      : undefined
    const writer = thread === undefined
      ? yield* Writes.make(sql, dialect, options.onBatch, watch)
      : yield* Writes.threaded(thread, options.onBatch, watch)
    const durable = thread === undefined ? yield* Durability.make(sql, dialect) : Effect.void

    const settle = (
      id: string,
      token: number,
      status: Status,
      error: string | null,
      nextAttemptAt: number | null,
      outcome: Log.AttemptOutcome
    ) =>
      withNow((now) =>
        writer.submit({ kind: "settle", id, token, status, error, nextAttemptAt, outcome, now }) as Effect.Effect<
          boolean,
          SqlError
        >
      )
    const renew = (id: string, token: number) =>
      withNow((now) => Run.query(sql, dialect.renew, { id, token, lockedUntil: now + lease }))
    const holdings = Heartbeat.make(options.heartbeat, renew)

    const log = Log.make(sql, dialect)
    const store: Store = {
      mode: options.mode,
      lease: options.lease,
      heartbeat: options.heartbeat,
      holding: holdings.holding,
      hold: holdings.hold,
      letGo: holdings.letGo,
      durable,
      claim: (id, eventType, timestamp, body = null) =>
        withNow((now) =>
          Effect.map(
            writer.submit({ kind: "claim", id, eventType, timestamp, body, lockedUntil: now + lease, now }),
            (token) => typeof token === "number" ? Option.some(token) : Option.none()
          )
        ),
      complete: (id, token) => settle(id, token, "done", null, null, "processed"),
      release: (id, token, error, outcome = "failed") => settle(id, token, "failed", error, null, outcome),
      renew,
      status: (id) => Effect.map(Run.query(sql, dialect.status, id), Option.fromNullishOr),
      enqueue: (id, eventType, timestamp, body, traceparent = null) =>
        withNow((now) =>
          writer.submit({ kind: "enqueue", id, eventType, timestamp, body, now, traceparent }) as Effect.Effect<
            boolean,
            SqlError
          >
        ),
      take: (max) =>
        !(max >= 1)
          ? Effect.succeed([])
          : withNow((now) => Health.guard(watch, Run.query(sql, dialect.take, { max, lockedUntil: now + lease, now }))),
      health: watch.check,
      retry: (id, token, at, error, outcome = "failed") => settle(id, token, "pending", error, at, outcome),
      dead: (id, token, error, outcome = "failed") => settle(id, token, "dead", error, null, outcome),
      purge: withNow((now) =>
        Run.script(sql, dialect.purge, { doneBefore: now - retention, deadBefore: now - deadRetention })
      ),
      ...log,
      // The log's writes too: a replay into a file that is no longer the store's would be lost, and say it was done.
      replay: (id) => Health.guard(watch, log.replay(id)),
      recover: (query) => Health.guard(watch, log.recover(query)),
      discard: (id) => Health.guard(watch, log.discard(id))
    }
    return { store, heartbeat: holdings.beat }
  })

/**
 * The store on the `SqlClient`: migrated when built, purged every `purgeInterval` while it lives. Its options come
 * checked (`WebhookInbox`'s option checks: a finite lease, a heartbeat shorter than it), once, where users give them.
 */
export const layer = (
  options: LayerOptions
): Layer.Layer<WebhookInbox, SqlError | Migrator.MigrationError, SqlClient.SqlClient> =>
  Layer.effect(
    WebhookInbox,
    Effect.gen(function*() {
      yield* migrate
      const { heartbeat, store } = yield* make(options)
      yield* store.purge.pipe(
        Effect.tap((purged) => purged > 0 ? Effect.logInfo(`purged ${purged} expired deliveries`) : Effect.void),
        Effect.catchCause((cause) => Effect.logWarning("purge failed", cause)),
        Effect.repeat(Schedule.spaced(options.purgeInterval)),
        // Housekeeping makes no traces: each purge, each renewal would be a root trace of its own.
        Effect.withTracerEnabled(false),
        Effect.forkScoped
      )
      yield* Effect.forkScoped(Effect.withTracerEnabled(heartbeat, false))
      return store
    })
  )
