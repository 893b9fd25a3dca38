/**
 * The statements' shapes, as `InboxSql` exports them: what a dialect's statements take and answer. Kept here so that
 * the public module stays within 700 lines; their documentation is with them, and `InboxSql` re-exports each.
 *
 * @internal
 */
import type { AttemptOutcome, Status } from "../../InboxSql.js"

/**
 * A row as a driver returns it, by column name (snake_case, as the statements name them).
 *
 * @since 0.3.0
 * @category statements
 */
export type SqlRow = { readonly [column: string]: unknown }

/**
 * One statement whose text is fixed: run `text` with `params(input)` (in the order of its placeholders), then
 * `read(rows, input)` is the answer. A fixed text lets a driver prepare it once.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Query<I, A> {
  readonly text: string
  readonly params: (input: I) => ReadonlyArray<unknown>
  readonly read: (rows: ReadonlyArray<SqlRow>, input: I) => A
}

/**
 * Several statements run one after the other, in one transaction when `transaction` says so; `read` answers from
 * the rows of each, in order.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Script<I, A> {
  readonly statements: ReadonlyArray<{
    readonly text: string
    readonly params: (input: I) => ReadonlyArray<unknown>
  }>
  readonly transaction: boolean
  readonly read: (results: ReadonlyArray<ReadonlyArray<SqlRow>>, input: I) => A
}

/**
 * A statement built for its input (its text depends on it): run `text` with `params`, then `read(rows)`.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Bound<A> {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
  readonly read: (rows: ReadonlyArray<SqlRow>) => A
}

/**
 * A migration: its id and name (`<id>_<name>` is its key for `@effect/sql`'s Migrator, as the stores made by earlier
 * versions recorded it), and its statements, run in order.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Migration {
  readonly id: number
  readonly name: string
  readonly statements: ReadonlyArray<string>
}

/**
 * Inline: take `id` for this holder unless it is done, dead or held by a live lease, and start its attempt;
 * `lockedUntil` is when the claim expires unless renewed. `body` is stored with it (a body stored already is
 * kept). The answer is the claim's token (the attempt's number), or null.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Claim {
  readonly id: string
  /** As received: {@link storable} applies. */
  readonly eventType: string
  /** `webhook-timestamp`, seconds. */
  readonly timestamp: number
  readonly body: string | null
  readonly lockedUntil: number
  readonly now: number
}

/**
 * Ends the attempt `token` holds on `id`, only if it still holds it, moving the row to `status` (with `error`, and
 * `nextAttemptAt` for a retry) and the attempt's row to `outcome`. The answer: whether it changed the row.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Settle {
  readonly id: string
  readonly token: number
  readonly status: Status
  readonly error: string | null
  readonly nextAttemptAt: number | null
  readonly outcome: AttemptOutcome
  readonly now: number
}

/**
 * Queued: store a verified delivery, due now. The answer: false when its id is already known (and not given back
 * failed).
 *
 * @since 0.3.0
 * @category statements
 */
export interface Enqueue {
  readonly id: string
  /** As received: {@link storable} applies. */
  readonly eventType: string
  readonly timestamp: number
  readonly body: string
  readonly now: number
  /** The W3C `traceparent` (`TraceContext`) of the request that queued it, for its attempts' spans. @since 0.4.0 */
  readonly traceparent?: string | null | undefined
}

/**
 * Queued: lease up to `max` due deliveries until `lockedUntil`, oldest due first, and start an attempt of each.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Take {
  readonly max: number
  readonly lockedUntil: number
  readonly now: number
}

/**
 * A delivery a worker took: its attempt's number is `attempts`, the token of its lease.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Taken {
  readonly webhookId: string
  readonly eventType: string | null
  readonly webhookTimestamp: number
  readonly body: string
  readonly attempts: number
  /** The `traceparent` its enqueue kept, when there was one. @since 0.4.0 */
  readonly traceparent?: string
}

/**
 * Extends the claim or lease `token` holds on `id` to `lockedUntil`. The answer: false when the token no longer
 * holds it (another holder took it over after it expired, or it was settled).
 *
 * @since 0.3.0
 * @category statements
 */
export interface Renew {
  readonly id: string
  readonly token: number
  readonly lockedUntil: number
}

/**
 * Deletes, with their attempts, handled (`done`, `failed`) deliveries last changed before `doneBefore`, and dead
 * ones before `deadBefore`. The answer: how many deliveries.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Purge {
  readonly doneBefore: number
  readonly deadBefore: number
}

/**
 * A delivery by its id, at a moment (`replay`, `inspect`).
 *
 * @since 0.3.0
 * @category statements
 */
export interface At {
  readonly id: string
  readonly now: number
}

/**
 * Why a replay or a discard did not change a delivery: its status, whether a live claim or lease holds it, whether
 * it has a body.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Inspection {
  readonly status: Status
  readonly locked: boolean
  readonly body: boolean
}

/**
 * A group commit's writes of one kind in one statement (PostgreSQL): the rows must have distinct ids (one
 * statement cannot change a row twice), in a fixed order (by id, so that two instances' batches lock rows in the
 * same order). The answer: what each id written got (a claim's token; `true` for a settle or an enqueue that
 * changed its row); an id absent got nothing.
 *
 * @since 0.3.0
 * @category statements
 */
export interface Batch {
  readonly claim: Query<ReadonlyArray<Claim>, ReadonlyMap<string, number>>
  readonly settle: Query<ReadonlyArray<Settle>, ReadonlyMap<string, true>>
  readonly enqueue: Query<ReadonlyArray<Enqueue>, ReadonlyMap<string, true>>
}
