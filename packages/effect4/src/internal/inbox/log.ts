/**
 * The delivery log: what the inbox tells about the deliveries it keeps (list, get, stats, timeline), what it does
 * with them (replay, recover, discard), and the one error its operations raise. The shapes, the checks of a query,
 * the refusals and the statements are the engine's (`InboxSql`); this file runs them and turns a refusal into an
 * `InboxError`. Times are `Date`s; durations are milliseconds where a number is needed.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"
import { InboxError } from "../../WebhookError.js"
import * as Run from "./run.js"

export type Status = InboxSql.Status
export type AttemptOutcome = InboxSql.AttemptOutcome
export type DeliveryRecord = InboxSql.DeliveryRecord
export type Attempt = InboxSql.Attempt
export type DeliveryDetail = InboxSql.DeliveryDetail
export type ListQuery = InboxSql.ListQuery
export type ListPage = InboxSql.ListPage
export type Stats = InboxSql.Stats
export type RecoverQuery = InboxSql.RecoverQuery
export type TimelineBucket = InboxSql.TimelineBucket

/** An operation on the log that cannot be done as asked: its home is `WebhookError`, with the other errors. */
export { InboxError }

/** The log's operations, as the store offers them. */
export interface Log {
  /** One page of deliveries, newest first. */
  readonly list: (query?: ListQuery) => Effect.Effect<ListPage, SqlError | InboxError>
  /** A delivery with its body and its attempts. */
  readonly get: (id: string) => Effect.Effect<Option.Option<DeliveryDetail>, SqlError>
  /** Makes a delivery pending and due now, for a worker to process again. */
  readonly replay: (id: string) => Effect.Effect<void, SqlError | InboxError>
  /** Replays every failed or dead delivery received in the window; how many. */
  readonly recover: (query: RecoverQuery) => Effect.Effect<number, SqlError | InboxError>
  /** Deletes a dead delivery and its attempts. */
  readonly discard: (id: string) => Effect.Effect<void, SqlError | InboxError>
  readonly stats: Effect.Effect<Stats, SqlError>
  readonly timeline: (
    options?: { readonly since?: Date | undefined; readonly bucket?: Duration.Input | undefined }
  ) => Effect.Effect<ReadonlyArray<TimelineBucket>, SqlError | InboxError>
}

const invalidQuery = (problem: InboxSql.QueryProblem) =>
  Effect.fail(new InboxError({ reason: "InvalidQuery", message: problem.message }))

const withNow = <A, E>(f: (now: number) => Effect.Effect<A, E>) => Effect.flatMap(Clock.currentTimeMillis, f)

/** A bucket in milliseconds, NaN for one Effect cannot read (the engine's check says so). */
const millisOf = (bucket: Duration.Input | undefined): number | undefined =>
  bucket === undefined ? undefined : Option.match(Duration.fromInput(bucket), {
    onNone: () => NaN,
    onSome: Duration.toMillis
  })

/** The log on `sql`, with the dialect's statements. */
export const make = (sql: SqlClient.SqlClient, dialect: InboxSql.Dialect): Log => {
  /** Why `id` was not replayed or discarded, read after the statement that did not change it (the engine says). */
  const whyNot = (
    id: string,
    now: number,
    refusal: (found: InboxSql.Inspection | undefined) => InboxSql.Refusal<InboxError["reason"]>
  ) =>
    Effect.flatMap(
      Run.query(sql, dialect.inspect, { id, now }),
      (found) => Effect.fail(new InboxError(refusal(found)))
    )
  return {
    list: (query = {}) => {
      const filter = InboxSql.listFilter(query)
      return filter.ok ? Run.bound(sql, dialect.list(filter.value)) : invalidQuery(filter.error)
    },
    get: (id) =>
      Effect.flatMap(Run.query(sql, dialect.get, id), (found) =>
        found === undefined ? Effect.succeedNone : Effect.map(
          Run.query(sql, dialect.history, id),
          (history) => Option.some({ ...found.record, body: found.body, history })
        )),
    replay: (id) =>
      withNow((now) =>
        Effect.flatMap(
          Run.query(sql, dialect.replay, { id, now }),
          (replayed) => replayed ? Effect.void : whyNot(id, now, (found) => InboxSql.replayRefusal(id, found))
        )
      ),
    recover: (query) =>
      withNow((now): Effect.Effect<number, SqlError | InboxError> => {
        const filter = InboxSql.recoverFilter(query, now)
        return filter.ok ? Run.bound(sql, dialect.recover(filter.value, now)) : invalidQuery(filter.error)
      }),
    discard: (id) =>
      withNow((now) =>
        Effect.flatMap(
          Run.script(sql, dialect.discard, id),
          (discarded) =>
            discarded > 0 ? Effect.void : whyNot(id, now, (found) => InboxSql.discardRefusal(id, found))
        )
      ),
    stats: withNow((now) => Run.script(sql, dialect.stats, now)),
    timeline: (options = {}) =>
      withNow((now): Effect.Effect<ReadonlyArray<TimelineBucket>, SqlError | InboxError> => {
        const range = InboxSql.timelineRange(
          { since: options.since, bucketMs: millisOf(options.bucket), bucket: options.bucket },
          now
        )
        return range.ok ? Run.query(sql, dialect.timeline, range.value) : invalidQuery(range.error)
      })
  }
}
