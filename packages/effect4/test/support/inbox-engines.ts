/**
 * The engines the inbox's tests run on, through the same test bodies: a SQLite file per test (`node:sqlite`, through
 * `@effect/sql-sqlite-node@4`), and a fresh schema per test on the PostgreSQL server `DATABASE_URL` names (through
 * `@effect/sql-pg@4`; skipped, saying so, outside CI without one). The Effect 3 edition's `test/support/
 * inbox-engines.ts` on Effect 4's clients; when to skip is the engine's shared rule.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll } from "@effect/vitest"
import { Clock, Context, Effect, Layer, Redacted, type Scope } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { freshSchema, postgresUrl, skipPostgres } from "../../../engine/test/support/postgres.js"

/** One test's database: `client()` opens a new connection to it, as a process starting (again) does. */
export interface Database {
  readonly client: () => Layer.Layer<SqlClient.SqlClient, unknown>
  /** SQLite: the file. */
  readonly file?: string
  /** Where the store's group commit runs (`WebhookInbox`'s `writer` option): give it to every store built on it. */
  readonly writer?: "thread" | undefined
}

export interface Engine {
  readonly name: "SQLite" | "SQLite, writer thread" | "PostgreSQL"
  readonly skip: boolean
  /** A database of the test's own, removed when the test's scope closes. */
  readonly database: Effect.Effect<Database, unknown, Scope.Scope>
}

let files = 0

/**
 * SQLite files in a folder of the test file's own, removed after its tests; with `"thread"`, the stores built on them
 * write on the engine's writer thread (`writer: "thread"`).
 */
export const sqlite = (writer?: "thread"): Engine => {
  const directory = mkdtempSync(join(tmpdir(), "webhook-inbox4-"))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))
  return {
    name: writer === "thread" ? "SQLite, writer thread" : "SQLite",
    skip: false,
    database: Effect.sync(() => {
      const filename = join(directory, `${files++}.sqlite`)
      return { file: filename, writer, client: () => SqliteClient.layer({ filename }) }
    })
  }
}

/**
 * `layer` on the real clock, whatever clock the test runs on: Effect 4's PostgreSQL pool keeps the clock it was
 * built with for its timeouts and idle connections (Effect 3's `pg` kept Node's timers), and a TestClock never moves
 * on its own. The store's own time is still the test's: it reads the clock of the fiber that calls it.
 */
const onRealClock = <A, E>(layer: Layer.Layer<A, E>): Layer.Layer<A, E> =>
  Layer.provide(layer, Layer.succeed(Clock.Clock, Clock.Clock.defaultValue()))

/** A fresh schema per test, as the connection's search_path: the test sees an empty database. */
export const postgres = (file: string): Engine => ({
  name: "PostgreSQL",
  skip: skipPostgres(file),
  database: Effect.gen(function*() {
    if (postgresUrl === undefined) {
      return yield* Effect.die(
        new Error("CI=true but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests must run")
      )
    }
    const url = Redacted.make(postgresUrl)
    const schema = freshSchema()
    const server = yield* Layer.build(onRealClock(PgClient.layer({ url })))
    const admin = Context.get(server, SqlClient.SqlClient)
    yield* Effect.acquireRelease(
      admin.unsafe(`CREATE SCHEMA ${schema}`),
      () => Effect.orDie(admin.unsafe(`DROP SCHEMA ${schema} CASCADE`))
    )
    return { client: () => onRealClock(PgClient.layer({ url, startupParameters: { search_path: schema } })) }
  })
})

/**
 * Both engines, and SQLite again with the writer thread, for
 * `for (const engine of engines("x.test.ts")) describe.skipIf(engine.skip)(...)`.
 */
export const engines = (file: string): ReadonlyArray<Engine> => [sqlite(), sqlite("thread"), postgres(file)]
