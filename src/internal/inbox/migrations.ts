/**
 * The inbox's schema: the engine's migrations (`InboxSql`, the same ids and names as every version shipped, so that
 * an existing store upgrades) run by `@effect/sql`'s Migrator, with the instances that start together kept apart.
 *
 * @internal
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { InboxSql } from "openai-webhooks-engine"
import * as Run from "./run.js"

const UNFINISHED = new Migrator.MigrationError({
  reason: "locked",
  message: "another process started migrating the inbox's tables and did not finish within 10 s"
})

/**
 * Creates or updates the schema. Idempotent. On PostgreSQL the migrations table is created first (with
 * `IF NOT EXISTS`, retried: two instances starting together may race on it), so that the Migrator's
 * `LOCK TABLE` serialises the instances that run the migrations themselves.
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
    if (dialect.migrationsTable !== undefined) {
      return sql.unsafe(dialect.migrationsTable).pipe(Effect.retry({ times: 3 }), Effect.zipRight(run), Effect.asVoid)
    }
    // SQLite has no LOCK TABLE: an instance starting beside another may find the migrations "running" and return
    // before they are done. Wait (briefly) until they are: until the migrations table, which exists by now,
    // records the last one. Not by querying the tables the migrations make: the SQLite client caches a statement
    // that failed to prepare ("no such table") for minutes, failure included, so such a wait never saw the table
    // appear.
    return Effect.zipRight(
      run,
      Run.query(sql, dialect.migrated, undefined).pipe(
        Effect.filterOrFail((id) => id >= dialect.latestMigration, () => UNFINISHED),
        Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("10 seconds"))),
        Effect.asVoid
      )
    )
  }
)
