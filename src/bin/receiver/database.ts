/**
 * The receiver's database, from `DATABASE_URL`: unset -> the SQLite file `.data/openai-webhooks.sqlite`;
 * `sqlite:<path>`; `memory`; `postgres://...` or `postgresql://...`.
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import type * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

export const DEFAULT_SQLITE_FILE = ".data/openai-webhooks.sqlite"

export interface Database {
  /** What to show in logs: never a password. */
  readonly description: string
  readonly layer: Layer.Layer<SqlClient.SqlClient, unknown>
}

const sqlite = (filename: string): Database => ({
  description: filename === ":memory:" ? "in memory (SQLite)" : `SQLite file ${filename}`,
  layer: Layer.unwrapEffect(
    Effect.sync(() => {
      if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true })
      return SqliteClient.layer({ filename })
    })
  )
})

export const fromUrl = (url: string | undefined): Effect.Effect<Database, Error> =>
  Effect.suspend(() => {
    if (url === undefined || url === "") return Effect.succeed(sqlite(DEFAULT_SQLITE_FILE))
    if (url === "memory") return Effect.succeed(sqlite(":memory:"))
    if (url.startsWith("sqlite:")) {
      const path = url.slice("sqlite:".length).replace(/^\/\//, "")
      return path === "" ? Effect.fail(new Error("DATABASE_URL=sqlite: needs a path, as in sqlite:.data/webhooks.sqlite")) : Effect.succeed(sqlite(path))
    }
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      const parsed = new URL(url)
      return Effect.succeed({
        description: `PostgreSQL ${parsed.hostname}${parsed.port === "" ? "" : `:${parsed.port}`}${parsed.pathname}`,
        layer: PgClient.layer({ url: Redacted.make(url), applicationName: "effect-openai-webhooks" })
      })
    }
    return Effect.fail(
      new Error(
        "DATABASE_URL is not one of: sqlite:<path>, memory, postgres://user:password@host:port/database " +
          "(unset: the SQLite file .data/openai-webhooks.sqlite)"
      )
    )
  })
