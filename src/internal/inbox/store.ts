/**
 * The inbox on `@effect/sql`: one table keyed on `webhook-id`, the same statements on SQLite and
 * PostgreSQL (PostgreSQL adds `FOR UPDATE SKIP LOCKED` where workers take rows). Every claim is one
 * atomic statement (`INSERT ... ON CONFLICT ... DO UPDATE ... WHERE ... RETURNING`): no read-then-write.
 * A claim or a worker's lease lasts `lease`, and a heartbeat renews the ones this process holds while
 * their handlers run: the lease can be short (a crashed process's deliveries are taken over soon) without
 * cutting off a slow handler.
 *
 * @internal
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
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

/**
 * A claim (inline) or a worker's lease (queued) this process holds while the handler runs. The store
 * renews it every heartbeat, and sets `lost` when a renewal finds that another holder has taken the
 * delivery over: the holder must then not settle the row.
 */
export interface Holding {
  readonly id: string
  readonly token: number
  lost: boolean
}

export interface Store {
  readonly mode: Mode
  /** How long a claim or a worker's lease holds unless its holder renews it. */
  readonly lease: Duration.Duration
  /** How often the claims and leases held are renewed: shorter than `lease`. */
  readonly heartbeat: Duration.Duration
  /**
   * Renews the claim or lease `token` holds on `id` every `heartbeat`, from now until {@link letGo}: a
   * holder calls it when its handler starts. One fiber of the layer renews all of them, and sleeps while
   * nothing is held: a delivery costs no fiber of its own.
   */
  readonly hold: (id: string, token: number) => Holding
  /** Stops renewing `holding`: called when the handler has ended, before the row is settled. */
  readonly letGo: (holding: Holding) => void
  /** What this process holds right now. */
  readonly holding: ReadonlySet<Holding>
  /**
   * Inline: take the id for this process, unless it is done or held by a live lease. The claim's token
   * (its attempt number) is what `complete` and `release` must present: a holder whose lease expired and
   * was taken over can no longer change the row.
   */
  readonly claim: (id: string, eventType: string, timestamp: number) => Effect.Effect<Option.Option<number>, SqlError>
  /** Marks the delivery done; false when `token` no longer holds it (taken over): then nothing changed. */
  readonly complete: (id: string, token: number) => Effect.Effect<boolean, SqlError>
  /** Inline: a failed handler gives the id back, so that OpenAI's retry can claim it. */
  readonly release: (id: string, token: number, error: string) => Effect.Effect<boolean, SqlError>
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
  readonly retry: (id: string, token: number, at: number, error: string) => Effect.Effect<boolean, SqlError>
  readonly dead: (id: string, token: number, error: string) => Effect.Effect<boolean, SqlError>
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

/** The store, and its heartbeat: the loop that renews what is held, for the layer to run. */
export const make = (
  options: StoreOptions
): Effect.Effect<{ readonly store: Store; readonly heartbeat: Effect.Effect<never> }, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => {
    const table = sql(TABLE)
    const lease = Duration.toMillis(options.lease)
    const skipLocked = sql.onDialectOrElse({ pg: () => sql.literal("FOR UPDATE SKIP LOCKED"), orElse: () => sql.literal("") })
    const withNow = <A, E>(f: (now: number) => Effect.Effect<A, E>) => Effect.flatMap(Clock.currentTimeMillis, f)
    /**
     * Ends a claim or a worker's lease, only if `token` still holds it: one statement for every outcome.
     * False when it no longer holds it.
     */
    const settle = (id: string, token: number, status: Status, error: string | null, nextAttemptAt: number | null) =>
      withNow((now) =>
        Effect.map(
          sql`UPDATE ${table} SET status = ${status}, locked_until = NULL, last_error = ${error},
  next_attempt_at = COALESCE(${nextAttemptAt}, next_attempt_at), updated_at = ${now}
WHERE webhook_id = ${id} AND status = 'processing' AND attempts = ${token}
RETURNING webhook_id`,
          (rows) => rows.length > 0
        )
      )

    const holding = new Set<Holding>()
    // Open while something is held: the heartbeat sleeps on it otherwise, so an idle store never wakes.
    const busy = Effect.unsafeMakeLatch(false)

    const store: Store = {
      mode: options.mode,
      lease: options.lease,
      heartbeat: options.heartbeat,
      holding,
      hold: (id, token) => {
        const held: Holding = { id, token, lost: false }
        holding.add(held)
        if (holding.size === 1) busy.unsafeOpen()
        return held
      },
      letGo: (held) => {
        holding.delete(held)
      },
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
    const heartbeat = Effect.forever(
      Effect.zipRight(
        Effect.suspend(() => {
          if (holding.size === 0) busy.unsafeClose()
          return busy.await
        }),
        Effect.zipRight(Effect.sleep(options.heartbeat), renewAll(store))
      )
    )
    return { store, heartbeat }
  })

export interface LayerOptions extends StoreOptions {
  readonly purgeInterval: Duration.DurationInput
}

/**
 * One heartbeat: renews every claim and lease held at this moment, one statement each. A renewal that
 * finds the delivery taken over marks its holding lost and says so; a database error is logged and the
 * renewal tried again at the next beat (the lease, three beats by default, outlasts a short outage).
 */
const renewAll = (store: Store): Effect.Effect<void> =>
  Effect.suspend(() =>
    Effect.forEach(
      Array.from(store.holding),
      (holding) =>
        Effect.matchCauseEffect(store.renew(holding.id, holding.token), {
          onSuccess: (held) => {
            // Not held, and let go meanwhile: its holder settled the row, or is settling it. Not a takeover.
            if (held || !store.holding.has(holding)) return Effect.void
            holding.lost = true
            store.letGo(holding)
            return Effect.logWarning("taken over").pipe(Effect.annotateLogs("error", LOST))
          },
          onFailure: (cause) =>
            Effect.logWarning("inbox heartbeat: database error, trying again at the next beat", cause)
        }).pipe(Effect.annotateLogs({ webhook_id: holding.id, attempt: holding.token })),
      { discard: true }
    )
  )

const TAKEN_OVER = "another holder took this delivery over after this one's lease expired (this process stalled, " +
  "or its database did not answer, for longer than the lease)"

const LOST = `${TAKEN_OVER}: its handler runs on, but its outcome will not be recorded`

/**
 * The outcome of an attempt whose claim or lease was taken over while its handler ran: not recorded, the
 * row is the new holder's. The handler was not interrupted: it ran to its end (handlers run at least
 * once anyway, and one cut off midway could leave its own work half done).
 */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{}> {
  constructor() {
    super()
    // Where the takeover was noticed tells nothing the message does not: no stack in the log line.
    this.stack = `LeaseLost: ${this.message}`
  }

  override get message(): string {
    return `${TAKEN_OVER}: this attempt's outcome is not recorded`
  }
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
      const { heartbeat, store } = yield* make(options)
      yield* store.purge.pipe(
        Effect.tap((purged) => purged > 0 ? Effect.logInfo(`purged ${purged} expired deliveries`) : Effect.void),
        Effect.catchAllCause((cause) => Effect.logWarning("purge failed", cause)),
        Effect.repeat(Schedule.spaced(options.purgeInterval)),
        Effect.forkScoped
      )
      yield* Effect.forkScoped(heartbeat)
      return store
    })
  )
}
