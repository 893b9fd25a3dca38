/**
 * What both dialects share: the tables, the migrations, the rules every delivery's row follows (claim, settle,
 * enqueue, take, renew) written once with `?` placeholders (PostgreSQL's object numbers them), and the reading of
 * the rows the statements return into the log's plain values.
 *
 * @internal
 */
import type {
  Attempt,
  AttemptOutcome,
  BatchPlan,
  Claim,
  DeliveryRecord,
  Dialect,
  Enqueue,
  ListFilter,
  ListPage,
  Migration,
  Query,
  RecoverFilter,
  Settle,
  SqlRow,
  Stats,
  Status,
  Take,
  Taken,
  TimelineBucket,
  TimelineRange,
  WriteKind
} from "../../InboxSql.js"
import { encodeCursor, statuses } from "./log.js"

// The vocabulary.

export { statuses }

export const attemptOutcomes: ReadonlyArray<AttemptOutcome> = ["processed", "failed", "timed_out", "interrupted"]

export const legacyFailed = "released" as const

export const statusOf = (stored: string): Status => (stored === legacyFailed ? "failed" : stored as Status)

export const zeroCounts = (): Record<Status, number> => ({ processing: 0, done: 0, failed: 0, pending: 0, dead: 0 })

export const storable = (eventType: string): string =>
  eventType.includes("\u0000") ? eventType.replaceAll("\u0000", "\uFFFD") : eventType

/** A column's value as a number: PostgreSQL's driver returns BIGINT and COUNT as text. */
export const num = (value: unknown): number => (typeof value === "number" ? value : Number(value))

// The tables.

export const DELIVERIES = "openai_webhook_deliveries" as const
export const ATTEMPTS = "openai_webhook_attempts" as const
export const MIGRATIONS = "effect_openai_webhooks_migrations" as const

const D = DELIVERIES
const A = ATTEMPTS
/** The column of a delivery's replayed attempts (migration 4). */
const REPLAYED = "replayed_attempts"
/**
 * The `SET` of a replay or a recovery: the attempt it leads to (the next take counts `attempts` up by one) joins the
 * delivery's replayed ones.
 */
const MARK_REPLAYED = `${REPLAYED} = COALESCE(${REPLAYED} || ',', '') || CAST(attempts + 1 AS TEXT)`

/**
 * SQLite: an attempt starts and ends in the very statement that claims, takes or settles its delivery, by
 * trigger. SQLite has no data-modifying CTE (PostgreSQL's way), and a transaction of two statements per step
 * halved the inbox's throughput (measured, `bench/inbox.ts`); a trigger costs a row write. The rules:
 * - started: a row becomes `processing` with a new attempt number (an insert, a claim, a take, a takeover): the
 *   attempt `(webhook_id, attempts)` starts at the row's `updated_at`;
 * - ended: a settle moves it out of `processing` and says how (`last_outcome`, set by the settle only: a replay
 *   or a recovery of a delivery whose holder died leaves that attempt unended, as it was): the attempt ends at
 *   the row's `updated_at` with its `last_outcome` and `last_error`.
 * PostgreSQL's dialect states the same two rules once each, as the CTEs `startAttempts` and `endAttempts`.
 */
export const SQLITE_ATTEMPT_TRIGGERS: ReadonlyArray<string> = [
  `CREATE TRIGGER IF NOT EXISTS ${A}_inserted AFTER INSERT ON ${D}
WHEN NEW.status = 'processing'
BEGIN
  INSERT OR IGNORE INTO ${A} (webhook_id, attempt, started_at)
  VALUES (NEW.webhook_id, NEW.attempts, NEW.updated_at);
END`,
  `CREATE TRIGGER IF NOT EXISTS ${A}_started AFTER UPDATE OF attempts ON ${D}
WHEN NEW.status = 'processing' AND NEW.attempts > OLD.attempts
BEGIN
  INSERT OR IGNORE INTO ${A} (webhook_id, attempt, started_at)
  VALUES (NEW.webhook_id, NEW.attempts, NEW.updated_at);
END`,
  `CREATE TRIGGER IF NOT EXISTS ${A}_ended AFTER UPDATE OF status ON ${D}
WHEN OLD.status = 'processing' AND NEW.status <> 'processing' AND NEW.last_outcome IS NOT NULL
BEGIN
  UPDATE ${A} SET ended_at = NEW.updated_at, outcome = NEW.last_outcome, error = NEW.last_error,
    duration_ms = NEW.updated_at - started_at
  WHERE webhook_id = NEW.webhook_id AND attempt = OLD.attempts;
END`
]

/**
 * The migrations, as shipped (their ids and names are what stores made by earlier versions recorded): the third
 * adds SQLite's triggers on SQLite only.
 */
export const migrations = (triggers: ReadonlyArray<string>): ReadonlyArray<Migration> => [
  {
    id: 1,
    name: "create_deliveries",
    statements: [
      `CREATE TABLE IF NOT EXISTS ${D} (
  webhook_id TEXT PRIMARY KEY,
  event_type TEXT,
  webhook_timestamp BIGINT,
  body TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT,
  next_attempt_at BIGINT,
  last_error TEXT,
  received_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)`,
      `CREATE INDEX IF NOT EXISTS ${D}_due ON ${D} (status, next_attempt_at)`
    ]
  },
  {
    // The delivery log: `released` is called `failed` from now on (no row is lost or moved), every attempt has a
    // row, and the newest-first list walks an index.
    id: 2,
    name: "delivery_log",
    statements: [
      `UPDATE ${D} SET status = 'failed' WHERE status = '${legacyFailed}'`,
      `CREATE TABLE IF NOT EXISTS ${A} (
  webhook_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  outcome TEXT,
  error TEXT,
  duration_ms INTEGER,
  PRIMARY KEY (webhook_id, attempt)
)`,
      `CREATE INDEX IF NOT EXISTS ${D}_received ON ${D} (received_at, webhook_id)`
    ]
  },
  {
    // Attempts in the statement of their delivery. `last_outcome` is the outcome of the attempt a settle ends
    // (null while one runs): the rule that ends the attempt reads it there. (A migration of its own: stores made
    // by the first builds of the log have migration 2 without it.)
    id: 3,
    name: "attempt_outcome",
    statements: [`ALTER TABLE ${D} ADD COLUMN last_outcome TEXT`, ...triggers]
  },
  {
    // Which attempts a replay or a recovery made (the inspector marks them): the numbers, comma-separated, of the
    // attempts that followed each one. A column, not a table: a replay stays one statement, as it was.
    id: 4,
    name: "replay_marks",
    statements: [`ALTER TABLE ${D} ADD COLUMN ${REPLAYED} TEXT`]
  }
]


export const migrated: Query<void, number> = {
  text: `SELECT MAX(migration_id) AS id FROM ${MIGRATIONS}`,
  params: () => [],
  read: (rows) => num(rows[0]?.["id"] ?? 0)
}

// The rules of a delivery's row, written once. `source` is where the rows come from (`VALUES (?, ...)` for one,
// a `SELECT` for many); the values are placeholders or columns of that source.

const CLAIM_COLUMNS = "webhook_id, event_type, webhook_timestamp, body, status, attempts, locked_until, received_at, " +
  "updated_at"

/**
 * Claim (inline): takes the id unless it is done, dead or held by a live lease; its row (and so its token, the new
 * `attempts`), or none. The body stored already is kept. `released`: what an instance of the version before the
 * log writes for `failed`; one may still run beside this one during a rolling upgrade, and its released
 * deliveries must stay claimable.
 */
export const claimInsert = (source: string): string =>
  `INSERT INTO ${D} (${CLAIM_COLUMNS})
${source}
ON CONFLICT (webhook_id) DO UPDATE SET status = 'processing', locked_until = excluded.locked_until,
  attempts = ${D}.attempts + 1, body = COALESCE(${D}.body, excluded.body), last_outcome = NULL,
  updated_at = excluded.updated_at
WHERE ${D}.status IN ('failed', '${legacyFailed}', 'pending')
  OR (${D}.status = 'processing' AND ${D}.locked_until <= excluded.updated_at)
RETURNING webhook_id, attempts, updated_at`

/** One claim's row: its parameters are {@link claimParams}. */
export const CLAIM_VALUES = "VALUES (?, ?, ?, ?, 'processing', 1, ?, ?, ?)"

export const claimParams = (c: Claim): ReadonlyArray<unknown> => [
  c.id,
  storable(c.eventType),
  c.timestamp,
  c.body,
  c.lockedUntil,
  c.now,
  c.now
]

/** A claim's token from its statement's rows: the attempt it started, or null when it did not claim. */
export const claimed = (rows: ReadonlyArray<SqlRow>): number | null => {
  const row = rows[0]
  return row === undefined ? null : num(row["attempts"])
}

const ENQUEUE_COLUMNS = "webhook_id, event_type, webhook_timestamp, body, status, attempts, next_attempt_at, " +
  "received_at, updated_at, traceparent"

/**
 * Enqueue (queued): stores a verified delivery, due now; no row when its id is known (and not given back failed).
 */
export const enqueueInsert = (source: string): string =>
  `INSERT INTO ${D} (${ENQUEUE_COLUMNS})
${source}
ON CONFLICT (webhook_id) DO UPDATE SET status = 'pending', body = excluded.body,
  next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at, traceparent = excluded.traceparent
WHERE ${D}.status IN ('failed', '${legacyFailed}')
RETURNING webhook_id`

export const ENQUEUE_VALUES = "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)"

export const enqueueParams = (e: Enqueue): ReadonlyArray<unknown> => [
  e.id,
  storable(e.eventType),
  e.timestamp,
  e.body,
  e.now,
  e.now,
  e.now,
  e.traceparent ?? null
]

/**
 * A batch split by kind: the first write of each id in its kind's statement, ordered by id, so that two instances'
 * batches lock the same rows in the same order; a repeated id later, alone.
 */
export const planBatch = (writes: ReadonlyArray<{ readonly kind: WriteKind; readonly id: string }>): BatchPlan => {
  const plan = { claim: [] as Array<number>, settle: [] as Array<number>, enqueue: [] as Array<number> }
  const seen = { claim: new Set<string>(), settle: new Set<string>(), enqueue: new Set<string>() }
  const later: Array<number> = []
  writes.forEach((write, i) => {
    if (seen[write.kind].has(write.id)) later.push(i)
    else {
      seen[write.kind].add(write.id)
      plan[write.kind].push(i)
    }
  })
  const idOf = (i: number) => writes[i]!.id
  const byId = (a: number, b: number) => idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0
  return { claim: plan.claim.sort(byId), settle: plan.settle.sort(byId), enqueue: plan.enqueue.sort(byId), later }
}

/** Whether a statement changed a row (it returns the rows it changed). */
export const changed = (rows: ReadonlyArray<SqlRow>): boolean => rows.length > 0

/**
 * Settle: ends a claim or a worker's lease, only if `token` still holds it: one statement for every outcome. No
 * row when it no longer holds it: then nothing is written (the delivery is its new holder's). `v` names the
 * values: placeholders for one, the columns of the input for many.
 */
export const settleUpdate = (
  v: {
    readonly status: string
    readonly error: string
    readonly outcome: string
    readonly nextAttemptAt: string
    readonly now: string
    readonly id: string
    readonly token: string
  },
  from: string,
  returning: string
): string =>
  `UPDATE ${D} SET status = ${v.status}, locked_until = NULL, last_error = ${v.error},
  last_outcome = ${v.outcome}, next_attempt_at = COALESCE(${v.nextAttemptAt}, ${D}.next_attempt_at),
  updated_at = ${v.now}${from}
WHERE ${D}.webhook_id = ${v.id} AND ${D}.status = 'processing' AND ${D}.attempts = ${v.token}
RETURNING ${returning}`

/** One settle's placeholders, in the order of {@link settleParams}. */
export const SETTLE_PLACEHOLDERS = {
  status: "?",
  error: "?",
  outcome: "?",
  nextAttemptAt: "?",
  now: "?",
  id: "?",
  token: "?"
} as const

export const settleParams = (s: Settle): ReadonlyArray<unknown> => [
  s.status,
  s.error,
  s.outcome,
  s.nextAttemptAt,
  s.now,
  s.id,
  s.token
]

/**
 * Take (queued): leases up to `max` due deliveries in one statement and starts an attempt of each. The subquery
 * picks the oldest due rows (`lock`: PostgreSQL locks them, skipping those another worker holds). Due: pending
 * and its time has come, or processing under a lease that expired (its holder died); with a body.
 */
export const takeUpdate = (lock: string): string =>
  `UPDATE ${D} SET status = 'processing', locked_until = ?, attempts = attempts + 1, last_outcome = NULL,
  updated_at = ?
WHERE webhook_id IN (
  SELECT webhook_id FROM ${D}
  WHERE body IS NOT NULL AND (
    (status = 'pending' AND next_attempt_at <= ?) OR (status = 'processing' AND locked_until <= ?)
  )
  ORDER BY next_attempt_at
  LIMIT ?${lock}
)
RETURNING webhook_id, event_type, webhook_timestamp, body, attempts, next_attempt_at, updated_at, traceparent`

/**
 * The rows a take leased, oldest due first, as the subquery chose them: RETURNING has no order on either engine
 * (a takeover of an inline claim has no next_attempt_at: last, as PostgreSQL orders NULL).
 */
export const taken = (rows: ReadonlyArray<SqlRow>): ReadonlyArray<Taken> =>
  rows.map((row) => ({
    webhookId: row["webhook_id"] as string,
    eventType: row["event_type"] as string | null,
    webhookTimestamp: num(row["webhook_timestamp"]),
    body: row["body"] as string,
    attempts: num(row["attempts"]),
    // Only when there is one: a row queued without a trace, or by a version before the column, has none.
    ...(row["traceparent"] == null ? {} : { traceparent: row["traceparent"] as string }),
    due: row["next_attempt_at"] == null ? Number.POSITIVE_INFINITY : num(row["next_attempt_at"])
  })).sort((a, b) => a.due - b.due).map(({ due: _, ...row }) => row)

export const takeParams = (t: Take): ReadonlyArray<unknown> => [t.lockedUntil, t.now, t.now, t.now, Math.floor(t.max)]

export const RENEW = `UPDATE ${D} SET locked_until = ?
WHERE webhook_id = ? AND status = 'processing' AND attempts = ?
RETURNING webhook_id`

export const STATUS = `SELECT status FROM ${D} WHERE webhook_id = ?`

/** Handled deliveries past the retention, dead ones past the dead retention: parameters `[doneBefore, deadBefore]`. */
export const EXPIRED = `(status IN ('done', 'failed', '${legacyFailed}') AND updated_at < ?)
  OR (status = 'dead' AND updated_at < ?)`

/** Only dead letters are discarded: parameter `[id]`. */
export const DISCARDABLE = "webhook_id = ? AND status = 'dead'"

// The delivery log.

const RECORD_COLUMNS =
  "webhook_id, event_type, webhook_timestamp, received_at, updated_at, status, attempts, last_error, next_attempt_at"

export const record = (row: SqlRow): DeliveryRecord => {
  const status = statusOf(row["status"] as string)
  const next = row["next_attempt_at"]
  return {
    webhookId: row["webhook_id"] as string,
    eventType: row["event_type"] as string | null,
    timestamp: new Date(num(row["webhook_timestamp"]) * 1000),
    receivedAt: new Date(num(row["received_at"])),
    updatedAt: new Date(num(row["updated_at"])),
    status,
    attempts: num(row["attempts"]),
    lastError: row["last_error"] as string | null,
    nextAttemptAt: status === "pending" && next != null ? new Date(num(next)) : null
  }
}

const attempt = (row: SqlRow): Attempt => ({
  attempt: num(row["attempt"]),
  startedAt: new Date(num(row["started_at"])),
  endedAt: row["ended_at"] == null ? null : new Date(num(row["ended_at"])),
  outcome: row["outcome"] as AttemptOutcome | null,
  error: row["error"] as string | null,
  durationMs: row["duration_ms"] == null ? null : num(row["duration_ms"]),
  ...(num(row["replayed"]) === 1 ? { replayed: true as const } : {})
})

export const GET = `SELECT ${RECORD_COLUMNS}, body FROM ${D}
WHERE webhook_id = ?`

export const found = (rows: ReadonlyArray<SqlRow>) => {
  const row = rows[0]
  return row === undefined ? undefined : { record: record(row), body: row["body"] as string | null }
}

/** A delivery's attempts, each with whether a replay or a recovery made it: `[id, id]`. */
export const HISTORY = `SELECT attempt, started_at, ended_at, outcome, error, duration_ms,
  CASE WHEN (',' || (SELECT ${REPLAYED} FROM ${D} WHERE webhook_id = ?) || ',')
    LIKE ('%,' || CAST(attempt AS TEXT) || ',%') THEN 1 ELSE 0 END AS replayed
FROM ${A} WHERE webhook_id = ? ORDER BY attempt`

export const history = (rows: ReadonlyArray<SqlRow>): ReadonlyArray<Attempt> => rows.map(attempt)

/** Makes a delivery pending and due now, unless a live holder runs it or it has no body: `[now, now, id, now]`. */
export const REPLAY = `UPDATE ${D}
SET status = 'pending', next_attempt_at = ?, locked_until = NULL, updated_at = ?, ${MARK_REPLAYED}
WHERE webhook_id = ? AND body IS NOT NULL AND NOT (status = 'processing' AND COALESCE(locked_until, 0) > ?)
RETURNING webhook_id`

/** Why a replay or a discard did not change `id`: its status, whether a live lease holds it, whether it has a body. */
export const INSPECT = `SELECT status, locked_until,
  CASE WHEN body IS NULL THEN 0 ELSE 1 END AS has_body FROM ${D} WHERE webhook_id = ?`

export const inspected = (rows: ReadonlyArray<SqlRow>, now: number) => {
  const row = rows[0]
  if (row === undefined) return undefined
  const lockedUntil = row["locked_until"]
  return {
    status: statusOf(row["status"] as string),
    locked: lockedUntil != null && num(lockedUntil) > now,
    body: num(row["has_body"]) === 1
  }
}

/** One page of the list, with `?` placeholders; its parameters, in their order. */
export const list = (filter: ListFilter): { readonly text: string; readonly params: ReadonlyArray<unknown> } => {
  const where: Array<string> = []
  const params: Array<unknown> = []
  if (filter.statuses !== undefined) {
    const stored = filter.statuses.includes("failed") ? [...filter.statuses, legacyFailed] : filter.statuses
    where.push(`status IN (${stored.map(() => "?").join(", ")})`)
    params.push(...stored)
  }
  if (filter.eventType !== undefined) {
    // Compared as it is, not with LIKE (SQLite's ignores case, and `_` and `%` would be patterns) nor with a range
    // (PostgreSQL orders text by its locale, where `.` may sort anywhere): `substr` counts characters (code
    // points) on both engines.
    if (filter.prefix) {
      where.push("substr(event_type, 1, ?) = ?")
      params.push(Array.from(filter.eventType).length, filter.eventType)
    } else {
      where.push("event_type = ?")
      params.push(filter.eventType)
    }
  }
  if (filter.since !== undefined) {
    where.push("received_at >= ?")
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    where.push("received_at < ?")
    params.push(filter.until)
  }
  if (filter.after !== undefined) {
    where.push("(received_at, webhook_id) < (?, ?)")
    params.push(filter.after[0], filter.after[1])
  }
  params.push(filter.limit + 1)
  return {
    text: `SELECT ${RECORD_COLUMNS} FROM ${D} WHERE ${where.length === 0 ? "1=1" : where.join(" AND ")}
ORDER BY received_at DESC, webhook_id DESC
LIMIT ?`,
    params
  }
}

/** The page from one row more than the page holds: that row says whether a next page exists. */
export const page = (rows: ReadonlyArray<SqlRow>, limit: number): ListPage => {
  const deliveries = rows.slice(0, limit).map(record)
  const last = deliveries[deliveries.length - 1]
  return {
    deliveries,
    next: rows.length > limit && last !== undefined ? encodeCursor(last.receivedAt.getTime(), last.webhookId) : null
  }
}

/** Replays every failed or dead delivery received in the window, with `?` placeholders: `[now, now, since, until]`. */
export const recover = (
  filter: RecoverFilter,
  now: number
): { readonly text: string; readonly params: ReadonlyArray<unknown> } => {
  const which: Array<string> = []
  // Failed: inline, given back for OpenAI's retry; queued, waiting on the schedule after a failure.
  if (filter.failed) {
    which.push(`status IN ('failed', '${legacyFailed}')`, "(status = 'pending' AND last_error IS NOT NULL)")
  }
  if (filter.dead) which.push("status = 'dead'")
  return {
    text: `UPDATE ${D}
SET status = 'pending', next_attempt_at = ?, locked_until = NULL, updated_at = ?, ${MARK_REPLAYED}
WHERE received_at >= ? AND received_at < ? AND body IS NOT NULL AND (${which.length === 0 ? "1=1" : which.join(" OR ")})
RETURNING webhook_id`,
    params: [now, now, filter.since, filter.until]
  }
}

/**
 * The counts by event type and status, counted over every delivery: what the counts the database keeps
 * (`counts.ts`) must always equal. Not read by the stats, whose cost would grow with the table: by tests.
 */
export const STATS_GROUPS = `SELECT event_type, status, COUNT(*) AS count FROM ${D} GROUP BY event_type, status`

export const stats = (groups: ReadonlyArray<SqlRow>, oldest: ReadonlyArray<SqlRow>, now: number): Stats => {
  const byStatus = zeroCounts()
  const byType = new Map<string, { eventType: string | null; status: Status; count: number }>()
  for (const group of groups) {
    const status = statusOf(group["status"] as string)
    const count = num(group["count"])
    const eventType = group["event_type"] as string | null
    byStatus[status] += count
    const key = JSON.stringify([eventType, status])
    const known = byType.get(key)
    if (known === undefined) byType.set(key, { eventType, status, count })
    else known.count += count
  }
  const byEventType = Array.from(byType.values()).sort((a, b) =>
    (a.eventType ?? "") < (b.eventType ?? "") ? -1 : (a.eventType ?? "") > (b.eventType ?? "") ? 1 :
    statuses.indexOf(a.status) - statuses.indexOf(b.status)
  )
  const first = oldest[0]?.["oldest"]
  return { byStatus, byEventType, oldestPendingAgeMs: first == null ? null : Math.max(0, now - num(first)) }
}

/** Counts per bucket and status: `[bucketMs, first, end]`. */
export const TIMELINE = `SELECT
  CAST(received_at / ? AS BIGINT) AS bucket, status, COUNT(*) AS count
FROM ${D} WHERE received_at >= ? AND received_at < ?
GROUP BY 1, 2`

export const timelineParams = (range: TimelineRange): ReadonlyArray<unknown> => [
  range.bucketMs,
  range.first,
  range.first + range.count * range.bucketMs
]

export const timeline = (rows: ReadonlyArray<SqlRow>, range: TimelineRange): ReadonlyArray<TimelineBucket> => {
  const { bucketMs, count, first } = range
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: new Date(first + i * bucketMs),
    counts: zeroCounts()
  }))
  for (const row of rows) {
    const bucket = buckets[num(row["bucket"]) - first / bucketMs]
    if (bucket !== undefined) bucket.counts[statusOf(row["status"] as string)] += num(row["count"])
  }
  return buckets
}

export const none = (): ReadonlyArray<unknown> => []

/**
 * The statements both dialects write alike, in their placeholders (`placeholders` turns the `?` of a text into
 * the dialect's): renewal, status and the delivery log's.
 */
export const common = (placeholders: (text: string) => string): Pick<
  Dialect,
  "renew" | "status" | "list" | "get" | "history" | "replay" | "inspect" | "recover" | "timeline"
> => ({
  renew: { text: placeholders(RENEW), params: (r) => [r.lockedUntil, r.id, r.token], read: changed },
  status: {
    text: placeholders(STATUS),
    params: (id) => [id],
    read: (rows) => rows[0] === undefined ? undefined : statusOf(rows[0]["status"] as string)
  },
  list: (filter) => {
    const { params, text } = list(filter)
    return { text: placeholders(text), params, read: (rows) => page(rows, filter.limit) }
  },
  get: { text: placeholders(GET), params: (id) => [id], read: found },
  history: { text: placeholders(HISTORY), params: (id) => [id, id], read: history },
  replay: { text: placeholders(REPLAY), params: (r) => [r.now, r.now, r.id, r.now], read: changed },
  inspect: { text: placeholders(INSPECT), params: (r) => [r.id], read: (rows, r) => inspected(rows, r.now) },
  recover: (filter, now) => {
    const { params, text } = recover(filter, now)
    return { text: placeholders(text), params, read: (rows) => rows.length }
  },
  timeline: { text: placeholders(TIMELINE), params: timelineParams, read: timeline }
})

/** The bound on the key, `webhook-id` (see `ids.ts`). */
export { idTooLong } from "./ids.js"
