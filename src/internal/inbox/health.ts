/**
 * The store's health: whether what it commits still goes where its next start will read it. SQLite keeps its file
 * open: when the file is deleted, or replaced (a restore, a volume mounted again) under the running process, its
 * path leads to another file or to none, and every later write goes into a file nobody will open again, with no
 * error. So the store compares the file at its path with the one it opened (device and inode, as `stat` gives
 * them) after every group commit, before a delivery is answered, and when workers take or someone asks (`/healthz`,
 * `/metrics`): one `stat`, never one per delivery. Once the file is not the store's, it stays so until the process
 * restarts (its connection writes into the old file until then): every write fails, saying why, and deliveries are
 * answered 500 so that OpenAI retries them to a receiver that keeps them.
 *
 * @internal
 */
import { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { InboxSql } from "openai-webhooks-engine"

/** Healthy, or not with the reason, for a person. */
export type Health = InboxSql.Health

export const HEALTHY: Health = InboxSql.healthy

export interface Watch {
  /** Looks at the path now (one synchronous `stat`) and says the health; the first time it is lost, logs why. */
  readonly check: Effect.Effect<Health>
}

/** A database with no file of ours (PostgreSQL, SQLite in memory): nothing to look at. */
export const none: Watch = { check: Effect.succeed(HEALTHY) }

/**
 * Watches `file`, the store's database file (the engine's `InboxSql.watch`): the file at its path now is the
 * one its connection opened (it has just been opened and migrated).
 */
export const make = (file: string): Effect.Effect<Watch> =>
  Effect.map(Effect.promise(() => InboxSql.watch(file)), (watch) => {
    if (watch === undefined) return none
    return {
      check: Effect.suspend(() => {
        const { health, lost } = watch.check()
        return lost && !health.healthy
          ? Effect.as(
            Effect.logError("inbox: the database file is gone").pipe(
              Effect.annotateLogs({ error: health.reason, file })
            ),
            health
          )
          : Effect.succeed(health)
      })
    }
  })

/** The error every write fails with while the store is unhealthy. */
const failure = (reason: string) => new SqlError({ cause: undefined, message: reason })

/**
 * A group commit's answers, once it has committed: as they are while the store is healthy; otherwise each a failure
 * saying why (the writes went into a file that is no longer the store's).
 */
export const guardBatch = <A>(
  watch: Watch,
  exits: ReadonlyArray<Exit.Exit<A, SqlError>>
): Effect.Effect<ReadonlyArray<Exit.Exit<A, SqlError>>> =>
  Effect.map(
    watch.check,
    (health) => health.healthy ? exits : exits.map(() => Exit.fail(failure(health.reason)))
  )

/**
 * `effect` (a write alone, a take, a replay) once it has run, while the store is healthy; otherwise fails saying why.
 */
export const guard = <A, E>(watch: Watch, effect: Effect.Effect<A, E>): Effect.Effect<A, E | SqlError> =>
  Effect.flatMap(
    effect,
    (a) =>
      Effect.flatMap(watch.check, (health) => health.healthy ? Effect.succeed(a) : Effect.fail(failure(health.reason)))
  )
