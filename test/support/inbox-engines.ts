/**
 * The engines the inbox's tests run on, through the same test bodies: a SQLite file per test, and a fresh
 * schema per test on the PostgreSQL server `DATABASE_URL` names (skipped, saying so, outside CI without one).
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import { postgresUrl, skipPostgres } from "./built-receiver.js"

/** One test's database: `client()` opens a new connection to it, as a process starting (again) does. */
export interface Database {
  readonly client: () => Layer.Layer<SqlClient.SqlClient, unknown>
}

export interface Engine {
  readonly name: string
  readonly skip: boolean
  /** A database of the test's own, removed when the test's scope closes. */
  readonly database: Effect.Effect<Database, unknown, Scope.Scope>
}

/** SQLite files in a folder of the test file's own, removed after its tests. */
export const sqlite = (): Engine => {
  const directory = mkdtempSync(join(tmpdir(), "webhook-inbox-"))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))
  return {
    name: "SQLite",
    skip: false,
    database: Effect.sync(() => {
      const filename = join(directory, `${randomBytes(6).toString("hex")}.sqlite`)
      return { client: () => SqliteClient.layer({ filename }) }
    })
  }
}

/** A fresh schema per test, as the connection's search_path: the test sees an empty database. */
export const postgres = (file: string): Engine => ({
  name: "PostgreSQL",
  skip: skipPostgres(file),
  database: Effect.gen(function*() {
    if (postgresUrl === undefined) {
      return yield* Effect.dieMessage(
        "CI=true but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests must run"
      )
    }
    const schema = `t_${randomBytes(6).toString("hex")}`
    const server = yield* Layer.build(PgClient.layer({ url: Redacted.make(postgresUrl) }))
    const admin = Context.get(server, SqlClient.SqlClient)
    yield* Effect.acquireRelease(
      admin.unsafe(`CREATE SCHEMA ${schema}`),
      () => Effect.orDie(admin.unsafe(`DROP SCHEMA ${schema} CASCADE`))
    )
    const url = Redacted.make(
      `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`
    )
    return { client: () => PgClient.layer({ url }) }
  })
})

/** Both engines, for `for (const engine of engines("x.test.ts")) describe.skipIf(engine.skip)(...)`. */
export const engines = (file: string): ReadonlyArray<Engine> => [sqlite(), postgres(file)]
