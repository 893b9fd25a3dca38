/**
 * The receiver's database, from `DATABASE_URL`: unset -> the SQLite file `.data/openai-webhooks.sqlite`;
 * `sqlite:<path>`; `memory`; `postgres://...` or `postgresql://...`.
 *
 * Each driver is imported when the layer of its database is built, and only then: a SQLite receiver never loads
 * `@effect/sql-pg`, a PostgreSQL one never `@effect/sql-sqlite-node` (on Node's own `node:sqlite`: nothing native).
 * Both are dependencies of this package, so a missing one means an incomplete installation: a
 * {@link MissingDriver}, whose hint installs it at the version range this package depends on (a bare
 * `npm install` of a driver takes the registry's latest, which may need another Effect).
 */
import { mkdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname } from "node:path"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as SqlClient from "effect/sql/SqlClient"
import { DatabaseUnavailable, describe, MissingDriver } from "./errors.js"

export const DEFAULT_SQLITE_FILE = ".data/openai-webhooks.sqlite"

/** A database the receiver can keep its inbox in. `description` is what logs show: never a password. */
export type Database =
  | { readonly _tag: "Sqlite"; readonly filename: string; readonly description: string }
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string>; readonly description: string }

const sqlite = (filename: string): Database => ({
  _tag: "Sqlite",
  filename,
  description: filename === ":memory:" ? "SQLite in memory" : `the SQLite file ${filename}`
})

/** The database when `DATABASE_URL` is unset: a SQLite file in the working directory. */
export const DEFAULT: Database = sqlite(DEFAULT_SQLITE_FILE)

/** The accepted forms, for the message about a `DATABASE_URL` that is none of them. */
export const FORMS = "sqlite:<path>, memory, or postgres://user:password@host:5432/database"

/** The database a `DATABASE_URL` names, or what is wrong with it (never the URL itself: it may hold a password). */
export const parse = (url: string | undefined): Result.Result<Database, string> => {
  if (url === undefined || url === "") return Result.succeed(DEFAULT)
  if (url === "memory") return Result.succeed(sqlite(":memory:"))
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\//, "")
    return path === ""
      ? Result.fail("sqlite: needs a path, as in sqlite:.data/webhooks.sqlite")
      : Result.succeed(sqlite(path))
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    if (!URL.canParse(url)) {
      return Result.fail("the postgres:// URL does not parse (are special characters in the password %-encoded?)")
    }
    const parsed = new URL(url)
    return Result.succeed({
      _tag: "Postgres",
      url: Redacted.make(url),
      description: `PostgreSQL ${parsed.hostname}${parsed.port === "" ? "" : `:${parsed.port}`}${parsed.pathname}`
    })
  }
  return Result.fail("it names no database this receiver knows")
}

/**
 * `<name>@<range>`, the range this package depends on (its package.json, `../../` from `src/receiver/` and from
 * `dist/receiver/` alike): what to `npm install` for a driver that is missing or does not load. Read only then.
 */
export const installSpec = (name: string): string => {
  const manifest = createRequire(import.meta.url)("../../package.json") as {
    readonly dependencies?: Readonly<Record<string, string>>
  }
  const range = manifest.dependencies?.[name]
  return range === undefined ? name : `${name}@${range}`
}

/** Where each database's driver comes from, and how to name it to a person. */
const drivers = {
  Sqlite: { package: "@effect/sql-sqlite-node", load: () => import("@effect/sql-sqlite-node") },
  Postgres: { package: "@effect/sql-pg", load: () => import("@effect/sql-pg") }
} as const

const load = <A>(database: Database, driver: { readonly package: string; readonly load: () => Promise<A> }) =>
  Effect.tryPromise({
    try: driver.load,
    catch: (error) =>
      (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" &&
        (error as Error).message.includes(`'${driver.package}'`)
        ? new MissingDriver({
          package: driver.package,
          install: installSpec(driver.package),
          database: database.description
        })
        : new DatabaseUnavailable({
          message: `the driver ${driver.package} does not load: ${describe(error)}`,
          hint: `reinstall it: npm install ${installSpec(driver.package)}`
        })
  })

/** SQLite's SQLITE_BUSY, as `node:sqlite` throws it. */
const locked = (error: unknown): boolean =>
  (error as { readonly code?: unknown } | null)?.code === "SQLITE_BUSY" ||
  /database is locked/.test(String((error as { readonly message?: unknown } | null)?.message ?? ""))

/**
 * Builds `layer` and keeps only its `SqlClient`; a failure or a defect while building (a file that cannot
 * be opened, a server that does not answer) is a {@link DatabaseUnavailable}.
 */
const client = <E, ROut>(
  database: Database,
  layer: Layer.Layer<ROut, E>,
  hint: (cause: string) => string
): Layer.Layer<SqlClient.SqlClient, DatabaseUnavailable> =>
  Layer.effectContext(
    Layer.build(layer).pipe(
      // A SQLite file another process is opening at this moment (two instances starting together): switching it to
      // WAL mode needs the file alone for an instant, and SQLite may answer "database is locked" without waiting.
      // Opened again shortly after, it is in WAL mode already. Anything else fails at once.
      Effect.catchDefect(Effect.fail),
      Effect.retry({
        while: locked,
        schedule: Schedule.spaced("50 millis").pipe(Schedule.upTo({ duration: "5 seconds" }))
      }),
      Effect.map((context) =>
        Context.make(
          SqlClient.SqlClient,
          Context.get(context as unknown as Context.Context<SqlClient.SqlClient>, SqlClient.SqlClient)
        )
      ),
      Effect.catchCause((cause) => {
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
        const reason = describe(Cause.squash(cause))
        return Effect.fail(
          new DatabaseUnavailable({ message: `cannot open ${database.description}: ${reason}`, hint: hint(reason) })
        )
      })
    )
  )

/** The `SqlClient` of `database`, its driver imported now. */
export const layer = (database: Database): Layer.Layer<SqlClient.SqlClient, MissingDriver | DatabaseUnavailable> => {
  switch (database._tag) {
    case "Sqlite":
      return Layer.unwrap(
        Effect.gen(function*() {
          const { SqliteClient } = yield* load(database, drivers.Sqlite)
          if (database.filename !== ":memory:") {
            yield* Effect.try({
              try: () => mkdirSync(dirname(database.filename), { recursive: true }),
              catch: (error) =>
                new DatabaseUnavailable({
                  message: `cannot make the folder of ${database.description}: ${describe(error)}`,
                  hint: "set DATABASE_URL to sqlite:<a path this user may write>"
                })
            })
          }
          // WAL with `synchronous = NORMAL` (set here so that it does not depend on how SQLite was built): commits do
          // not wait for the disk, and the inbox itself syncs the log, off the event loop and once for every delivery
          // waiting, before it answers 200 (`durable` in the store). A 200 survives a power loss as with FULL,
          // without an fsync on the event loop per commit.
          const durable = Layer.tap(
            SqliteClient.layer({ filename: database.filename }),
            (context) => Context.get(context, SqliteClient.SqliteClient).unsafe("PRAGMA synchronous = NORMAL")
          )
          return client(
            database,
            durable,
            () => "check that this user may read and write the file, or set DATABASE_URL to another sqlite:<path>"
          )
        })
      )
    case "Postgres":
      return Layer.unwrap(
        Effect.map(load(database, drivers.Postgres), ({ PgClient }) =>
          client(
            database,
            // Effect 4's client connects on its first query: one now, so that a server that does not answer is said
            // at start, as a DatabaseUnavailable, not by the first statement that needs it.
            Layer.tap(
              PgClient.layer({ url: database.url, applicationName: "effect-openai-webhooks" }),
              (context) => Context.get(context, PgClient.PgClient).unsafe("SELECT 1")
            ),
            () => "is the server running, and does DATABASE_URL name it with the right user, password and database?"
          ))
      )
  }
}
