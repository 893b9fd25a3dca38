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
import type { InboxSql } from "openai-webhooks-engine"
import { importNode } from "../builtin.js"
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
 * `fdatasync` of `file` on the runtime's thread pool: the event loop serves requests meanwhile. The file is opened
 * at the first sync and kept open until the scope closes (SQLite keeps its log file while a connection is open:
 * the same file, truncated or rewritten, never replaced); after a failed sync it is opened again. `node:fs` is
 * imported at the first sync, not at the top: only a store with a file to sync needs a file system.
 */
const syncFile = (file: string): Effect.Effect<Effect.Effect<void, SqlError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    let fd: Promise<number> | undefined
    const fs = () => (fileSystem ??= importNode<typeof import("node:fs")>("node:fs"))
    const close = () => {
      const open = fd
      fd = undefined
      return open === undefined ? Promise.resolve() : open.then(
        (descriptor) => fs().then(({ close }) => close(descriptor, () => undefined)),
        () => undefined
      )
    }
    yield* Effect.addFinalizer(() => Effect.promise(close))
    return Effect.tryPromise({
      try: async () => {
        const { fdatasync, open } = await fs()
        const descriptor = await (fd ??= new Promise<number>((resolve, reject) =>
          open(file, "r", (error, descriptor) => error === null ? resolve(descriptor) : reject(error))
        ))
        await new Promise<void>((resolve, reject) =>
          fdatasync(descriptor, (error) => error === null ? resolve() : reject(error))
        ).catch((error: unknown) => close().then(() => Promise.reject(error)))
      },
      catch: (cause) =>
        new SqlError({ cause, message: `Failed to make the inbox's last commits durable (fdatasync ${file})` })
    })
  })

let fileSystem: Promise<typeof import("node:fs")> | undefined
