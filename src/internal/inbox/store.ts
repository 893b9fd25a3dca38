/**
 * The inbox on `@effect/sql`: one table keyed on `webhook-id`, the same statements on SQLite and
 * PostgreSQL (PostgreSQL adds `FOR UPDATE SKIP LOCKED` where workers take rows). Every claim is one
 * atomic statement (`INSERT ... ON CONFLICT ... DO UPDATE ... WHERE ... RETURNING`): no read-then-write.
 *
 * @internal
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"

export type Mode = "inline" | "queued"

export type Status = "processing" | "done" | "released" | "pending" | "dead"

export const TABLE = "openai_webhook_deliveries"
export const MIGRATIONS_TABLE = "effect_openai_webhooks_migrations"

/** A stored delivery, as a worker takes it. */
export interface Row {
  readonly webhookId: string
  readonly eventType: string | null
  readonly webhookTimestamp: number
  readonly body: string
  readonly attempts: number
}

export interface Store {
  readonly mode: Mode
  /** How long a claim or a worker's lease holds unless its holder renews it. */
  readonly lease: Duration.Duration
  /** How often a holder renews its claim or lease while the handler runs: shorter than `lease`. */
  readonly heartbeat: Duration.Duration
  /**
   * Inline: take the id for this process, unless it is done or held by a live lease. The claim's token
   * (its attempt number) is what `complete` and `release` must present: a holder whose lease expired and
   * was taken over can no longer change the row.
   */
  readonly claim: (id: string, eventType: string, timestamp: number) => Effect.Effect<Option.Option<number>, SqlError>
  readonly complete: (id: string, token: number) => Effect.Effect<void, SqlError>
  /** Inline: a failed handler gives the id back, so that OpenAI's retry can claim it. */
  readonly release: (id: string, token: number, error: string) => Effect.Effect<void, SqlError>
  /**
   * Extends the claim or lease `token` holds to `lease` from now; false when the token no longer holds
   * it (another holder took it over after it expired, or it was settled). The same rule as settling.
   */
  readonly renew: (id: string, token: number) => Effect.Effect<boolean, SqlError>
  readonly status: (id: string) => Effect.Effect<Option.Option<Status>, SqlError>
  /** Queued: store a verified delivery; false when its id is already known. */
  readonly enqueue: (id: string, eventType: string, timestamp: number, body: string) => Effect.Effect<boolean, SqlError>
  /** Queued: lease the oldest due delivery to this worker. */
  readonly take: Effect.Effect<Option.Option<Row>, SqlError>
  /** Queued: the worker's lease token is the row's `attempts` when it took it. */
  readonly retry: (id: string, token: number, at: number, error: string) => Effect.Effect<void, SqlError>
  readonly dead: (id: string, token: number, error: string) => Effect.Effect<void, SqlError>
  /** Deletes handled deliveries older than the retention; returns how many. */
  readonly purge: Effect.Effect<number, SqlError>
}

/**
 * The service the HTTP core looks for (with `Effect.serviceOption`) and the workers use; the public
 * `WebhookInbox` module re-exports it.
 */
export class WebhookInbox extends Context.Tag("effect-openai-webhooks/WebhookInbox")<WebhookInbox, Store>() {}

const migrations = Migrator.fromRecord({
  "1_create_deliveries": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      sql.unsafe(`CREATE TABLE IF NOT EXISTS ${TABLE} (
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
)`),
      sql.unsafe(`CREATE INDEX IF NOT EXISTS ${TABLE}_due ON ${TABLE} (status, next_attempt_at)`)
    ))
})

/**
 * Creates or updates the schema. Idempotent. On PostgreSQL the migrations table is created first (with
 * `IF NOT EXISTS`, retried: two instances starting together may race on it), so that the Migrator's
 * `LOCK TABLE` serialises the instances that run the migrations themselves.
 */
export const migrate: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => {
    const run = Migrator.make({})({ loader: migrations, table: MIGRATIONS_TABLE })
    return sql.onDialectOrElse({
      pg: () =>
        sql.unsafe(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  migration_id integer primary key,
  created_at timestamp with time zone not null default now(),
  name text not null
)`).pipe(Effect.retry({ times: 3 }), Effect.zipRight(run)),
      // SQLite has no LOCK TABLE: an instance starting beside another may find the migration "running"
      // and return before the table exists. Wait (briefly) until it does.
      orElse: () =>
        Effect.zipRight(
          run,
          sql.unsafe(`SELECT 1 FROM ${TABLE} LIMIT 1`).pipe(
            Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("10 seconds")))
          )
        )
    })
  }
).pipe(Effect.asVoid)

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value))

export interface StoreOptions {
  readonly mode: Mode
  readonly lease: Duration.Duration
  readonly heartbeat: Duration.Duration
  readonly retention: Duration.Duration
}

export const make = (options: StoreOptions): Effect.Effect<Store, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql): Store => {
    const table = sql(TABLE)
    const lease = Duration.toMillis(options.lease)
    const skipLocked = sql.onDialectOrElse({ pg: () => sql.literal("FOR UPDATE SKIP LOCKED"), orElse: () => sql.literal("") })
    const withNow = <A, E>(f: (now: number) => Effect.Effect<A, E>) => Effect.flatMap(Clock.currentTimeMillis, f)
    /** Ends a claim or a worker's lease, only if `token` still holds it: one statement for every outcome. */
    const settle = (id: string, token: number, status: Status, error: string | null, nextAttemptAt: number | null) =>
      withNow((now) =>
        Effect.asVoid(
          sql`UPDATE ${table} SET status = ${status}, locked_until = NULL, last_error = ${error},
  next_attempt_at = COALESCE(${nextAttemptAt}, next_attempt_at), updated_at = ${now}
WHERE webhook_id = ${id} AND status = 'processing' AND attempts = ${token}`
        )
      )

    return {
      mode: options.mode,
      lease: options.lease,
      heartbeat: options.heartbeat,
      claim: (id, eventType, timestamp) =>
        withNow((now) =>
          Effect.map(
            sql`INSERT INTO ${table} (webhook_id, event_type, webhook_timestamp, status, attempts, locked_until, received_at, updated_at)
VALUES (${id}, ${eventType}, ${timestamp}, 'processing', 1, ${now + lease}, ${now}, ${now})
ON CONFLICT (webhook_id) DO UPDATE SET status = 'processing', locked_until = ${now + lease},
  attempts = ${table}.attempts + 1, updated_at = ${now}
WHERE ${table}.status IN ('released', 'pending') OR (${table}.status = 'processing' AND ${table}.locked_until <= ${now})
RETURNING attempts`,
            (rows) => Option.map(Option.fromNullable(rows[0]), (row) => num(row["attempts"]))
          )
        ),
      complete: (id, token) => settle(id, token, "done", null, null),
      release: (id, token, error) => settle(id, token, "released", error, null),
      renew: (id, token) =>
        withNow((now) =>
          Effect.map(
            sql`UPDATE ${table} SET locked_until = ${now + lease}
WHERE webhook_id = ${id} AND status = 'processing' AND attempts = ${token}
RETURNING webhook_id`,
            (rows) => rows.length > 0
          )
        ),
      status: (id) =>
        Effect.map(
          sql<{ status: Status }>`SELECT status FROM ${table} WHERE webhook_id = ${id}`,
          (rows) => Option.fromNullable(rows[0]?.status)
        ),
      enqueue: (id, eventType, timestamp, body) =>
        withNow((now) =>
          Effect.map(
            sql`INSERT INTO ${table} (webhook_id, event_type, webhook_timestamp, body, status, attempts, next_attempt_at, received_at, updated_at)
VALUES (${id}, ${eventType}, ${timestamp}, ${body}, 'pending', 0, ${now}, ${now}, ${now})
ON CONFLICT (webhook_id) DO UPDATE SET status = 'pending', body = ${body}, next_attempt_at = ${now}, updated_at = ${now}
WHERE ${table}.status = 'released'
RETURNING webhook_id`,
            (rows) => rows.length > 0
          )
        ),
      take: withNow((now) =>
        Effect.map(
          sql<
            {
              webhook_id: string
              event_type: string | null
              webhook_timestamp: unknown
              body: string
              attempts: unknown
            }
          >`UPDATE ${table} SET status = 'processing', locked_until = ${now + lease}, attempts = attempts + 1, updated_at = ${now}
WHERE webhook_id = (
  SELECT webhook_id FROM ${table}
  WHERE body IS NOT NULL AND (
    (status = 'pending' AND next_attempt_at <= ${now}) OR (status = 'processing' AND locked_until <= ${now})
  )
  ORDER BY next_attempt_at
  LIMIT 1
  ${skipLocked}
)
RETURNING webhook_id, event_type, webhook_timestamp, body, attempts`,
          (rows) =>
            Option.map(Option.fromNullable(rows[0]), (row) => ({
              webhookId: row.webhook_id,
              eventType: row.event_type,
              webhookTimestamp: num(row.webhook_timestamp),
              body: row.body,
              attempts: num(row.attempts)
            }))
        )
      ),
      retry: (id, token, at, error) => settle(id, token, "pending", error, at),
      dead: (id, token, error) => settle(id, token, "dead", error, null),
      purge: withNow((now) =>
        Effect.map(
          sql`DELETE FROM ${table} WHERE status IN ('done', 'released') AND updated_at < ${
            now - Duration.toMillis(options.retention)
          } RETURNING webhook_id`,
          (rows) => rows.length
        )
      )
    }
  })

export interface LayerOptions extends StoreOptions {
  readonly purgeInterval: Duration.DurationInput
}

/**
 * Why these durations cannot work, or undefined. A heartbeat as long as the lease would let the lease
 * expire between two renewals, and a live holder be taken over.
 */
const invalid = (options: StoreOptions): string | undefined => {
  const lease = Duration.toMillis(options.lease)
  const heartbeat = Duration.toMillis(options.heartbeat)
  if (!(lease > 0 && Number.isFinite(lease))) {
    return `the inbox's lease must be a positive, finite duration; got ${Duration.format(options.lease)}`
  }
  if (!(heartbeat > 0 && heartbeat < lease)) {
    return `the inbox's heartbeat must be positive and shorter than its lease (${Duration.format(options.lease)}); ` +
      `got ${Duration.format(options.heartbeat)}`
  }
  return undefined
}

/**
 * The store on the `SqlClient`: migrated when built, purged every `purgeInterval` while it lives. Fails
 * with `IllegalArgumentException` when the lease and heartbeat cannot work together.
 */
export const layer = (
  options: LayerOptions
): Layer.Layer<
  WebhookInbox,
  SqlError | Migrator.MigrationError | Cause.IllegalArgumentException,
  SqlClient.SqlClient
> => {
  const why = invalid(options)
  if (why !== undefined) return Layer.fail(new Cause.IllegalArgumentException(why))
  return Layer.scoped(
    WebhookInbox,
    Effect.gen(function*() {
      yield* migrate
      const store = yield* make(options)
      yield* store.purge.pipe(
        Effect.tap((purged) => purged > 0 ? Effect.logInfo(`purged ${purged} expired deliveries`) : Effect.void),
        Effect.catchAllCause((cause) => Effect.logWarning("purge failed", cause)),
        Effect.repeat(Schedule.spaced(options.purgeInterval)),
        Effect.forkScoped
      )
      return store
    })
  )
}
