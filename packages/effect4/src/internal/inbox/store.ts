/**
 * The inbox's store: the `Store` the protocol (`protocol.ts`) and the delivery log use, and the service's key. Its
 * implementation on `effect/sql` is `sqlStore.ts`, which composes one file per concern: the engine's statements for
 * the client's database, chosen once (`run.ts`), the schema (`migrations.ts`), group commit (`writes.ts`,
 * `batch.ts`), the durability barrier (`durability.ts`), the file's health (`health.ts`), the lease heartbeat
 * (`heartbeat.ts`) and the log (`log.ts`). (The Effect 3 edition loads its implementation lazily, `@effect/sql`
 * being an optional peer there; in Effect 4 `effect/sql` is part of `effect`, so nothing is deferred.)
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"
import type * as Health from "./health.js"
import type * as Heartbeat from "./heartbeat.js"
import type * as Log from "./log.js"

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
   * before it is answered 200 (see `durability.ts`).
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
   * of the request that queued it, kept for the attempts' spans.
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
   * an attempt of each; none when nothing is due. On PostgreSQL a row another worker is taking meanwhile is
   * skipped (`SKIP LOCKED`), never waited for nor taken twice.
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
export class WebhookInbox extends Context.Service<WebhookInbox, Store>()("effect4-openai-webhooks/WebhookInbox") {}

export interface StoreOptions {
  readonly mode: Mode
  readonly lease: Duration.Duration
  readonly heartbeat: Duration.Duration
  readonly retention: Duration.Duration
  /** How long dead deliveries are kept. Default: 30 days. */
  readonly deadRetention?: Duration.Duration | undefined
  /** Told the size of every group commit (a batch of claims, settles and enqueues written together). */
  readonly onBatch?: ((size: number) => void) | undefined
  /**
   * Where the group commit runs: `"connection"` (default) on the `SqlClient`; `"thread"` on the engine's writer thread
   * (`InboxWriter`), for a SQLite file (ignored for PostgreSQL and for SQLite in memory).
   */
  readonly writer?: "connection" | "thread" | undefined
}

export interface LayerOptions extends StoreOptions {
  readonly purgeInterval: Duration.Duration
}
