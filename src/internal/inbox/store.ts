/**
 * The inbox's store on `@effect/sql`: the `Store` the protocol (`protocol.ts`) and the delivery log use, and its
 * layer. It composes one file per concern: the engine's statements for the client's database, chosen once
 * (`run.ts`), the schema (`migrations.ts`), group commit (`writes.ts`, `batch.ts`), the durability barrier
 * (`durability.ts`), the lease heartbeat (`heartbeat.ts`) and the log (`log.ts`).
 * A claim or a worker's lease lasts `lease`, and the heartbeat renews the ones this process holds while their
 * handlers run: the lease can be short (a crashed process's deliveries are taken over soon) without cutting off a
 * slow handler.
 * What imports `@effect/sql` at run time (`sqlStore.ts` and the files it composes) is loaded when a store is built:
 * `@effect/sql` is an optional peer of the library, and a program that mounts a route without an inbox, or only
 * verifies, must load without it. Here are the types, the service's tag, and the checks of the options.
 *
 * @internal
 */
import type * as Migrator from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { InboxSql } from "openai-webhooks-engine"
import type * as Health from "./health.js"
import * as Heartbeat from "./heartbeat.js"
import * as Log from "./log.js"

export { type Holding, LeaseLost } from "./heartbeat.js"

export type Mode = "inline" | "queued"

export type Status = Log.Status

export const TABLE = InboxSql.tables.deliveries
/** One row per attempt: `(webhook_id, attempt)`, the delivery's `attempts` when the attempt started. */
export const ATTEMPTS_TABLE = InboxSql.tables.attempts
export const MIGRATIONS_TABLE = InboxSql.tables.migrations

/** A stored delivery, as a worker takes it. */
export type Row = InboxSql.Taken

export interface Store extends Log.Log {
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
  readonly hold: (id: string, token: number) => Heartbeat.Holding
  /** Stops renewing `holding`: called when the handler has ended, before the row is settled. */
  readonly letGo: (holding: Heartbeat.Holding) => void
  /** What this process holds right now. */
  readonly holding: ReadonlySet<Heartbeat.Holding>
  /**
   * Returns once every write committed before it is on disk (survives a power loss): what a delivery awaits
   * before it is answered 200. Immediate where each commit is durable already (PostgreSQL, SQLite at
   * `synchronous = FULL`); on SQLite in WAL mode below FULL, one `fdatasync` of the log, off the event loop, serves
   * every delivery waiting (a group commit of its own: while one runs the next gathers).
   */
  readonly durable: Effect.Effect<void, SqlError>
  /**
   * Inline: take the id for this process, unless it is done, dead or held by a live lease, and start its
   * attempt. The claim's token (its attempt number) is what `complete` and `release` must present: a holder
   * whose lease expired and was taken over can no longer change the row. `body`, the raw body, is stored
   * with it (a body stored already is kept).
   */
  readonly claim: (
    id: string,
    eventType: string,
    timestamp: number,
    body?: string | null
  ) => Effect.Effect<Option.Option<number>, SqlError>
  /** Marks the delivery done; false when `token` no longer holds it (taken over): then nothing changed. */
  readonly complete: (id: string, token: number) => Effect.Effect<boolean, SqlError>
  /**
   * Inline: a failed handler gives the id back (status `failed`), so that OpenAI's retry can claim it.
   * `outcome` is the attempt's (default `failed`).
   */
  readonly release: (
    id: string,
    token: number,
    error: string,
    outcome?: Exclude<Log.AttemptOutcome, "processed">
  ) => Effect.Effect<boolean, SqlError>
  /**
   * Extends the claim or lease `token` holds to `lease` from now; false when the token no longer holds
   * it (another holder took it over after it expired, or it was settled). The same rule as settling.
   */
  readonly renew: (id: string, token: number) => Effect.Effect<boolean, SqlError>
  readonly status: (id: string) => Effect.Effect<Option.Option<Status>, SqlError>
  /**
   * Queued: store a verified delivery; false when its id is already known. `traceparent`: the W3C trace context
   * of the request that queued it, kept for the attempts' spans (since 0.4.0).
   */
  readonly enqueue: (
    id: string,
    eventType: string,
    timestamp: number,
    body: string,
    traceparent?: string | null
  ) => Effect.Effect<boolean, SqlError>
  /**
   * Queued: lease up to `max` due deliveries to this worker in one statement, oldest due first, and start
   * an attempt of each; none when nothing is due. Due: pending and its time has come, or processing under
   * a lease that expired (its holder died); with a body. On PostgreSQL a row another worker is taking
   * meanwhile is skipped (`SKIP LOCKED`), never waited for nor taken twice.
   */
  readonly take: (max: number) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** Queued: the worker's lease token is the row's `attempts` when it took it. */
  readonly retry: (
    id: string,
    token: number,
    at: number,
    error: string,
    outcome?: Exclude<Log.AttemptOutcome, "processed">
  ) => Effect.Effect<boolean, SqlError>
  readonly dead: (
    id: string,
    token: number,
    error: string,
    outcome?: Exclude<Log.AttemptOutcome, "processed">
  ) => Effect.Effect<boolean, SqlError>
  /**
   * Whether what the store commits still goes where its next start reads it: unhealthy, with the reason, once its
   * SQLite file is no longer the one at its path (deleted or replaced under the running process); every write then
   * fails. One `stat` when asked; always healthy without a file of ours (PostgreSQL, in memory).
   */
  readonly health: Effect.Effect<Health.Health>
  /**
   * Deletes, with their attempts, handled (`done`, `failed`) deliveries last changed longer than the
   * retention ago, and dead ones longer than the dead retention ago; returns how many deliveries.
   */
  readonly purge: Effect.Effect<number, SqlError>
}

/**
 * The service the HTTP core looks for (with `Effect.serviceOption`) and the workers use; the public
 * `WebhookInbox` module re-exports it.
 */
export class WebhookInbox extends Context.Tag("effect-openai-webhooks/WebhookInbox")<WebhookInbox, Store>() {}

export interface StoreOptions {
  readonly mode: Mode
  readonly lease: Duration.Duration
  readonly heartbeat: Duration.Duration
  readonly retention: Duration.Duration
  /** How long dead deliveries are kept. Default: 30 days. */
  readonly deadRetention?: Duration.Duration | undefined
  /** Told the size of every group commit (a batch of claims, settles and enqueues written together). */
  readonly onBatch?: ((size: number) => void) | undefined
}

/** The store's implementation on `@effect/sql`, loaded once, when the first store is built. */
const implementation = Effect.promise(() => import("./sqlStore.js"))

/** Builds the store, and its heartbeat: the loop that renews what is held, for the layer to run. */
export type Make = (
  options: StoreOptions
) => Effect.Effect<
  { readonly store: Store; readonly heartbeat: Effect.Effect<never> },
  never,
  SqlClient.SqlClient | Scope.Scope
>

/** {@link Make}, from the implementation loaded when it is first called. */
export const make: Make = (options) => Effect.flatMap(implementation, (sql) => sql.make(options))

/** Creates or upgrades the inbox's tables (the engine's migrations for the client's database). */
export const migrate: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Effect.flatMap(
  implementation,
  (sql) => sql.migrate
)

export interface LayerOptions extends StoreOptions {
  readonly purgeInterval: Duration.DurationInput
}

/**
 * The store on the `SqlClient`: migrated when built, purged every `purgeInterval` while it lives. Its options come
 * checked (`WebhookInbox`'s option checks: a finite lease, a heartbeat shorter than it), once, where users give them.
 */
export const layer = (
  options: LayerOptions
): Layer.Layer<WebhookInbox, SqlError | Migrator.MigrationError, SqlClient.SqlClient> =>
  Layer.unwrapEffect(Effect.map(implementation, (sql) => sql.layer(options)))
