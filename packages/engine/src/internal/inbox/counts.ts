/**
 * The inbox's counts by event type and status, kept as the deliveries change rather than counted at each read: a
 * `/metrics` scrape, the inspector's header and `inbox stats` read a table of a few rows, whatever the number of
 * deliveries. A `GROUP BY` over the deliveries took a 250,000-row SQLite store's deliveries from 3,423/s to 131/s
 * with one client looping on `/metrics` (issue 18).
 *
 * The database keeps them, by trigger, in the statement that changes a delivery's row: every writer is counted,
 * an instance of an earlier version during a rolling upgrade and a hand-written `UPDATE` included, and a count can
 * never part from the rows it counts (a rolled-back write rolls its count back).
 * - SQLite (one writer at a time): one row per event type and status, changed in place by row-level triggers.
 * - PostgreSQL (writers in parallel): one row in place would be a lock every delivery's transaction takes, in
 *   whatever order its statements reach the rows: two instances' group commits would queue behind each other and
 *   could deadlock. Statement-level triggers append each statement's changes instead (its transition tables,
 *   grouped: a row per event type and status that changed), which takes no lock another writer waits for; a read
 *   folds them into one row each, under an advisory lock so that two readers never fold the same rows.
 *
 * The event type is keyed as `t<type>`, or `n` for a delivery stored without one: a key column cannot be null.
 * The oldest waiting delivery is read from an index on `(status, received_at)`: one step of the index per status.
 *
 * @internal
 */
import type { Migration, Script, SqlRow, Stats } from "../../InboxSql.js"
import * as shared from "./shared.js"

const D = shared.DELIVERIES

/** The counts' table. */
export const COUNTS = "openai_webhook_counts" as const
const C = COUNTS

/** The migration that adds the counts and the index of waiting deliveries: its id. */
export const COUNTS_MIGRATION = 5

/** `row`'s key of its event type (`row` is `NEW`, `OLD` or a table): `t<type>`, or `n` for none. */
const keyOf = (row: string) => `CASE WHEN ${row}.event_type IS NULL THEN 'n' ELSE 't' || ${row}.event_type END`

const INDEX = `CREATE INDEX IF NOT EXISTS ${D}_waiting ON ${D} (status, received_at)`

/** The counts as they are when the migration runs, in its transaction: after the triggers, so that none is missed. */
const SEED = `INSERT INTO ${C} (type_key, status, deliveries)
SELECT ${keyOf(D)}, status, COUNT(*) FROM ${D} GROUP BY 1, 2`

const sqliteAdd = (row: string, delta: "+ 1" | "- 1") =>
  `INSERT INTO ${C} (type_key, status, deliveries) VALUES (${keyOf(row)}, ${row}.status, 0 ${delta})
  ON CONFLICT (type_key, status) DO UPDATE SET deliveries = deliveries ${delta};`

/**
 * The counts' migration: the table (`deliveries` of `type`, then `key`: SQLite's primary key, PostgreSQL's none),
 * the triggers, and the seed after them in the same transaction.
 */
const countsMigration = (type: "INTEGER" | "BIGINT", key: string, triggers: ReadonlyArray<string>): Migration => ({
  id: COUNTS_MIGRATION,
  name: "delivery_counts",
  statements: [
    `CREATE TABLE IF NOT EXISTS ${C} (
  type_key TEXT NOT NULL,
  status TEXT NOT NULL,
  deliveries ${type} NOT NULL${key}
)`,
    ...triggers,
    `DELETE FROM ${C}`,
    SEED,
    INDEX
  ]
})

const sqliteMigration = countsMigration("INTEGER", ",\n  PRIMARY KEY (type_key, status)", [
  `CREATE TRIGGER IF NOT EXISTS ${C}_inserted AFTER INSERT ON ${D}
BEGIN
  ${sqliteAdd("NEW", "+ 1")}
END`,
  `CREATE TRIGGER IF NOT EXISTS ${C}_updated AFTER UPDATE OF status, event_type ON ${D}
WHEN OLD.status IS NOT NEW.status OR OLD.event_type IS NOT NEW.event_type
BEGIN
  ${sqliteAdd("OLD", "- 1")}
  ${sqliteAdd("NEW", "+ 1")}
END`,
  `CREATE TRIGGER IF NOT EXISTS ${C}_deleted AFTER DELETE ON ${D}
BEGIN
  ${sqliteAdd("OLD", "- 1")}
END`
])

/**
 * PostgreSQL: one function for the three statement-level triggers (a trigger with transition tables has one
 * event). An update that changes no row's key or status (a lease renewed) appends nothing.
 */
const PG_FUNCTION = `CREATE OR REPLACE FUNCTION ${C}_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${C} (type_key, status, deliveries)
    SELECT ${keyOf("new_rows")}, status, COUNT(*) FROM new_rows GROUP BY 1, 2;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${C} (type_key, status, deliveries)
    SELECT ${keyOf("old_rows")}, status, -COUNT(*) FROM old_rows GROUP BY 1, 2;
  ELSE
    INSERT INTO ${C} (type_key, status, deliveries)
    SELECT type_key, status, SUM(change) FROM (
      SELECT ${keyOf("old_rows")} AS type_key, status, -1 AS change FROM old_rows
      UNION ALL SELECT ${keyOf("new_rows")}, status, 1 FROM new_rows
    ) AS changes GROUP BY 1, 2 HAVING SUM(change) <> 0;
  END IF;
  RETURN NULL;
END
$$`

const pgTrigger = (event: "INSERT" | "UPDATE" | "DELETE", tables: string) =>
  `CREATE TRIGGER ${C}_${event.toLowerCase()} AFTER ${event} ON ${D}
REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION ${C}_changed()`

// Creating a trigger locks the deliveries against writes until the migration commits: no write falls between the
// triggers and the seed.
const pgMigration = countsMigration("BIGINT", "", [
  PG_FUNCTION,
  pgTrigger("INSERT", "NEW TABLE AS new_rows"),
  pgTrigger("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
  pgTrigger("DELETE", "OLD TABLE AS old_rows")
])

/** The counts migration of each dialect, after the migrations `shared.migrations` lists. */
export const migration = { sqlite: sqliteMigration, pg: pgMigration } as const

/** The counts as the stats read them: `event_type` (null for none), `status`, `count`. */
const GROUPS_COLUMNS = "CASE WHEN type_key = 'n' THEN NULL ELSE substr(type_key, 2) END AS event_type, status, " +
  "deliveries AS count"

/** The oldest waiting delivery: one step of the index `(status, received_at)` per status that waits. */
export const OLDEST = `SELECT MIN(oldest) AS oldest FROM (
  SELECT MIN(received_at) AS oldest FROM ${D} WHERE status = 'pending'
  UNION ALL SELECT MIN(received_at) FROM ${D} WHERE status = 'failed'
  UNION ALL SELECT MIN(received_at) FROM ${D} WHERE status = '${shared.legacyFailed}'
) AS waiting`

/** Any number: the advisory lock of the counts' fold, in the database's one space of such locks. */
const FOLD_LOCK = 0x6f776863

const read = (groups: number) => (results: ReadonlyArray<ReadonlyArray<SqlRow>>, now: number): Stats =>
  shared.stats(results[groups] ?? [], results[groups + 1] ?? [], now)

/** SQLite's stats: the counts as they are, and the oldest waiting delivery. */
export const sqliteStats: Script<number, Stats> = {
  statements: [
    { text: `SELECT ${GROUPS_COLUMNS} FROM ${C} WHERE deliveries <> 0`, params: shared.none },
    { text: OLDEST, params: shared.none }
  ],
  transaction: false,
  read: read(0)
}

/**
 * PostgreSQL's stats: the changes appended since the last read folded into one row per key, and read, in one
 * statement; under the fold's lock, taken before that statement's snapshot, so that a reader beside it (another
 * instance's scrape) sees the rows it folded rather than none of them.
 */
export const pgStats: Script<number, Stats> = {
  statements: [
    { text: `SELECT pg_advisory_xact_lock(${FOLD_LOCK})`, params: shared.none },
    {
      text: `WITH gone AS (DELETE FROM ${C} RETURNING type_key, status, deliveries),
folded AS (SELECT type_key, status, SUM(deliveries)::bigint AS deliveries FROM gone GROUP BY 1, 2),
kept AS (INSERT INTO ${C} (type_key, status, deliveries) SELECT * FROM folded WHERE deliveries <> 0 RETURNING 1)
SELECT ${GROUPS_COLUMNS} FROM folded WHERE deliveries <> 0`,
      params: shared.none
    },
    { text: OLDEST, params: shared.none }
  ],
  transaction: true,
  read: read(1)
}
