/**
 * The Effect 4 edition's queued workers on real engines (a SQLite file, and PostgreSQL when `DATABASE_URL` names
 * one): what a stop leaves behind, how many attempts a schedule allows and after which delays, and a handler that
 * outlives its timeout. Deliveries are stored with the store's own `enqueue`, as the queued route stores them. The
 * Effect 3 edition's cases, on the real clock with short durations (Effect 4's TestClock does not show its
 * sleepers, which the Effect 3 tests waited on); the default schedule's delays are stepped directly.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Schedule,
  Scope
} from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { Events } from "openai-webhooks-engine"
import * as WebhookInbox from "../src/WebhookInbox.js"
import * as Engines from "./support/inbox-engines.js"
import { observe } from "./support/log.js"

const TABLE = "openai_webhook_deliveries"

/** The inbox on a new connection to `database`, queued, with the SqlClient to look at its rows. */
const open = (database: Engines.Database) =>
  Effect.map(
    Layer.build(
      WebhookInbox.layerSql({ mode: "queued", writer: database.writer }).pipe(Layer.provideMerge(database.client()))
    ),
    (context) => ({
      store: Context.get(context, WebhookInbox.WebhookInbox),
      sql: Context.get(context, SqlClient.SqlClient)
    })
  )

const body = JSON.stringify(Events.get("response.completed").sample)

/** Stores `count` deliveries as the queued route does; their ids. */
const enqueue = (store: WebhookInbox.Store, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => `msg_worker_${i}`), (id) =>
    Effect.as(Effect.orDie(store.enqueue(id, "response.completed", 1_700_000_000, body)), id))

/** How many rows have each status. */
const statuses = (sql: SqlClient.SqlClient) =>
  Effect.map(
    Effect.orDie(sql.unsafe<{ status: string; n: unknown }>(
      `SELECT status, COUNT(*) AS n FROM ${TABLE} GROUP BY status`
    )),
    (rows) => Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]))
  )

/** The workers on `store`, in a scope of their own inside the test's: closing it is the process stopping. */
const workers = <E>(
  store: WebhookInbox.Store,
  options: WebhookInbox.WorkerOptions<E, never>,
  log: ReturnType<typeof observe>
) =>
  Effect.gen(function*() {
    const scope = yield* Scope.fork(yield* Effect.scope)
    yield* Layer.buildWithScope(
      WebhookInbox.layerWorker(options).pipe(
        Layer.provide(Layer.succeed(WebhookInbox.WebhookInbox, store)),
        Layer.provide(log.layer)
      ),
      scope
    ).pipe(Effect.orDie)
    return scope
  })

describe("WebhookInbox.defaultSchedule", () => {
  it.effect("allows 8 attempts: retries after 1 s, 2 s, 4 s ... 64 s, then ends", () =>
    Effect.gen(function*() {
      const step = yield* Schedule.toStep(WebhookInbox.defaultSchedule)
      const delays: Array<string> = []
      for (let input = 0; input < 10; input++) {
        const next = yield* Effect.exit(step(0, input))
        if (Exit.isFailure(next)) break
        delays.push(Duration.format(next.value[1]))
      }
      assert.deepStrictEqual(delays, [1, 2, 4, 8, 16, 32, 64].map((s) => Duration.format(Duration.seconds(s))))
    }))
})

for (const engine of Engines.engines("inbox-worker.test.ts")) {
  describe.skipIf(engine.skip)(`Effect 4 inbox workers on ${engine.name}`, () => {
    it.live("leaves nothing leased when it stops during a take: the rows taken are given back, due at once", () =>
      Effect.gen(function*() {
        const log = observe()
        const { sql, store } = yield* open(yield* engine.database)
        yield* enqueue(store, 8)
        // The take's statement has run (the rows are leased: committed) and its result is still on its way when
        // the stop comes: the moment a shutdown would lose the rows at, until their lease ran out.
        const leased = yield* Deferred.make<number>()
        const arrives = yield* Deferred.make<void>()
        const slow: WebhookInbox.Store = {
          ...store,
          take: (max) =>
            Effect.tap(store.take(max), (rows) =>
              rows.length === 0
                ? Effect.void
                : Effect.andThen(Deferred.succeed(leased, rows.length), Deferred.await(arrives)))
        }
        const calls: Array<string> = []
        const scope = yield* workers(slow, {
          handle: (_event, delivery) => Effect.andThen(Effect.sync(() => calls.push(delivery.id)), Effect.never),
          concurrency: 4
        }, log)
        assert.strictEqual(yield* Deferred.await(leased), 4)
        assert.deepStrictEqual(yield* statuses(sql), { pending: 4, processing: 4 })
        // Started at once, the stop runs until it waits for the taker: the taker has its interruption (pending: it
        // waits, uninterruptible, for its take) when the fork returns. Then the take answers.
        const stopping = yield* Effect.forkChild(Scope.close(scope, Exit.void), { startImmediately: true })
        yield* Deferred.succeed(arrives, undefined)
        yield* Fiber.join(stopping)
        // Nothing leased by nobody: the four taken are pending again, due now; no handler was started only to be
        // cut short, and their attempt says it was interrupted.
        assert.deepStrictEqual(yield* statuses(sql), { pending: 8 })
        assert.deepStrictEqual(calls, [])
        const attempts = yield* Effect.orDie(sql.unsafe<{ outcome: string | null }>(
          "SELECT outcome FROM openai_webhook_attempts"
        ))
        assert.deepStrictEqual(attempts.map((row) => row.outcome), Array.from({ length: 4 }, () => "interrupted"))
        // The next instance takes them at once, without waiting for any lease.
        const next = yield* workers(store, { handle: () => Effect.void, concurrency: 8 }, log)
        yield* log.waitFor(8, "processed")
        assert.deepStrictEqual(yield* statuses(sql), { done: 8 })
        yield* Scope.close(next, Exit.void)
      }))

    it.live("makes the attempts its schedule allows, no more, after the delays it gives", () =>
      Effect.gen(function*() {
        const log = observe()
        const { sql, store } = yield* open(yield* engine.database)
        const [id] = yield* enqueue(store, 1)
        let calls = 0
        yield* workers(store, {
          handle: () => Effect.suspend(() => Effect.fail(new Error(`the database is down (call ${++calls})`))),
          // The default's shape, a thousand times faster: 8 attempts, 1 ms, 2 ms ... 64 ms apart.
          schedule: Schedule.max([Schedule.exponential("1 millis"), Schedule.recurs(7)]),
          pollInterval: "2 millis"
        }, log)
        yield* log.waitFor(1, "dead")
        const failed = log.lines.filter((line) => line.message === "failed")
        assert.deepStrictEqual(failed.map((line) => line.annotations["attempt"]), [1, 2, 3, 4, 5, 6, 7])
        assert.deepStrictEqual(
          failed.map((line) => line.annotations["retry_in"]),
          [1, 2, 4, 8, 16, 32, 64].map((ms) => Duration.format(Duration.millis(ms)))
        )
        const dead = log.lines.find((line) => line.message === "dead")
        assert.strictEqual(dead?.annotations["attempt"], 8)
        assert.include(dead?.cause, "the database is down (call 8)")
        // Polls on, nothing more: the schedule has ended, and a dead delivery is never taken.
        yield* Effect.sleep("50 millis")
        assert.strictEqual(calls, 8)
        const rows = yield* Effect.orDie(sql.unsafe<{ status: string; attempts: unknown }>(
          `SELECT status, attempts FROM ${TABLE} WHERE webhook_id = '${id}'`
        ))
        assert.deepStrictEqual(rows.map((row) => [row.status, Number(row.attempts)]), [["dead", 8]])
      }))

    it.live("makes n + 1 attempts for Schedule.recurs(n): one for recurs(0), three for recurs(2)", () =>
      Effect.gen(function*() {
        for (const retries of [0, 2]) {
          const log = observe()
          const { store } = yield* open(yield* engine.database)
          yield* enqueue(store, 1)
          let calls = 0
          const scope = yield* workers(store, {
            handle: () => Effect.suspend(() => Effect.fail(new Error(`call ${++calls}`))),
            schedule: Schedule.recurs(retries),
            pollInterval: "2 millis"
          }, log)
          yield* log.waitFor(1, "dead")
          yield* Effect.sleep("30 millis")
          assert.strictEqual(calls, retries + 1)
          assert.strictEqual(log.count("failed"), retries)
          yield* Scope.close(scope, Exit.void)
        }
      }))

    it.live("interrupts a hung handler after its timeout, records it timed_out, and retries it", () =>
      Effect.gen(function*() {
        const log = observe()
        const { sql, store } = yield* open(yield* engine.database)
        const [id] = yield* enqueue(store, 1)
        const interrupted = yield* Deferred.make<void>()
        let calls = 0
        yield* workers(store, {
          handle: () =>
            Effect.suspend(() =>
              ++calls === 1
                ? Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
                : Effect.void
            ),
          // One slot: the hung handler holds it, and nothing else would ever run without the timeout.
          concurrency: 1,
          timeout: "50 millis",
          schedule: Schedule.max([Schedule.spaced("5 millis"), Schedule.recurs(1)]),
          pollInterval: "2 millis"
        }, log)
        yield* Deferred.await(interrupted)
        yield* log.waitFor(1, "processed")
        const failed = log.lines.find((line) => line.message === "failed")
        assert.include(failed?.cause, `the handler did not finish within ${Duration.format(Duration.millis(50))}`)
        assert.strictEqual(calls, 2)
        const attempts = yield* Effect.orDie(sql.unsafe<{ attempt: unknown; outcome: string }>(
          `SELECT attempt, outcome FROM openai_webhook_attempts WHERE webhook_id = '${id}' ORDER BY attempt`
        ))
        assert.deepStrictEqual(attempts.map((row) => [Number(row.attempt), row.outcome]), [
          [1, "timed_out"],
          [2, "processed"]
        ])
      }))

    it.live("keeps a delivery whose body is not an event as dead at once, logging its reason and body", () =>
      Effect.gen(function*() {
        const log = observe()
        const { store } = yield* open(yield* engine.database)
        yield* Effect.orDie(store.enqueue("msg_garbage", "response.completed", 1_700_000_000, "{not json"))
        let calls = 0
        yield* workers(store, { handle: () => Effect.sync(() => void calls++), pollInterval: "2 millis" }, log)
        yield* log.waitFor(1, "dead")
        const dead = log.lines.find((line) => line.message === "dead")
        assert.strictEqual(dead?.annotations["reason"], "InvalidJson")
        assert.strictEqual(dead?.annotations["body"], "{not json")
        assert.strictEqual(calls, 0)
      }))
  })
}
