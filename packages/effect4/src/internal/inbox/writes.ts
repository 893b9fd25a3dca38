/**
 * The writes that are group-committed (see `batch.ts`): a claim, a settle (complete, release, retry, dead) and an
 * enqueue, each with the time its caller read from its clock, written many to a commit. How many go in one commit
 * is the dialect's: SQLite runs each write's own prepared statement, all in one transaction, on the transaction's
 * connection; PostgreSQL writes each kind in one multi-row statement, as the engine plans the batch.
 *
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as SqlClient from "effect/sql/SqlClient"
import { SqlError, UnknownError } from "effect/sql/SqlError"
import { InboxSql, type InboxWriter } from "openai-webhooks-engine"
import * as Batch from "./batch.js"
import * as Health from "./health.js"
import * as Run from "./run.js"

export interface Claim extends InboxSql.Claim {
  readonly kind: "claim"
}

export interface Settle extends InboxSql.Settle {
  readonly kind: "settle"
}

export interface Enqueue extends InboxSql.Enqueue {
  readonly kind: "enqueue"
}

export type Write = Claim | Settle | Enqueue

/** A claim's token (null: not claimed); a settle's or an enqueue's `true` when it changed the row. */
export type Written = number | boolean | null

/**
 * The most writes one commit carries. Enough for any burst a receiver sees at once (one per connection in
 * flight); bounded so that one statement's parameters stay small.
 */
const MAX_BATCH = 256

/** SQLite: write `i` of a batch failed; the transaction is rolled back and written again without it. */
class WriteFailed extends Data.TaggedError("WriteFailed")<{ readonly i: number; readonly error: SqlError }> {}

/** The group-commit writer on `sql`, with the dialect's statements; told the size of every batch by `onBatch`. */
export const make = (
  sql: SqlClient.SqlClient,
  dialect: InboxSql.Dialect,
  onBatch: ((size: number) => void) | undefined,
  watch: Health.Watch = Health.none
): Effect.Effect<Batch.Batcher<Write, Written>, never, Scope.Scope> => {
  // Each kind's statement for one write. (Typed for any write: each is only ever given a write of its own kind.)
  const statements = {
    claim: dialect.claim,
    settle: dialect.settle,
    enqueue: dialect.enqueue
  } as Record<Write["kind"], InboxSql.Query<Write, Written>>

  /**
   * One write alone, in its own statement (PostgreSQL: the attempt's row in the same statement, by CTE). The
   * fallback of a batch that failed as a whole, and PostgreSQL's way for a single write.
   */
  const single = (write: Write): Effect.Effect<Written, SqlError> => Run.query(sql, statements[write.kind], write)

  /**
   * SQLite: the batch in one transaction, one prepared statement per write, run on the transaction's connection
   * with its parameters (no statement to build and compile per write). The triggers write the attempts. A write
   * that fails rolls the transaction back; it is answered with its error and the rest written again without it.
   * (SQLite undoes only the failed statement for most errors, but for some, a full disk or an I/O error, the
   * whole transaction: starting again is right in both cases.)
   */
  const inOneTransaction = (writes: ReadonlyArray<Write>) => {
    const exits: Array<Exit.Exit<Written, SqlError>> = new Array(writes.length)
    const run = (indices: ReadonlyArray<number>): Effect.Effect<void, SqlError> =>
      indices.length === 0 ? Effect.void : sql.withTransaction(
        // Effect 4: the transaction's connection is the client's own service, not a global tag.
        Effect.flatMap(Effect.serviceOption(sql.transactionService), (transaction) => {
          const [connection] = Option.getOrThrow(transaction)
          return Effect.forEach(indices, (i) => {
            const write = writes[i]!
            const statement = statements[write.kind]
            return connection.execute(statement.text, statement.params(write), undefined).pipe(
              Effect.map((rows) => statement.read(rows, write)),
              Effect.mapError((error) => new WriteFailed({ i, error }))
            )
          })
        })
      ).pipe(
        Effect.map((results) => {
          for (let k = 0; k < indices.length; k++) exits[indices[k]!] = Exit.succeed(results[k]!)
        }),
        Effect.catchTag("WriteFailed", ({ error, i }) => {
          exits[i] = Exit.fail(error)
          return run(indices.filter((index) => index !== i))
        })
      )
    return Effect.as(run(writes.map((_, i) => i)), exits)
  }

  /**
   * PostgreSQL: one multi-row statement per kind of write (claims, settles, enqueues), each its own atomic
   * statement, the kinds side by side on the pool, as the engine plans the batch (rows ordered by id; a second
   * write of an id in one batch waits for the first and is written after it, alone). A statement that fails
   * changed nothing: its writes are then written alone, each answered with its own outcome.
   */
  const inOneStatementPerKind = (batch: InboxSql.Batch) => {
    // Their columns are arrays: bound as `@effect/sql-pg` 4 can (see `Run.arrays`).
    const [claims, settles, enqueues] = [Run.arrays(batch.claim), Run.arrays(batch.settle), Run.arrays(batch.enqueue)]
    return (writes: ReadonlyArray<Write>) => {
      const exits: Array<Exit.Exit<Written, SqlError>> = new Array(writes.length)
      const plan = InboxSql.planBatch(writes)
      const alone = (indices: ReadonlyArray<number>) =>
        Effect.forEach(indices, (i) =>
          Effect.map(Effect.exit(single(writes[i]!)), (exit) => {
            exits[i] = exit
          }), { discard: true })
      const many = <W extends Write>(
        indices: ReadonlyArray<number>,
        statement: InboxSql.Query<ReadonlyArray<W>, ReadonlyMap<string, Written>>,
        missing: Written
      ) => {
        if (indices.length === 0) return Effect.void
        if (indices.length === 1) return alone(indices)
        return Effect.matchCauseEffect(Run.query(sql, statement, indices.map((i) => writes[i] as W)), {
          onSuccess: (written) =>
            Effect.sync(() => {
              for (const i of indices) exits[i] = Exit.succeed(written.get(writes[i]!.id) ?? missing)
            }),
          onFailure: () => alone(indices)
        })
      }
      return Effect.all([
        many<Claim>(plan.claim, claims, null),
        many<Settle>(plan.settle, settles, false),
        many<Enqueue>(plan.enqueue, enqueues, false)
      ], { concurrency: "unbounded", discard: true }).pipe(
        Effect.andThen(alone(plan.later)),
        Effect.as(exits)
      )
    }
  }

  const write = dialect.batch === undefined ? inOneTransaction : inOneStatementPerKind(dialect.batch)
  // Committed, and answered only if the file committed to is still the store's (see `health.ts`): one look a batch.
  const guarded = watch === Health.none
    ? { write, single }
    : {
      write: (writes: ReadonlyArray<Write>) =>
        Effect.flatMap(write(writes), (exits) => Health.guardBatch(watch, exits)),
      single: (input: Write) => Health.guard(watch, single(input))
    }
  return Batch.make<Write, Written>({
    write: guarded.write,
    single: guarded.single,
    max: MAX_BATCH,
    onBatch,
    gather: Batch.nextTurn
  })
}

/** What the writer thread said, as `effect/sql` says a failure. */
export const threadError = (failure: InboxWriter.Failure, operation: string): SqlError =>
  new SqlError({ reason: new UnknownError({ cause: failure, message: failure.message, operation }) })

/**
 * The group-commit writer on the engine's writer thread (`InboxWriter`: SQLite's statements, one transaction and one
 * sync per batch, on a connection of its own): the same batching as {@link make}, but the batch is written, and made
 * durable, off the event loop, which only sends the records and awaits the answer. A batch the thread could not
 * write as a whole is written again one write per batch, as {@link make} does.
 */
export const threaded = (
  writer: InboxWriter.Writer,
  onBatch: ((size: number) => void) | undefined,
  watch: Health.Watch = Health.none
): Effect.Effect<Batch.Batcher<Write, Written>, never, Scope.Scope> => {
  const write = (writes: ReadonlyArray<Write>): Effect.Effect<ReadonlyArray<Exit.Exit<Written, SqlError>>, SqlError> =>
    Effect.map(
      Effect.tryPromise({
        try: () => writer.write(writes),
        catch: (failure) => threadError(failure as InboxWriter.Failure, "batch")
      }),
      (outcomes) =>
        outcomes.map((outcome) =>
          outcome.ok ? Exit.succeed(outcome.value) : Exit.fail(threadError(outcome.error, "write"))
        )
    )
  const single = (input: Write): Effect.Effect<Written, SqlError> =>
    Effect.flatMap(write([input]), (exits) => exits[0]!)
  return Batch.make<Write, Written>({
    write: watch === Health.none
      ? write
      : (writes) => Effect.flatMap(write(writes), (exits) => Health.guardBatch(watch, exits)),
    single: watch === Health.none ? single : (input) => Health.guard(watch, single(input)),
    max: MAX_BATCH,
    onBatch,
    gather: Batch.nextTurn
  })
}
