/**
 * Group commit: the writer that takes every write waiting and commits them together (`internal/inbox/batch.ts`),
 * alone with writes it controls, then in the inbox's store on real engines, with a row the database refuses
 * (a trigger of the test's own), and over HTTP with a commit made slow on purpose (PostgreSQL: a deferred
 * constraint trigger waits for an advisory lock the test holds).
 */
import { randomBytes } from "node:crypto"
import { SqlError } from "@effect/sql/SqlError"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, Option, Redacted, TestClock, TestServices } from "effect"
import { InboxSql } from "openai-webhooks-engine"
import * as Batch from "../src/internal/inbox/batch.js"
import * as Store from "../src/internal/inbox/store.js"
import { WebhookHttp, WebhookSecret, WebhookTesting } from "../src/index.js"
import { listenLoopback } from "./support/http.js"
import { postgresUrl } from "./support/built-receiver.js"
import * as Engines from "./support/inbox-engines.js"

/** Yields until `done()` holds, at most 20,000 times. */
const yieldUntil = (what: string, done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 20_000; i++) {
      if (yield* done) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`${what}: not reached`)
  })


describe("group commit", () => {
  /** A batcher whose `write` records each batch and, for the first, waits for `gate`. */
  const controlled = (
    answer: (input: number) => Exit.Exit<number, SqlError> = (input) => Exit.succeed(input * 10),
    options: {
      readonly failWhole?: (inputs: ReadonlyArray<number>) => boolean
      /** The writer's `gather` (none: each write waiting when the writer looks is its batch). */
      readonly gather?: Effect.Effect<void>
    } = {}
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
            if (options.failWhole?.(inputs)) return yield* new SqlError({ message: "the transaction did not commit" })
            return inputs.map(answer)
          }),
        single: (input) =>
          Effect.suspend(() => {
            alone.push(input)
            return answer(input)
          }),
        max: 100,
        gather: options.gather
      })
      return { batcher, gate, writing, batches, alone }
    })

  it.scoped("writes every write waiting in one batch, and answers none of them before that batch is written", () =>
    Effect.gen(function*() {
      const { batcher, batches, gate, writing } = yield* controlled()
      const first = yield* Effect.fork(batcher.submit(0))
      yield* Deferred.await(writing)
      const rest = yield* Effect.fork(
        Effect.all([1, 2, 3, 4, 5].map(batcher.submit), { concurrency: "unbounded" })
      )
      yield* yieldUntil("five writes waiting", Effect.map(batcher.waiting, (n) => n === 5))
      // The first batch is being written: its caller has no answer yet, nor have the five behind it.
      assert.isTrue(Option.isNone(yield* Fiber.poll(first)))
      assert.isTrue(Option.isNone(yield* Fiber.poll(rest)))
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(first), 0)
      assert.deepStrictEqual(yield* Fiber.join(rest), [10, 20, 30, 40, 50])
      assert.deepStrictEqual(batches, [[0], [1, 2, 3, 4, 5]])
    }))

  it.scoped("a write alone at low load goes at once: no batch waits for more work", () =>
    Effect.gen(function*() {
      const { batcher, batches, gate } = yield* controlled()
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* batcher.submit(7), 70)
      assert.strictEqual(yield* batcher.submit(8), 80)
      assert.deepStrictEqual(batches, [[7], [8]])
    }))

  it.scoped("answers a failed row with its own error, and the others of its batch with theirs", () =>
    Effect.gen(function*() {
      const refused = new SqlError({ message: "row 3 refused" })
      const { batcher, batches, gate, writing } = yield* controlled((input) =>
        input === 3 ? Exit.fail(refused) : Exit.succeed(input * 10)
      )
      const first = yield* Effect.fork(batcher.submit(0))
      yield* Deferred.await(writing)
      const rest = yield* Effect.fork(
        Effect.all([1, 2, 3, 4].map((input) => Effect.either(batcher.submit(input))), { concurrency: "unbounded" })
      )
      yield* yieldUntil("four writes waiting", Effect.map(batcher.waiting, (n) => n === 4))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      const answers = yield* Fiber.join(rest)
      assert.deepStrictEqual(answers.map((answer) => answer._tag === "Right" ? answer.right : answer.left.message), [
        10,
        20,
        "row 3 refused",
        40
      ])
      assert.deepStrictEqual(batches, [[0], [1, 2, 3, 4]])
    }))

  it.scoped("writes each row alone when its batch did not commit, each answered with its own outcome", () =>
    Effect.gen(function*() {
      const { alone, batcher, batches, gate, writing } = yield* controlled(
        (input) => input === 2 ? Exit.fail(new SqlError({ message: "row 2 refused alone" })) : Exit.succeed(input),
        { failWhole: (inputs) => inputs.length > 1 }
      )
      const first = yield* Effect.fork(batcher.submit(0))
      yield* Deferred.await(writing)
      const rest = yield* Effect.fork(
        Effect.all([1, 2, 3].map((input) => Effect.either(batcher.submit(input))), { concurrency: "unbounded" })
      )
      yield* yieldUntil("three writes waiting", Effect.map(batcher.waiting, (n) => n === 3))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      const answers = yield* Fiber.join(rest)
      assert.deepStrictEqual(answers.map((answer) => answer._tag === "Right" ? answer.right : answer.left.message), [
        1,
        "row 2 refused alone",
        3
      ])
      assert.deepStrictEqual(batches, [[0], [1, 2, 3]])
      assert.deepStrictEqual(alone, [1, 2, 3])
    }))

  it.scoped("says a batch written again one write at a time, with the cause, at most once a minute", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String([message].flat()[0]))
      })
      yield* Effect.gen(function*() {
        const { alone, batcher, gate, writing } = yield* controlled((input) => Exit.succeed(input), {
          failWhole: (inputs) => inputs.length > 1,
          // A burst's writes gathered into one batch, which then fails as a whole.
          gather: Batch.nextTurn
        })
        const burst = (inputs: ReadonlyArray<number>) =>
          Effect.all(inputs.map((input) => batcher.submit(input)), { concurrency: "unbounded" })
        const first = yield* Effect.fork(batcher.submit(0))
        yield* Deferred.await(writing)
        const rest = yield* Effect.fork(burst([1, 2, 3]))
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
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    }))

  it.scoped("never writes a write whose caller was interrupted while it waited", () =>
    Effect.gen(function*() {
      const { batcher, batches, gate, writing } = yield* controlled()
      const first = yield* Effect.fork(batcher.submit(0))
      yield* Deferred.await(writing)
      const gone = yield* Effect.fork(batcher.submit(1))
      yield* yieldUntil("one write waiting", Effect.map(batcher.waiting, (n) => n === 1))
      yield* Fiber.interrupt(gone)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      assert.strictEqual(yield* batcher.submit(2), 20)
      assert.deepStrictEqual(batches, [[0], [2]])
    }))
})

// The store on real engines.

const TABLE = "openai_webhook_deliveries"

/** Makes the database itself refuse to insert the row `id`, and to mark the row `doneId` done: a trigger. */
const refuse = (sql: SqlClient.SqlClient, id: string, doneId: string) =>
  sql.onDialectOrElse({
    pg: () =>
      Effect.zipRight(
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
      Effect.zipRight(
        sql.unsafe(`CREATE TRIGGER refuse_insert BEFORE INSERT ON ${TABLE} WHEN NEW.webhook_id = '${id}'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`),
        sql.unsafe(`CREATE TRIGGER refuse_done BEFORE UPDATE ON ${TABLE}
WHEN NEW.webhook_id = '${doneId}' AND NEW.status = 'done'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
      )
  })

const storeOn = (database: Engines.Database, mode: Store.Mode) =>
  Effect.gen(function*() {
    const sizes: Array<number> = []
    const context = yield* Layer.build(
      Store.layer({
        mode,
        lease: Duration.seconds(30),
        heartbeat: Duration.seconds(10),
        retention: Duration.days(7),
        purgeInterval: Duration.hours(1),
        onBatch: (size) => sizes.push(size)
      }).pipe(Layer.provideMerge(database.client()))
    )
    return {
      store: Context.get(context, Store.WebhookInbox),
      sql: Context.get(context, SqlClient.SqlClient),
      sizes,
      context
    }
  })

const ids = (n: number) => Array.from({ length: n }, () => `msg_${randomBytes(8).toString("hex")}`)

for (const engine of [Engines.sqlite(), Engines.postgres("inbox-batch.test.ts")]) {
  describe.skipIf(engine.skip)(`group commit on ${engine.name}`, () => {
    it.scoped("commits a burst of claims together; a row the database refuses fails alone", () =>
      Effect.gen(function*() {
        const { sizes, sql, store } = yield* storeOn(yield* engine.database, "inline")
        const refused = `msg_refused_${randomBytes(4).toString("hex")}`
        yield* refuse(sql, refused, "none")
        const good = ids(12)
        const burst = [...good.slice(0, 6), refused, ...good.slice(6)]
        const answers = yield* Effect.all(
          burst.map((id) => Effect.either(store.claim(id, "response.completed", 1_700_000_000, "{}"))),
          { concurrency: "unbounded" }
        )
        answers.forEach((answer, i) => {
          if (burst[i] === refused) assert.strictEqual(answer._tag, "Left", "the refused row fails")
          else assert.deepStrictEqual(answer._tag === "Right" ? answer.right : answer.left, Option.some(1), burst[i])
        })
        // Written together: fewer commits than writes.
        assert.isBelow(sizes.length, burst.length, `batches ${JSON.stringify(sizes)}`)
        const rows = yield* sql<{ webhook_id: string; status: string }>`SELECT webhook_id, status FROM ${sql(TABLE)}`
        assert.deepStrictEqual(rows.map((row) => row.webhook_id).sort(), [...good].sort())
        assert.isTrue(rows.every((row) => row.status === "processing"))
      }))

    it.scoped("commits a burst of settles together; a settle the database refuses fails alone", () =>
      Effect.gen(function*() {
        const { sql, store } = yield* storeOn(yield* engine.database, "inline")
        const all = ids(9)
        const refused = all[4]!
        yield* refuse(sql, "none", refused)
        for (const id of all) yield* store.claim(id, "response.completed", 1_700_000_000, "{}")
        const answers = yield* Effect.all(all.map((id) => Effect.either(store.complete(id, 1))), {
          concurrency: "unbounded"
        })
        answers.forEach((answer, i) => {
          if (all[i] === refused) assert.strictEqual(answer._tag, "Left")
          else assert.strictEqual(answer._tag === "Right" ? answer.right : answer.left, true)
        })
        const rows = yield* sql<{ webhook_id: string; status: string }>`SELECT webhook_id, status FROM ${sql(TABLE)}`
        for (const row of rows) assert.strictEqual(row.status, row.webhook_id === refused ? "processing" : "done")
      }))

    it.scoped("stores an event type holding U+0000 (valid in the signed JSON) as U+FFFD, in both modes", () =>
      Effect.gen(function*() {
        const { sql, store } = yield* storeOn(yield* engine.database, "inline")
        const [claimed, queued] = ids(2)
        assert.isTrue(Option.isSome(yield* store.claim(claimed!, "response.completed\u0000", 1_700_000_000, "{}")))
        assert.isTrue(yield* store.enqueue(queued!, "\u0000batch.completed", 1_700_000_000, "{}"))
        const rows = yield* sql<{ webhook_id: string; event_type: string }>`SELECT webhook_id, event_type
FROM ${sql(TABLE)} ORDER BY webhook_id`
        assert.deepStrictEqual(
          Object.fromEntries(rows.map((row) => [row.webhook_id, row.event_type])),
          { [claimed!]: "response.completed\uFFFD", [queued!]: "\uFFFDbatch.completed" }
        )
      }))

    it.scoped("claims a webhook-id once when copies of it are in one batch, and starts one attempt", () =>
      Effect.gen(function*() {
        const { sql, store } = yield* storeOn(yield* engine.database, "inline")
        const [id] = ids(1)
        const answers = yield* Effect.all(
          Array.from({ length: 8 }, () => store.claim(id!, "response.completed", 1_700_000_000, "{}")),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(answers.filter(Option.isSome).length, 1)
        const [attempts] = yield* sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM openai_webhook_attempts`
        assert.strictEqual(Number(attempts?.n), 1)
      }))

    it.scoped("queued: a burst of enqueues, one of them refused, stores the others once each", () =>
      Effect.gen(function*() {
        const { sql, store } = yield* storeOn(yield* engine.database, "queued")
        const refused = `msg_refused_${randomBytes(4).toString("hex")}`
        yield* refuse(sql, refused, "none")
        const good = ids(10)
        const burst = [refused, ...good, good[0]!]
        const answers = yield* Effect.all(
          burst.map((id) => Effect.either(store.enqueue(id, "response.completed", 1_700_000_000, "{}"))),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(answers[0]!._tag, "Left")
        // Each good id queued once; its second copy is a duplicate.
        const queued = answers.slice(1).map((answer) => answer._tag === "Right" && answer.right)
        assert.strictEqual(queued.filter(Boolean).length, 10)
        const rows = yield* sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql(TABLE)} WHERE status = 'pending'`
        assert.strictEqual(Number(rows[0]?.n), 10)
      }))
  })
}

// Over HTTP: no 200 before the delivery's commit.

describe.skipIf(Engines.postgres("inbox-batch.test.ts").skip)("group commit over HTTP on PostgreSQL", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  const LOCK = 7_311_011

  it.scoped("answers 200 only once the delivery's commit is done, however slow the commit", () =>
    Effect.gen(function*() {
      const database = yield* (Engines.postgres("inbox-batch.test.ts")).database
      const { context: inbox, sql } = yield* storeOn(database, "inline")
      // Every transaction that marks a delivery done waits, at COMMIT, for the advisory lock the test holds.
      yield* sql.unsafe(`CREATE FUNCTION slow_commit() RETURNS trigger AS $$
BEGIN
  IF NEW.status = 'done' THEN PERFORM pg_advisory_xact_lock(${LOCK}); END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql`)
      yield* sql.unsafe(`CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON ${TABLE}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`)
      const holder = Context.get(
        yield* Layer.build(PgClient.layer({ url: Redacted.make(postgresUrl!), maxConnections: 1 })),
        SqlClient.SqlClient
      )
      // One connection, reserved for the test: it takes the lock and later lets it go.
      const connection = yield* holder.reserve
      yield* connection.executeRaw(`SELECT pg_advisory_lock(${LOCK})`, [])

      const handled = yield* Deferred.make<void>()
      const listener = yield* WebhookHttp.makeNodeListener({ handle: () => Deferred.succeed(handled, undefined) }).pipe(
        Effect.provide(inbox),
        Effect.provide(WebhookSecret.layer(secret))
      )
      const { port } = yield* listenLoopback(listener)
      const delivery = yield* Effect.orDie(
        WebhookTesting.sign({ event: WebhookTesting.sample("response.completed"), secret })
      )
      let answered: number | undefined
      const response = fetch(`http://127.0.0.1:${port}${WebhookHttp.DEFAULT_PATH}`, {
        method: "POST",
        headers: delivery.headers,
        body: delivery.body as string
      }).then((reply) => {
        answered = reply.status
        return reply.status
      })
      yield* Deferred.await(handled)
      // The handler ran; its "done" is committing, and the commit waits for the lock: PostgreSQL says so.
      yield* TestServices.provideLive(Effect.gen(function*() {
        for (let tries = 0; tries < 2000; tries++) {
          const waiting = yield* connection.executeRaw(
            `SELECT COUNT(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = ${LOCK} AND NOT granted`,
            []
          )
          if ((waiting as unknown as { rows: Array<{ n: number }> }).rows[0]!.n > 0) return
          yield* Effect.sleep("10 millis")
        }
        return yield* Effect.dieMessage("the commit never waited for the lock")
      }))
      assert.strictEqual(answered, undefined, "answered while its commit waited")
      const [before] = yield* sql<{ status: string }>`SELECT status FROM ${sql(TABLE)}`
      assert.strictEqual(before?.status, "processing", "not done for anyone else either")
      yield* connection.executeRaw(`SELECT pg_advisory_unlock(${LOCK})`, [])
      assert.strictEqual(yield* Effect.promise(() => response), 200)
      const [after] = yield* sql<{ status: string }>`SELECT status FROM ${sql(TABLE)}`
      assert.strictEqual(after?.status, "done")
    }).pipe(Effect.scoped), { timeout: 30_000 })
})

// No 200 before the store says the delivery is durable (SQLite below FULL: the log's fdatasync).

describe("a 200 waits for the store's durability barrier", () => {
  const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
  const engine = Engines.sqlite()

  for (const mode of ["inline", "queued"] as const) {
    it.scoped(`${mode}: the answer comes only once durable has returned, for the delivery and for its copy`, () =>
      Effect.gen(function*() {
        const { context, store } = yield* storeOn(yield* engine.database, mode)
        // The real store, its barrier held shut by the test until it opens it.
        let gate = yield* Deferred.make<void>()
        let reached = yield* Deferred.make<void>()
        const gated: Store.Store = {
          ...store,
          durable: Effect.zipRight(
            Effect.suspend(() => Effect.zipRight(Deferred.succeed(reached, undefined), Deferred.await(gate))),
            store.durable
          )
        }
        const listener = yield* WebhookHttp.makeNodeListener({ handle: () => Effect.void }).pipe(
          Effect.provide(Context.add(context, Store.WebhookInbox, gated)),
          Effect.provide(WebhookSecret.layer(secret))
        )
        const { port } = yield* listenLoopback(listener)
        const delivery = yield* Effect.orDie(
          WebhookTesting.sign({ event: WebhookTesting.sample("batch.completed"), secret })
        )
        const post = () => {
          const state: { status?: number; body?: string } = {}
          const done = fetch(`http://127.0.0.1:${port}${WebhookHttp.DEFAULT_PATH}`, {
            method: "POST",
            headers: delivery.headers,
            body: delivery.body as string
          }).then(async (reply) => {
            state.body = await reply.text()
            state.status = reply.status
          })
          return { state, done }
        }
        for (const copy of ["first", "duplicate"]) {
          const sent = post()
          yield* Deferred.await(reached)
          // Its row is committed (another connection would see it), its barrier not passed: no answer yet.
          assert.strictEqual(sent.state.status, undefined, `${copy}: answered before durable returned`)
          yield* Deferred.succeed(gate, undefined)
          yield* Effect.promise(() => sent.done)
          assert.strictEqual(sent.state.status, 200, copy)
          if (copy === "duplicate") assert.include(sent.state.body!, "duplicate")
          gate = yield* Deferred.make<void>()
          reached = yield* Deferred.make<void>()
        }
      }))
  }
})
