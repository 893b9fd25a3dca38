/**
 * The store's health: whether what it commits still goes where its next start will read it. The watch of the
 * SQLite file is the engine's (`InboxSql.watchFile`: one `stat`, compared with the file opened); here it is looked
 * at after every group commit, before a delivery is answered, and when workers take or someone asks (`/healthz`,
 * `/metrics`), never once per delivery. Once the file is not the store's, every write fails, saying why, and
 * deliveries are answered 500 so that OpenAI retries them to a receiver that keeps them.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { SqlError, UnknownError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"

/** Healthy, or not with the reason, for a person. */
export type Health = InboxSql.Health

export interface Watch {
  /** Looks at the path now (one synchronous `stat`) and says the health; the first time it is lost, logs why. */
  readonly check: Effect.Effect<Health>
}

/** A database with no file of ours (PostgreSQL, SQLite in memory): nothing to look at. */
export const none: Watch = { check: Effect.succeed(InboxSql.healthy) }

/**
 * Watches `file`, the store's database file, just opened and migrated (`node:fs` is imported then, by the engine).
 */
export const make = (file: string): Effect.Effect<Watch> =>
  Effect.map(
    Effect.promise(() => InboxSql.watch(file)),
    (watch) => {
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
    }
  )

/** The error every write fails with while the store is unhealthy. */
export const failure = (reason: string): SqlError =>
  new SqlError({ reason: new UnknownError({ cause: undefined, message: reason, operation: "write" }) })

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
