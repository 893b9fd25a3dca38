/**
 * SQLite's dialect: the shared statements with `?` placeholders; attempts started and ended by the triggers of
 * migration 3; a delivery deleted with its attempts by two statements in one transaction; and the write-ahead log
 * to sync where commits do not sync it themselves.
 *
 * @internal
 */
import type { Dialect, Script, SqlRow } from "../../InboxSql.js"
import * as counts from "./counts.js"
import * as shared from "./shared.js"
import * as trace from "./trace.js"

const D = shared.DELIVERIES
const A = shared.ATTEMPTS

/**
 * Deletes the deliveries `where` selects and their attempts: the attempts first, by the same condition, then the
 * deliveries, in one transaction; how many deliveries. (SQLite enforces no foreign keys unless asked to, and has no
 * data-modifying CTE.)
 */
const deleteWithAttempts = <I>(where: string, params: (input: I) => ReadonlyArray<unknown>): Script<I, number> => ({
  statements: [
    { text: `DELETE FROM ${A} WHERE webhook_id IN (SELECT webhook_id FROM ${D} WHERE ${where})`, params },
    { text: `DELETE FROM ${D} WHERE ${where} RETURNING webhook_id`, params }
  ],
  transaction: true,
  read: (results) => results[1]?.length ?? 0
})

/**
 * The write-ahead log to fsync before a delivery is answered, when the connection commits without doing so itself
 * (WAL mode below `synchronous = FULL`, better-sqlite3's default): undefined when SQLite syncs every commit (FULL,
 * EXTRA), keeps no log file (in memory, other journal modes: they sync at commit), or cannot say.
 */
const walToSync = (results: ReadonlyArray<ReadonlyArray<SqlRow>>): string | undefined => {
  const journal = results[0]?.[0]?.["journal_mode"]
  const synchronous = results[1]?.[0]?.["synchronous"]
  const file = results[2]?.find((database) => database["name"] === "main")?.["file"]
  return typeof journal === "string" && journal.toLowerCase() === "wal" && shared.num(synchronous) < 2 &&
      typeof file === "string" && file !== ""
    ? `${file}-wal`
    : undefined
}

/** The file of the database `main` (PRAGMA database_list), or undefined for one in memory or a temporary one. */
const mainFile = (results: ReadonlyArray<ReadonlyArray<SqlRow>>): string | undefined => {
  const file = results[0]?.find((database) => database["name"] === "main")?.["file"]
  return typeof file === "string" && file !== "" ? file : undefined
}

export const sqlite: Dialect = {
  name: "sqlite",
  migrations: [...shared.migrations(shared.SQLITE_ATTEMPT_TRIGGERS), counts.migration.sqlite, trace.migration],
  latestMigration: trace.TRACE_MIGRATION,
  migrationsTable: undefined,
  migrated: shared.migrated,
  durability: {
    statements: [
      { text: "PRAGMA journal_mode", params: shared.none },
      { text: "PRAGMA synchronous", params: shared.none },
      { text: "PRAGMA database_list", params: shared.none }
    ],
    transaction: false,
    read: walToSync
  },
  file: { statements: [{ text: "PRAGMA database_list", params: shared.none }], transaction: false, read: mainFile },
  claim: { text: shared.claimInsert(shared.CLAIM_VALUES), params: shared.claimParams, read: shared.claimed },
  settle: {
    text: shared.settleUpdate(shared.SETTLE_PLACEHOLDERS, "", "webhook_id"),
    params: shared.settleParams,
    read: shared.changed
  },
  enqueue: { text: shared.enqueueInsert(shared.ENQUEUE_VALUES), params: shared.enqueueParams, read: shared.changed },
  batch: undefined,
  take: { text: shared.takeUpdate(""), params: shared.takeParams, read: shared.taken },
  purge: deleteWithAttempts(shared.EXPIRED, (p) => [p.doneBefore, p.deadBefore]),
  discard: deleteWithAttempts(shared.DISCARDABLE, (id: string) => [id]),
  ...shared.common((text) => text),
  stats: counts.sqliteStats
}
