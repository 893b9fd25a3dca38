/**
 * The queued workers on real engines (a SQLite file, and PostgreSQL when `DATABASE_URL` names one): what a stop
 * leaves behind, how many attempts a schedule allows, and the default bound on a handler's run. Deliveries are
 * stored with the store's own `enqueue`, as the queued route stores them; the TestClock drives every wait.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  Schedule,
  Scope,
  TestClock,
  TestServices
} from "effect"
import { WebhookInbox, WebhookTesting } from "../src/index.js"
import * as Engines from "./support/inbox-engines.js"

const TABLE = "openai_webhook_deliveries"
const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

interface Line {
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly cause: string
}

/** Every line logged, and a way to wait for one: the worker says each attempt's outcome in a line. */
const observe = () => {
  const lines: Array<Line> = []
  const waiters = new Set<() => void>()
  const logger = Logger.make(({ annotations, cause, message }) => {
    lines.push({
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(annotations),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
    })
    for (const waiter of waiters) waiter()
  })
  /** Resumes once `count` lines say `message`. */
  const waitFor = (message: string, count: number) =>
    Effect.async<void>((resume) => {
      const check = () => {
        if (lines.filter((line) => line.message === message).length < count) return
        waiters.delete(check)
        resume(Effect.void)
      }
      waiters.add(check)
      check()
      return Effect.sync(() => waiters.delete(check))
    })
  const count = (...messages: ReadonlyArray<string>) => lines.filter((line) => messages.includes(line.message)).length
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger), waitFor, count }
}

/** The workers' poll interval here: how far the TestClock moves between two looks. */
const POLL = 250

/**
 * Resumes once some fiber sleeps until a time within `within` ms from now (the taker until its next poll, a
 * handler's timer until its timeout): moving the TestClock now wakes it. Waits real time in between (the
 * database answers in real time), 20 s at most.
 */
const asleep = (within: number) =>
  Effect.gen(function*() {
    for (let tries = 0; tries < 2000; tries++) {
      const now = yield* TestClock.currentTimeMillis
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.some(sleeps, (time) => time > now && time <= now + within)) return
      yield* TestServices.provideLive(Effect.sleep("10 millis"))
    }
    return yield* Effect.dieMessage("no fiber went to sleep within 20 s")
  })

/**
 * Ten more polls, each once the taker sleeps. (Not one long move of the TestClock: on SQLite, whose statements
 * answer at once, the taker would poll all along it, an hour being 14,400 polls.)
 */
const morePolls = Effect.gen(function*() {
  for (let polls = 0; polls < 10; polls++) {
    yield* asleep(POLL)
    yield* TestClock.adjust(POLL)
  }
  yield* asleep(POLL)
})

/** Moves the TestClock a poll at a time, each once the taker sleeps, until `lines` lines say one of `messages`. */
const pollUntil = (log: ReturnType<typeof observe>, lines: number, ...messages: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    for (let polls = 0; log.count(...messages) < lines; polls++) {
      if (polls > 1000) return yield* Effect.dieMessage(`not ${lines} lines ${messages.join(" or ")} in 1000 polls`)
      yield* asleep(POLL)
      yield* TestClock.adjust(POLL)
    }
  })

/** The inbox on a new connection to `database`, queued, with the SqlClient to look at its rows. */
const open = (database: Engines.Database) =>
  Effect.map(
    Layer.build(WebhookInbox.layerSql({ mode: "queued" }).pipe(Layer.provideMerge(database.client()))),
    (context) => ({
      store: Context.get(context, WebhookInbox.WebhookInbox),
      sql: Context.get(context, SqlClient.SqlClient)
    })
  )

/** Stores `count` deliveries as the queued route does; their ids. */
const enqueue = (store: WebhookInbox.Store, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
    Effect.gen(function*() {
      const id = `msg_worker_${i}`
      const { body } = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
      assert.isTrue(yield* Effect.orDie(store.enqueue(id, "response.completed", 1_700_000_000, String(body))))
      return id
    }))

/** How many rows have each status. */
const statuses = (sql: SqlClient.SqlClient) =>
  Effect.map(
    Effect.orDie(sql<{ status: string; n: unknown }>`SELECT status, COUNT(*) AS n FROM ${sql(TABLE)} GROUP BY status`),
    (rows) => Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]))
  )

/** The workers on `store`, in a scope of their own: closing it is the process stopping. */
const workers = <E>(
  store: WebhookInbox.Store,
  options: Omit<WebhookInbox.WorkerOptions<E, never>, "handle"> & {
    readonly handle: WebhookInbox.WorkerOptions<E, never>["handle"]
  },
  log: ReturnType<typeof observe>
) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Layer.buildWithScope(
      WebhookInbox.layerWorker(options).pipe(Layer.provide(Layer.succeed(WebhookInbox.WebhookInbox, store))),
      scope
    ).pipe(Effect.provide(log.layer), Effect.orDie)
    return scope
  })

for (const engine of Engines.engines("inbox-worker.test.ts")) {
  describe.skipIf(engine.skip)(`inbox workers on ${engine.name}`, () => {
    it.scoped("leaves nothing leased when it stops during a take: the rows taken are given back, due at once", () =>
      Effect.gen(function*() {
        const log = observe()
        const { sql, store } = yield* open(yield* engine.database)
        yield* enqueue(store, 8)
        // The take's statement has run (PostgreSQL leased the rows: committed) and its result is still on its way
        // when the stop comes: the moment a shutdown used to lose the rows at, until their lease ran out.
        const leased = yield* Deferred.make<number>()
        const arrives = yield* Deferred.make<void>()
        const slow: WebhookInbox.Store = {
          ...store,
          take: (max) =>
            Effect.tap(store.take(max), (rows) =>
              rows.length === 0
                ? Effect.void
                : Effect.zipRight(Deferred.succeed(leased, rows.length), Deferred.await(arrives)))
        }
        const calls: Array<string> = []
        const scope = yield* workers(slow, {
          handle: (_event, delivery) => Effect.zipRight(Effect.sync(() => calls.push(delivery.id)), Effect.never),
          concurrency: 4
        }, log)
        assert.strictEqual(yield* Deferred.await(leased), 4)
        assert.deepStrictEqual(yield* statuses(sql), { pending: 4, processing: 4 })
        const stopping = yield* Effect.fork(Scope.close(scope, Exit.void))
        // The stop has asked the taker to end once `stopping` waits for it (or has ended, were the take interruptible).
        while ((yield* Fiber.status(stopping))._tag === "Running") yield* Effect.yieldNow()
        yield* Deferred.succeed(arrives, undefined)
        yield* Fiber.join(stopping)
        // Nothing leased by nobody: the four taken are pending again, due now, for the next instance; no handler was
        // started only to be cut short, and their attempt says it was interrupted.
        assert.deepStrictEqual(yield* statuses(sql), { pending: 8 })
        assert.deepStrictEqual(calls, [])
        const attempts = yield* Effect.orDie(
          sql<{ outcome: string | null }>`SELECT outcome FROM openai_webhook_attempts`
        )
        assert.deepStrictEqual(attempts.map((row) => row.outcome), Array.from({ length: 4 }, () => "interrupted"))
        const now = yield* TestClock.currentTimeMillis
        const due = yield* Effect.orDie(
          sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql(TABLE)} WHERE next_attempt_at <= ${now}`
        )
        assert.strictEqual(Number(due[0]?.n), 8)
        // The next instance takes them at once, without waiting for any lease.
        const next = yield* workers(store, { handle: () => Effect.void, concurrency: 8 }, log)
        yield* log.waitFor("processed", 8)
        assert.deepStrictEqual(yield* statuses(sql), { done: 8 })
        yield* Scope.close(next, Exit.void)
      }))

    it.scoped("makes the attempts its schedule allows, no more: the default's 8, retried after 1 s, 2 s ... 64 s", () =>
      Effect.gen(function*() {
        const log = observe()
        const { sql, store } = yield* open(yield* engine.database)
        const [id] = yield* enqueue(store, 1)
        let calls = 0
        const scope = yield* workers(store, {
          handle: () => Effect.suspend(() => Effect.fail(new Error(`the database is down (call ${++calls})`))),
          pollInterval: POLL
        }, log)
        for (let attempt = 1; attempt <= 7; attempt++) {
          yield* pollUntil(log, attempt, "failed")
          const failed = log.lines.filter((line) => line.message === "failed")[attempt - 1]
          assert.strictEqual(failed?.annotations["attempt"], attempt)
          assert.strictEqual(failed?.annotations["retry_in"], Duration.format(Duration.seconds(2 ** (attempt - 1))))
          // Its delay, at once; then the polls that find it due.
          yield* asleep(POLL)
          yield* TestClock.adjust(Duration.seconds(2 ** (attempt - 1)))
        }
        yield* pollUntil(log, 1, "dead")
        const dead = log.lines.find((line) => line.message === "dead")
        assert.strictEqual(dead?.annotations["attempt"], 8)
        assert.include(dead?.cause, "the database is down (call 8)")
        // Polls on, nothing more: the schedule has ended, and a dead delivery is never taken.
        yield* morePolls
        assert.strictEqual(calls, 8)
        assert.strictEqual(log.count("failed", "dead", "processed"), 8)
        const rows = yield* Effect.orDie(
          sql<{ status: string; attempts: unknown }>`SELECT status, attempts FROM ${sql(TABLE)}
WHERE webhook_id = ${id}`
        )
        assert.deepStrictEqual(rows.map((row) => [row.status, Number(row.attempts)]), [["dead", 8]])
        yield* Scope.close(scope, Exit.void)
      }))

    it.scoped("makes n + 1 attempts for Schedule.recurs(n): one for recurs(0), three for recurs(2)", () =>
      Effect.gen(function*() {
        for (const retries of [0, 2]) {
          const log = observe()
          const { store } = yield* open(yield* engine.database)
          yield* enqueue(store, 1)
          let calls = 0
          const scope = yield* workers(store, {
            handle: () => Effect.suspend(() => Effect.fail(new Error(`call ${++calls}`))),
            schedule: Schedule.recurs(retries),
            pollInterval: POLL
          }, log)
          yield* pollUntil(log, 1, "dead")
          yield* morePolls
          assert.strictEqual(calls, retries + 1)
          assert.strictEqual(log.count("failed"), retries)
          yield* Scope.close(scope, Exit.void)
        }
      }))

    it.scoped("interrupts a hung handler after 10 s by default (the receiver's inline timeout), and retries it", () =>
      Effect.gen(function*() {
        const log = observe()
        const { sql, store } = yield* open(yield* engine.database)
        const [id] = yield* enqueue(store, 1)
        const started = yield* Deferred.make<void>()
        const interrupted = yield* Deferred.make<void>()
        let calls = 0
        const scope = yield* workers(store, {
          handle: () =>
            Effect.suspend(() =>
              ++calls === 1
                ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
                  Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
                )
                : Effect.void
            ),
          // One slot: the hung handler holds it, and nothing else would ever run without the timeout.
          concurrency: 1,
          schedule: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(1))),
          pollInterval: POLL
        }, log)
        assert.deepStrictEqual(WebhookInbox.defaultTimeout, Duration.seconds(10))
        yield* Deferred.await(started)
        // Its timer sleeps until 10 s from now.
        yield* asleep(10_000)
        yield* TestClock.adjust("9999 millis")
        assert.isFalse(yield* Deferred.isDone(interrupted))
        yield* TestClock.adjust("1 millis")
        yield* Deferred.await(interrupted)
        yield* pollUntil(log, 1, "failed")
        const failed = log.lines.find((line) => line.message === "failed")
        assert.include(failed?.cause, "the handler did not finish within 10s")
        assert.strictEqual(failed?.annotations["retry_in"], "1s")
        yield* asleep(POLL)
        yield* TestClock.adjust("1 second")
        yield* pollUntil(log, 1, "processed")
        assert.strictEqual(calls, 2)
        const attempts = yield* Effect.orDie(
          sql<{ attempt: unknown; outcome: string }>`SELECT attempt, outcome FROM openai_webhook_attempts
WHERE webhook_id = ${id} ORDER BY attempt`
        )
        assert.deepStrictEqual(attempts.map((row) => [Number(row.attempt), row.outcome]), [
          [1, "timed_out"],
          [2, "processed"]
        ])
        yield* Scope.close(scope, Exit.void)
      }))
  })
}
