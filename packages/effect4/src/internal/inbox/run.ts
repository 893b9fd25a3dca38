/**
 * The engine's statements (`InboxSql`) on `effect/sql`: each runs as `sql.unsafe(text, params)`, its text as the
 * engine wrote it for the dialect, its parameters in the engine's order; the engine reads the rows.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"

/**
 * The statements of the client's database, chosen once: PostgreSQL's for `pg`, SQLite's for every other (as the
 * inbox has always treated them).
 */
export const dialectOf = (sql: SqlClient.SqlClient): InboxSql.Dialect =>
  sql.onDialectOrElse({ pg: () => InboxSql.pg, orElse: () => InboxSql.sqlite })

/** Runs `query` for `input`, and reads its rows. */
export const query = <I, A>(
  sql: SqlClient.SqlClient,
  query: InboxSql.Query<I, A>,
  input: I
): Effect.Effect<A, SqlError> =>
  Effect.map(sql.unsafe<InboxSql.SqlRow>(query.text, query.params(input)), (rows) => query.read(rows, input))

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

/**
 * One array parameter, as `@effect/sql-pg` 4 can bind it. That client has no types from the statement: it infers
 * each parameter's from its JavaScript value, and fails before sending ("Cannot infer the type of an array containing
 * only null values"; "Array parameter elements must have the same inferred OID") on an array of nulls only (the batch
 * settle's `error` and `next_attempt_at` when every settle is `done`, the batch enqueue's `traceparent` without
 * tracing) and on integers some of which fit 32 bits and some not. A batch statement that fails is written again one
 * statement per write: correct, but a round trip per write on the writer's path (measured: one statement per
 * delivery instead of one per 15, and half the deliveries per second of the Effect 3 edition on `pg`).
 * So: nulls only go as their text literal, untyped, as the client itself sends an empty array, and PostgreSQL reads
 * it as the type the statement casts it to (`$5::bigint[]`); integers of both widths go as 64-bit ones (`bigint`),
 * which the statement's cast narrows where it says `integer[]`.
 */
const bindable = (value: unknown): unknown => {
  if (!Array.isArray(value)) return value
  let values = 0
  let wide = false
  for (const element of value) {
    if (element === null || element === undefined) continue
    values++
    if (typeof element === "number" && Number.isInteger(element) && (element < INT32_MIN || element > INT32_MAX)) {
      wide = true
    }
  }
  if (values === 0) return value.length === 0 ? value : `{${value.map(() => "NULL").join(",")}}`
  return wide ? value.map((element) => Number.isInteger(element) ? BigInt(element as number) : element) : value
}

/**
 * `query` with its array parameters bound as {@link bindable} says: PostgreSQL's multi-row statements (`unnest` over
 * one array per column), whose columns may be all null or mix small and large integers.
 */
export const arrays = <I, A>(query: InboxSql.Query<I, A>): InboxSql.Query<I, A> => ({
  ...query,
  params: (input) => query.params(input).map(bindable)
})

/** Runs a statement built for its input, and reads its rows. */
export const bound = <A>(sql: SqlClient.SqlClient, statement: InboxSql.Bound<A>): Effect.Effect<A, SqlError> =>
  Effect.map(sql.unsafe<InboxSql.SqlRow>(statement.text, statement.params), statement.read)

/** Runs a script's statements in order (in one transaction when it says so), and reads their rows. */
export const script = <I, A>(
  sql: SqlClient.SqlClient,
  script: InboxSql.Script<I, A>,
  input: I
): Effect.Effect<A, SqlError> => {
  const all = Effect.forEach(script.statements, (statement) =>
    sql.unsafe<InboxSql.SqlRow>(statement.text, statement.params(input)))
  return Effect.map(script.transaction ? sql.withTransaction(all) : all, (results) => script.read(results, input))
}
