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
