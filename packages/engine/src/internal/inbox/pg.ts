/**
 * PostgreSQL's dialect: the shared statements with their `?` numbered `$1`, `$2`, ...; a delivery's row and its
 * attempt's row changed in one statement (a data-modifying CTE: `startAttempts`, `endAttempts`); workers' takes
 * skip the rows another worker is taking (`FOR UPDATE SKIP LOCKED`); and a group commit's writes as one multi-row
 * statement per kind, over arrays (`unnest`), so that one text serves every batch size.
 *
 * @internal
 */
import type { Claim, Dialect, Enqueue, Script, Settle, SqlRow } from "../../InboxSql.js"
import * as counts from "./counts.js"
import * as shared from "./shared.js"
import * as trace from "./trace.js"

const D = shared.DELIVERIES
const A = shared.ATTEMPTS

/** `?` placeholders numbered in order: `$1`, `$2`, ... (no statement here holds a `?` of another kind). */
export const numbered = (text: string): string => {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}

/**
 * An attempt starts for every row the CTE `source` claimed or took (`webhook_id, attempts, updated_at`): SQLite's
 * triggers `_inserted` and `_started`, as one rule.
 */
const startAttempts = (source: string) =>
  `INSERT INTO ${A} (webhook_id, attempt, started_at)
SELECT webhook_id, attempts, updated_at FROM ${source}
ON CONFLICT (webhook_id, attempt) DO NOTHING`

/**
 * The attempt of every row the CTE `source` settled ends, at the row's `updated_at`, with its `last_outcome` and
 * `last_error`: SQLite's trigger `_ended`, as one rule, for one settle and for many.
 */
const endAttempts = (source: string) =>
  `UPDATE ${A} SET ended_at = ${source}.updated_at, outcome = ${source}.last_outcome, error = ${source}.last_error,
  duration_ms = ${source}.updated_at - ${A}.started_at
FROM ${source}
WHERE ${A}.webhook_id = ${source}.webhook_id AND ${A}.attempt = ${source}.attempts`

/** What a settle returns for {@link endAttempts}. */
const SETTLED = `${D}.webhook_id, ${D}.attempts, ${D}.updated_at, ${D}.last_outcome, ${D}.last_error`

/** Deletes the deliveries `where` selects with their attempts, in one statement; how many deliveries. */
const deleteWithAttempts = <I>(where: string, params: (input: I) => ReadonlyArray<unknown>): Script<I, number> => ({
  statements: [{
    text: numbered(`WITH gone AS (DELETE FROM ${D} WHERE ${where} RETURNING webhook_id),
attempts AS (DELETE FROM ${A} WHERE webhook_id IN (SELECT webhook_id FROM gone))
SELECT COUNT(*) AS deleted FROM gone`),
    params
  }],
  transaction: false,
  read: (results) => shared.num(results[0]?.[0]?.["deleted"] ?? 0)
})

const byId = <A>(rows: ReadonlyArray<SqlRow>, value: (row: SqlRow) => A): ReadonlyMap<string, A> =>
  new Map(rows.map((row) => [row["webhook_id"] as string, value(row)]))

export const pg: Dialect = {
  name: "pg",
  migrations: [...shared.migrations([]), counts.migration.pg, trace.migration],
  latestMigration: trace.TRACE_MIGRATION,
  migrationsTable: `CREATE TABLE IF NOT EXISTS ${shared.MIGRATIONS} (
  migration_id integer primary key,
  created_at timestamp with time zone not null default now(),
  name text not null
)`,
  migrated: shared.migrated,
  // Every commit is durable when it returns (with PostgreSQL's `synchronous_commit` on, its default).
  durability: undefined,
  file: undefined,
  claim: {
    text: numbered(`WITH claimed AS (${shared.claimInsert(shared.CLAIM_VALUES)}),
started AS (${startAttempts("claimed")})
SELECT webhook_id, attempts FROM claimed`),
    params: shared.claimParams,
    read: shared.claimed
  },
  settle: {
    text: numbered(`WITH settled AS (${shared.settleUpdate(shared.SETTLE_PLACEHOLDERS, "", SETTLED)}),
ended AS (${endAttempts("settled")})
SELECT webhook_id FROM settled`),
    params: shared.settleParams,
    read: shared.changed
  },
  enqueue: {
    text: numbered(shared.enqueueInsert(shared.ENQUEUE_VALUES)),
    params: shared.enqueueParams,
    read: shared.changed
  },
  batch: {
    claim: {
      text: `WITH claimed AS (${
        shared.claimInsert(`SELECT id, event_type, webhook_timestamp, body, 'processing', 1, locked_until, now, now
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[])
  AS input(id, event_type, webhook_timestamp, body, locked_until, now)`)
      }),
started AS (${startAttempts("claimed")})
SELECT webhook_id, attempts FROM claimed`,
      params: (claims: ReadonlyArray<Claim>) => [
        claims.map((c) => c.id),
        claims.map((c) => shared.storable(c.eventType)),
        claims.map((c) => c.timestamp),
        claims.map((c) => c.body),
        claims.map((c) => c.lockedUntil),
        claims.map((c) => c.now)
      ],
      read: (rows) => byId(rows, (row) => shared.num(row["attempts"]))
    },
    settle: {
      text: `WITH input AS (
  SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
    AS input(id, token, status, error, next_attempt_at, outcome, now)
), settled AS (${
        shared.settleUpdate({
          status: "input.status",
          error: "input.error",
          outcome: "input.outcome",
          nextAttemptAt: "input.next_attempt_at",
          now: "input.now",
          id: "input.id",
          token: "input.token"
        }, "\nFROM input", SETTLED)
      }),
ended AS (${endAttempts("settled")})
SELECT webhook_id FROM settled`,
      params: (settles: ReadonlyArray<Settle>) => [
        settles.map((s) => s.id),
        settles.map((s) => s.token),
        settles.map((s) => s.status),
        settles.map((s) => s.error),
        settles.map((s) => s.nextAttemptAt),
        settles.map((s) => s.outcome),
        settles.map((s) => s.now)
      ],
      read: (rows) => byId(rows, () => true as const)
    },
    enqueue: {
      text: shared.enqueueInsert(`SELECT id, event_type, webhook_timestamp, body, 'pending', 0, now, now, now,
  traceparent
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[])
  AS input(id, event_type, webhook_timestamp, body, now, traceparent)`),
      params: (enqueues: ReadonlyArray<Enqueue>) => [
        enqueues.map((e) => e.id),
        enqueues.map((e) => shared.storable(e.eventType)),
        enqueues.map((e) => e.timestamp),
        enqueues.map((e) => e.body),
        enqueues.map((e) => e.now),
        enqueues.map((e) => e.traceparent ?? null)
      ],
      read: (rows) => byId(rows, () => true as const)
    }
  },
  take: {
    text: numbered(`WITH taken AS (${shared.takeUpdate("\n  FOR UPDATE SKIP LOCKED")}),
started AS (${startAttempts("taken")})
SELECT webhook_id, event_type, webhook_timestamp, body, attempts, next_attempt_at, traceparent FROM taken`),
    params: shared.takeParams,
    read: shared.taken
  },
  purge: deleteWithAttempts(shared.EXPIRED, (p) => [p.doneBefore, p.deadBefore]),
  discard: deleteWithAttempts(shared.DISCARDABLE, (id: string) => [id]),
  ...shared.common(numbered),
  stats: counts.pgStats
}
