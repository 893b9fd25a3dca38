/**
 * The durability barrier: what a delivery awaits before it is answered 200, so that no answer that stops OpenAI's
 * retries is undone by a power loss. Immediate where each commit is durable already (PostgreSQL, SQLite at
 * `synchronous = FULL`); on SQLite in WAL mode below FULL, one `fdatasync` of the log, off the event loop, serves
 * every delivery waiting (a group commit of its own: while one runs the next gathers).
 *
 * @internal
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import { InboxSql } from "openai-webhooks-engine"
import * as Batch from "./batch.js"
import * as Run from "./run.js"

/**
 * Returns once every write committed before it is on disk. The dialect says which file to sync, if any (SQLite
 * asked once, here; a database that cannot say syncs nothing, as its commits are taken to be durable).
 */
export const make = (
  sql: SqlClient.SqlClient,
  dialect: InboxSql.Dialect
): Effect.Effect<Effect.Effect<void, SqlError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const wal = dialect.durability === undefined
      ? undefined
      : yield* Effect.orElseSucceed(Run.script(sql, dialect.durability, undefined), () => undefined)
    if (wal === undefined) return Effect.void
    const sync = yield* syncFile(wal)
    const barrier = yield* Batch.make<void, void>({
      write: (waiting) => Effect.as(sync, waiting.map(() => Exit.void)),
      single: () => sync,
      max: Number.MAX_SAFE_INTEGER
    })
    return barrier.submit(undefined)
  })

/**
 * `fdatasync` of `file` on the runtime's thread pool (the engine's `InboxSql.syncFile`): the event loop serves
 * requests meanwhile; the file is closed with the scope (`node:fs` is imported at the first sync).
 */
const syncFile = (file: string): Effect.Effect<Effect.Effect<void, SqlError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const synced = InboxSql.syncFile(file)
    yield* Effect.addFinalizer(() => Effect.promise(synced.close))
    return Effect.tryPromise({
      try: synced.sync,
      catch: (cause) => new SqlError({ cause, message: InboxSql.syncFailed(file) })
    })
  })
