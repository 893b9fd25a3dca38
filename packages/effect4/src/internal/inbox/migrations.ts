/**
 * The inbox's schema: the engine's migrations (`InboxSql`, the same ids and names as every version shipped, so that
 * a store the Effect 3 edition made upgrades, and the other way round) run by `effect/sql`'s Migrator, with the
 * instances that start together kept apart.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"
import * as Run from "./run.js"

const UNFINISHED = new Migrator.MigrationError({
  kind: "Locked",
  message: "another process started migrating the inbox's tables and did not finish within 10 s"
})

/**
 * Creates or updates the schema. Idempotent. On PostgreSQL, Effect 4's Migrator creates its table itself when it
 * is missing (tolerating another instance creating it meanwhile) and its `LOCK TABLE` serialises the instances
 * that migrate: the engine's `migrationsTable`, which the Effect 3 edition runs first, is not needed here.
 */
export const migrate: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => {
    const dialect = Run.dialectOf(sql)
    const loader = Migrator.fromRecord(Object.fromEntries(dialect.migrations.map((migration) => [
      `${migration.id}_${migration.name}`,
      Effect.forEach(migration.statements, (statement) => sql.unsafe(statement), { discard: true })
    ])))
    const run = Migrator.make({})({ loader, table: InboxSql.tables.migrations })
    if (dialect.migrationsTable !== undefined) return Effect.asVoid(run)
    // SQLite has no LOCK TABLE: an instance starting beside another may find the migrations "running" (the
    // Migrator says `Locked` and returns) before they are done. Wait (briefly) until they are: until the
    // migrations table records the last one.
    return Effect.andThen(
      run,
      Run.query(sql, dialect.migrated, undefined).pipe(
        Effect.filterOrFail((id) => id >= dialect.latestMigration, () => UNFINISHED),
        Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo({ duration: "10 seconds" }))),
        Effect.asVoid
      )
    )
  }
)
