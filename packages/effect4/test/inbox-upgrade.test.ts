/**
 * One store for both editions: a store the Effect 3 edition made (its migrations table as `@effect/sql` 0.52 wrote
 * it, every migration but the last applied and recorded, a delivery waiting) opens in the Effect 4 edition, which
 * runs only the missing migration and keeps the delivery; and instances starting together on an empty database
 * migrate it once. The engine's migrations, ids and names are the same in both editions: only the Migrator differs.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Scope } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { InboxSql } from "openai-webhooks-engine"
import * as Run from "../src/internal/inbox/run.js"
import * as SqlStore from "../src/internal/inbox/sqlStore.js"
import * as Store from "../src/internal/inbox/store.js"
import * as Engines from "./support/inbox-engines.js"

const options = {
  mode: "queued",
  lease: Duration.seconds(30),
  heartbeat: Duration.seconds(10),
  retention: Duration.days(7),
  purgeInterval: Duration.hours(1)
} as const

/** The migrations table as the Effect 3 edition's Migrator (`@effect/sql` 0.52) created it on SQLite. */
const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${InboxSql.tables.migrations} (
  migration_id integer PRIMARY KEY NOT NULL,
  created_at datetime NOT NULL DEFAULT current_timestamp,
  name VARCHAR(255) NOT NULL
)`

const withClient = <A, E>(database: Engines.Database, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(database.client()), (context) => f(Context.get(context, SqlClient.SqlClient)))
  )

const migrations = (sql: SqlClient.SqlClient) =>
  Effect.map(
    sql.unsafe<{ migration_id: unknown; name: string }>(
      `SELECT migration_id, name FROM ${InboxSql.tables.migrations} ORDER BY migration_id`
    ),
    (rows) => rows.map((row) => `${Number(row.migration_id)}_${row.name}`)
  )

/** The store on a new client of `database`, in a scope of its own inside the test's. */
const start = (database: Engines.Database) =>
  Effect.gen(function*() {
    const scope = yield* Scope.fork(yield* Effect.scope)
    const context = yield* Layer.buildWithScope(
      SqlStore.layer({ ...options, writer: database.writer }).pipe(Layer.provideMerge(database.client())),
      scope
    )
    return { store: Context.get(context, Store.WebhookInbox), sql: Context.get(context, SqlClient.SqlClient) }
  })

for (const engine of Engines.engines("inbox-upgrade.test.ts")) {
  describe.skipIf(engine.skip)(`one store for both editions on ${engine.name}`, () => {
    it.live("opens a store the Effect 3 edition made, runs only the migration it lacks, and keeps its deliveries", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const all = yield* withClient(database, (sql) =>
          Effect.gen(function*() {
            const dialect = Run.dialectOf(sql)
            yield* sql.unsafe(dialect.migrationsTable ?? SQLITE_MIGRATIONS_TABLE)
            const earlier = dialect.migrations.slice(0, -1)
            for (const migration of earlier) {
              for (const statement of migration.statements) yield* sql.unsafe(statement)
              // The engine's own names (letters and underscores): written as they are.
              yield* sql.unsafe(
                `INSERT INTO ${InboxSql.tables.migrations} (migration_id, name) ` +
                  `VALUES (${migration.id}, '${migration.name}')`
              )
            }
            // A delivery it queued, as its enqueue wrote it (before the last migration's column).
            const queued = Date.now() - 1000
            yield* sql.unsafe(
              `INSERT INTO ${InboxSql.tables.deliveries} (webhook_id, event_type, webhook_timestamp, body, status, ` +
                `attempts, next_attempt_at, received_at, updated_at) VALUES ('msg_from_3', 'response.completed', 1, ` +
                `'{}', 'pending', 0, ${queued}, ${queued}, ${queued})`
            )
            return dialect.migrations.map((migration) => `${migration.id}_${migration.name}`)
          }))
        const { sql, store } = yield* start(database)
        assert.deepStrictEqual(yield* migrations(sql), all)
        const taken = yield* store.take(5)
        assert.deepStrictEqual(taken.map((row) => [row.webhookId, row.attempts]), [["msg_from_3", 1]])
        assert.isTrue(yield* store.complete("msg_from_3", 1))
      }))

    it.live("migrates an empty database once when two instances start together, and again never", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const [one] = yield* Effect.all([start(database), start(database)], { concurrency: "unbounded" })
        const dialect = Run.dialectOf(one.sql)
        const all = dialect.migrations.map((migration) => `${migration.id}_${migration.name}`)
        assert.deepStrictEqual(yield* migrations(one.sql), all)
        const again = yield* start(database)
        assert.deepStrictEqual(yield* migrations(again.sql), all)
        assert.isTrue(yield* again.store.enqueue("msg_after", "t", 1, "{}"))
      }))
  })
}
