/**
 * Group commit in the Effect 4 edition: the writer that takes every write waiting and commits them together
 * (`internal/inbox/batch.ts`), alone with writes it controls (Effect 4's `Queue.takeAll` waits on an empty queue:
 * a batch must still go at once when nothing else waits), then in the store on real engines, with rows the database
 * refuses (a trigger of the test's own): the Effect 3 edition's cases, on Effect 4.
 */
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, Option, Result, Tracer } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { TestClock } from "effect/testing"
import { SqlError, UnknownError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"
import * as Batch from "../src/internal/inbox/batch.js"
import * as SqlStore from "../src/internal/inbox/sqlStore.js"
import * as Store from "../src/internal/inbox/store.js"
import * as Engines from "./support/inbox-engines.js"

const refusedError = (message: string) => new SqlError({ reason: new UnknownError({ cause: undefined, message }) })

/** Yields until `done()` holds, at most 20,000 times. */
const yieldUntil = (what: string, done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 20_000; i++) {
      if (yield* done) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error(`${what}: not reached`))
  })

const answered = <A, E>(fiber: Fiber.Fiber<A, E>) => fiber.pollUnsafe() !== undefined

describe("group commit", () => {
  /** A batcher whose `write` records each batch and, for the first, waits for `gate`. */
  const controlled = (
    answer: (input: number) => Exit.Exit<number, SqlError> = (input) => Exit.succeed(input * 10),
    options: { readonly failWhole?: (inputs: ReadonlyArray<number>) => boolean } = {}
  ) =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const writing = yield* Deferred.make<void>()
      const batches: Array<ReadonlyArray<number>> = []
      const alone: Array<number> = []
      const batcher = yield* Batch.make<number, number>({
        write: (inputs) =>
          Effect.gen(function*() {
            batches.push(inputs)
            if (batches.length === 1) {
              yield* Deferred.succeed(writing, undefined)
              yield* Deferred.await(gate)
            }
            if (options.failWhole?.(inputs)) return yield* refusedError("the transaction did not commit")
            return inputs.map(answer)
          }),
        single: (input) =>
          Effect.suspend(() => {
            alone.push(input)
            return answer(input)
          }),
        max: 100,
        gather: Batch.nextTurn
      })
      return { batcher, gate, writing, batches, alone }
    })

  it.effect("writes every write waiting in one batch, and answers none of them before that batch is written", () =>
    Effect.gen(function*() {
      const { batcher, batches, gate, writing } = yield* controlled()
      const first = yield* Effect.forkChild(batcher.submit(0))
      yield* Deferred.await(writing)
      const rest = yield* Effect.forkChild(
        Effect.all([1, 2, 3, 4, 5].map(batcher.submit), { concurrency: "unbounded" })
      )
      yield* yieldUntil("five writes waiting", Effect.map(batcher.waiting, (n) => n === 5))
      // The first batch is being written: its caller has no answer yet, nor have the five behind it.
      assert.isFalse(answered(first))
      assert.isFalse(answered(rest))
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(first), 0)
      assert.deepStrictEqual(yield* Fiber.join(rest), [10, 20, 30, 40, 50])
      assert.deepStrictEqual(batches, [[0], [1, 2, 3, 4, 5]])
    }))

  it.effect("a write alone at low load goes at once: no batch waits for more work", () =>
    Effect.gen(function*() {
      const { batcher, batches, gate } = yield* controlled()
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* batcher.submit(7), 70)
      assert.strictEqual(yield* batcher.submit(8), 80)
      assert.deepStrictEqual(batches, [[7], [8]])
    }))

  it.effect("answers a failed row with its own error, and the others of its batch with theirs", () =>
    Effect.gen(function*() {
      const refused = refusedError("row 3 refused")
      const { batcher, batches, gate, writing } = yield* controlled((input) =>
        input === 3 ? Exit.fail(refused) : Exit.succeed(input * 10)
      )
      const first = yield* Effect.forkChild(batcher.submit(0))
      yield* Deferred.await(writing)
      const rest = yield* Effect.forkChild(
        Effect.all([1, 2, 3, 4].map((input) => Effect.result(batcher.submit(input))), { concurrency: "unbounded" })
      )
      yield* yieldUntil("four writes waiting", Effect.map(batcher.waiting, (n) => n === 4))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      const answers = yield* Fiber.join(rest)
      assert.deepStrictEqual(
        answers.map((answer) => Result.isSuccess(answer) ? answer.success : answer.failure.message),
        [10, 20, "row 3 refused", 40]
      )
      assert.deepStrictEqual(batches, [[0], [1, 2, 3, 4]])
    }))

  it.effect("writes each row alone when its batch did not commit, each answered with its own outcome", () =>
    Effect.gen(function*() {
      const { alone, batcher, batches, gate, writing } = yield* controlled(
        (input) => input === 2 ? Exit.fail(refusedError("row 2 refused alone")) : Exit.succeed(input),
        { failWhole: (inputs) => inputs.length > 1 }
      )
      const first = yield* Effect.forkChild(batcher.submit(0))
      yield* Deferred.await(writing)
      const rest = yield* Effect.forkChild(
        Effect.all([1, 2, 3].map((input) => Effect.result(batcher.submit(input))), { concurrency: "unbounded" })
      )
      yield* yieldUntil("three writes waiting", Effect.map(batcher.waiting, (n) => n === 3))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      const answers = yield* Fiber.join(rest)
      assert.deepStrictEqual(
        answers.map((answer) => Result.isSuccess(answer) ? answer.success : answer.failure.message),
        [1, "row 2 refused alone", 3]
      )
      assert.deepStrictEqual(batches, [[0], [1, 2, 3]])
      assert.deepStrictEqual(alone, [1, 2, 3])
    }))

  it.effect("says a batch written again one write at a time, with the cause, at most once a minute", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(String([message].flat()[0]))
      })
      yield* Effect.gen(function*() {
        const { alone, batcher, gate, writing } = yield* controlled((input) => Exit.succeed(input), {
          failWhole: (inputs) => inputs.length > 1
        })
        /** A burst of `inputs` behind a first write held at the gate (the first round) or alone: one batch of them. */
        const burst = (inputs: ReadonlyArray<number>) =>
          Effect.all(inputs.map((input) => batcher.submit(input)), { concurrency: "unbounded" })
        const first = yield* Effect.forkChild(batcher.submit(0))
        yield* Deferred.await(writing)
        const rest = yield* Effect.forkChild(burst([1, 2, 3]))
        yield* yieldUntil("three writes waiting", Effect.map(batcher.waiting, (n) => n === 3))
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(first)
        assert.deepStrictEqual(yield* Fiber.join(rest), [1, 2, 3])
        assert.deepStrictEqual(warnings, [InboxSql.batchFellBack(3)])
        // Within the minute: written alone again, not said again.
        assert.deepStrictEqual(yield* burst([4, 5]), [4, 5])
        assert.deepStrictEqual(alone.slice(-2), [4, 5], "the second burst failed as a whole too")
        assert.strictEqual(warnings.length, 1)
        yield* TestClock.adjust(Duration.minutes(1))
        assert.deepStrictEqual(yield* burst([6, 7]), [6, 7])
        assert.strictEqual(warnings.length, 2)
      }).pipe(Effect.provide(Logger.layer([logger])))
    }))

  it.effect("never writes a write whose caller was interrupted while it waited", () =>
    Effect.gen(function*() {
      const { batcher, batches, gate, writing } = yield* controlled()
      const first = yield* Effect.forkChild(batcher.submit(0))
      yield* Deferred.await(writing)
      const gone = yield* Effect.forkChild(batcher.submit(1))
      yield* yieldUntil("one write waiting", Effect.map(batcher.waiting, (n) => n === 1))
      yield* Fiber.interrupt(gone)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      assert.strictEqual(yield* batcher.submit(2), 20)
      assert.deepStrictEqual(batches, [[0], [2]])
    }))

  it.effect("takes at most `max` writes a batch, and the rest in the next", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<number>> = []
      const batcher = yield* Batch.make<number, number>({
        write: (inputs) => Effect.sync(() => (batches.push(inputs), inputs.map((input) => Exit.succeed(input)))),
        single: Effect.succeed,
        max: 3,
        gather: Batch.nextTurn
      })
      assert.deepStrictEqual(
        yield* Effect.all([1, 2, 3, 4, 5, 6, 7].map(batcher.submit), { concurrency: "unbounded" }),
        [1, 2, 3, 4, 5, 6, 7]
      )
      assert.isTrue(batches.every((batch) => batch.length <= 3), JSON.stringify(batches))
      assert.deepStrictEqual(batches.flat(), [1, 2, 3, 4, 5, 6, 7])
    }))

  it.effect("closing its scope interrupts the callers still waiting, after the batch being written answers", () =>
    Effect.gen(function*() {
      const { batcher, gate, writing } = yield* controlled()
      const first = yield* Effect.forkChild(batcher.submit(0))
      yield* Deferred.await(writing)
      const waiting = yield* Effect.forkChild(batcher.submit(1))
      yield* yieldUntil("one write waiting", Effect.map(batcher.waiting, (n) => n === 1))
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(first), 0)
      // Written in the next batch, or interrupted: never left waiting.
      const exit = yield* Fiber.await(waiting)
      assert.isTrue(Exit.isSuccess(exit) || Exit.hasInterrupts(exit))
    }))
})

// The store on real engines.

const TABLE = Store.TABLE

/** Makes the database itself refuse to insert the row `id`, and to mark the row `doneId` done: a trigger. */
const refuse = (sql: SqlClient.SqlClient, id: string, doneId: string) =>
  sql.onDialectOrElse({
    pg: () =>
      Effect.andThen(
        sql.unsafe(`CREATE FUNCTION refuse_row() RETURNS trigger AS $$
BEGIN
  IF (TG_OP = 'INSERT' AND NEW.webhook_id = '${id}')
    OR (TG_OP = 'UPDATE' AND NEW.webhook_id = '${doneId}' AND NEW.status = 'done') THEN
    RAISE EXCEPTION 'refused by the test';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql`),
        sql.unsafe(`CREATE TRIGGER refuse_row BEFORE INSERT OR UPDATE ON ${TABLE}
FOR EACH ROW EXECUTE FUNCTION refuse_row()`)
      ),
    orElse: () =>
      Effect.andThen(
        sql.unsafe(`CREATE TRIGGER refuse_insert BEFORE INSERT ON ${TABLE} WHEN NEW.webhook_id = '${id}'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`),
        sql.unsafe(`CREATE TRIGGER refuse_done BEFORE UPDATE ON ${TABLE}
WHEN NEW.webhook_id = '${doneId}' AND NEW.status = 'done'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
      )
  })

/** The text of every statement run (the `db.query.text` of its span) while `tracer` is provided. */
const statements = () => {
  const texts: Array<string> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      const attribute = span.attribute.bind(span)
      span.attribute = (key, value) => {
        if (key === "db.query.text") texts.push(String(value))
        attribute(key, value)
      }
      return span
    }
  })
  return { texts, layer: Layer.succeed(Tracer.Tracer, tracer) }
}

export const storeOn = (database: Engines.Database, mode: Store.Mode, tracer: Layer.Layer<never> = Layer.empty) =>
  Effect.gen(function*() {
    const sizes: Array<number> = []
    const context = yield* Layer.build(
      SqlStore.layer({
        mode,
        lease: Duration.seconds(30),
        heartbeat: Duration.seconds(10),
        retention: Duration.days(7),
        purgeInterval: Duration.hours(1),
        onBatch: (size) => sizes.push(size),
        writer: database.writer
      }).pipe(Layer.provideMerge(database.client()), Layer.provide(tracer))
    )
    return { store: Context.get(context, Store.WebhookInbox), sql: Context.get(context, SqlClient.SqlClient), sizes }
  })

const ids = (n: number) => Array.from({ length: n }, () => `msg_${randomBytes(8).toString("hex")}`)

const count = (sql: SqlClient.SqlClient, where: string) =>
  Effect.map(sql.unsafe<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${where}`), (rows) => Number(rows[0]?.n))

for (const engine of [Engines.sqlite(), Engines.sqlite("thread"), Engines.postgres("inbox-batch.test.ts")]) {
  describe.skipIf(engine.skip)(`group commit on ${engine.name}`, () => {
    it.live("commits a burst of claims together; a row the database refuses fails alone", () =>
      Effect.gen(function*() {
        const { sizes, sql, store } = yield* storeOn(yield* engine.database, "inline")
        const refused = `msg_refused_${randomBytes(4).toString("hex")}`
        yield* refuse(sql, refused, "none")
        const good = ids(12)
        const burst = [...good.slice(0, 6), refused, ...good.slice(6)]
        const answers = yield* Effect.all(
          burst.map((id) => Effect.result(store.claim(id, "response.completed", 1_700_000_000, "{}"))),
          { concurrency: "unbounded" }
        )
        answers.forEach((answer, i) => {
          if (burst[i] === refused) assert.isTrue(Result.isFailure(answer), "the refused row fails")
          else assert.deepStrictEqual(Result.getOrThrow(answer), Option.some(1), burst[i])
        })
        // Written together: fewer commits than writes.
        assert.isBelow(sizes.length, burst.length, `batches ${JSON.stringify(sizes)}`)
        const rows = yield* sql.unsafe<{ webhook_id: string; status: string }>(
          `SELECT webhook_id, status FROM ${TABLE}`
        )
        assert.deepStrictEqual(rows.map((row) => row.webhook_id).sort(), [...good].sort())
        assert.isTrue(rows.every((row) => row.status === "processing"))
      }))

    it.live("commits a burst of settles together; a settle the database refuses fails alone", () =>
      Effect.gen(function*() {
        const { sql, store } = yield* storeOn(yield* engine.database, "inline")
        const all = ids(9)
        const refused = all[4]!
        yield* refuse(sql, "none", refused)
        for (const id of all) yield* store.claim(id, "response.completed", 1_700_000_000, "{}")
        const answers = yield* Effect.all(all.map((id) => Effect.result(store.complete(id, 1))), {
          concurrency: "unbounded"
        })
        answers.forEach((answer, i) => {
          if (all[i] === refused) assert.isTrue(Result.isFailure(answer))
          else assert.strictEqual(Result.getOrThrow(answer), true)
        })
        const rows = yield* sql.unsafe<{ webhook_id: string; status: string }>(
          `SELECT webhook_id, status FROM ${TABLE}`
        )
        for (const row of rows) assert.strictEqual(row.status, row.webhook_id === refused ? "processing" : "done")
      }))

    it.live("claims a webhook-id once when 20 copies of it arrive together, and starts one attempt", () =>
      Effect.gen(function*() {
        const { sql, sizes, store } = yield* storeOn(yield* engine.database, "inline")
        const [id] = ids(1)
        const answers = yield* Effect.all(
          Array.from({ length: 20 }, () => store.claim(id!, "response.completed", 1_700_000_000, "{}")),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(answers.filter(Option.isSome), [Option.some(1)])
        assert.strictEqual(yield* count(sql, "openai_webhook_attempts"), 1)
        assert.isBelow(sizes.length, 20, `batches ${JSON.stringify(sizes)}`)
      }))

    it.live("queued: a burst of enqueues, one of them refused, stores the others once each", () =>
      Effect.gen(function*() {
        const { sql, store } = yield* storeOn(yield* engine.database, "queued")
        const refused = `msg_refused_${randomBytes(4).toString("hex")}`
        yield* refuse(sql, refused, "none")
        const good = ids(10)
        const burst = [refused, ...good, good[0]!]
        const answers = yield* Effect.all(
          burst.map((id) => Effect.result(store.enqueue(id, "response.completed", 1_700_000_000, "{}"))),
          { concurrency: "unbounded" }
        )
        assert.isTrue(Result.isFailure(answers[0]!))
        // Each good id queued once; its second copy is a duplicate.
        assert.strictEqual(answers.slice(1).filter((answer) => Result.getOrElse(answer, () => false)).length, 10)
        assert.strictEqual(yield* count(sql, `${TABLE} WHERE status = 'pending'`), 10)
      }))
  })
}

/**
 * `@effect/sql-pg` 4 infers each parameter's type from its value, and refused the batch statements' columns of nulls
 * only and of integers of both widths before sending them: each such batch was then written one statement per write,
 * silently (the answers were right), at half the Effect 3 edition's deliveries per second. Here every kind's burst
 * must go in its one statement, none alone.
 */
const postgres = Engines.postgres("inbox-batch.test.ts")
describe.skipIf(postgres.skip)("group commit on PostgreSQL: a burst in one statement per kind", () => {
  const { batch, claim, enqueue, settle } = InboxSql.pg
  const ran = (texts: ReadonlyArray<string>, text: string) => texts.filter((t) => t === text).length

  it.live("claims with timestamps of 32 and 64 bits, then settles with no error nor next attempt (all NULL)", () =>
    Effect.gen(function*() {
      const traced = statements()
      const { sql, store } = yield* storeOn(yield* postgres.database, "inline", traced.layer)
      const burst = ids(8)
      // 2^32 s: a timestamp past 2038, beside ones that fit 32 bits.
      const claims = yield* Effect.all(
        burst.map((id, i) => store.claim(id, "response.completed", i % 2 === 0 ? 1_700_000_000 : 2 ** 32, "{}")),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(claims, burst.map(() => Option.some(1)))
      const settles = yield* Effect.all(burst.map((id) => store.complete(id, 1)), { concurrency: "unbounded" })
      assert.deepStrictEqual(settles, burst.map(() => true))
      assert.strictEqual(ran(traced.texts, claim.text), 0, "no claim alone")
      assert.strictEqual(ran(traced.texts, settle.text), 0, "no settle alone")
      assert.isAtLeast(ran(traced.texts, batch!.claim.text), 1)
      assert.isAtLeast(ran(traced.texts, batch!.settle.text), 1)
      const rows = yield* sql.unsafe<{ webhook_timestamp: unknown; status: string }>(
        `SELECT webhook_timestamp, status FROM ${TABLE} ORDER BY webhook_id`
      )
      assert.isTrue(rows.every((row) => row.status === "done"))
      assert.deepStrictEqual(
        rows.map((row) => Number(row.webhook_timestamp)).sort(),
        [...burst.map((_, i) => i % 2 === 0 ? 1_700_000_000 : 2 ** 32)].sort()
      )
    }))

  it.live("enqueues without a trace context (traceparent all NULL)", () =>
    Effect.gen(function*() {
      const traced = statements()
      const { store } = yield* storeOn(yield* postgres.database, "queued", traced.layer)
      const burst = ids(8)
      const answers = yield* Effect.all(
        burst.map((id) => store.enqueue(id, "response.completed", 1_700_000_000, "{}")),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(answers, burst.map(() => true))
      assert.strictEqual(ran(traced.texts, enqueue.text), 0, "no enqueue alone")
      assert.isAtLeast(ran(traced.texts, batch!.enqueue.text), 1)
    }))
})
