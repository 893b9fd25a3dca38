/**
 * The queued workers on real engines (a SQLite file, and PostgreSQL when `DATABASE_URL` names one): what a stop
 * leaves behind, how many attempts a schedule allows, and the default bound on a handler's run. Deliveries are
 * stored with the store's own `enqueue`, as the queued route stores them; the TestClock drives every wait.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Logger, Scope, TestClock } from "effect"
import { WebhookInbox, WebhookTesting } from "../src/index.js"
import * as Engines from "./support/inbox-engines.js"

const TABLE = "openai_webhook_deliveries"
const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

interface Line {
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/** Every line logged, and a way to wait for one: the worker says each attempt's outcome in a line. */
const observe = () => {
  const lines: Array<Line> = []
  const waiters = new Set<() => void>()
  const logger = Logger.make(({ annotations, message }) => {
    lines.push({
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(annotations)
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
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger), waitFor }
}

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
        // Nothing leased by nobody: the four taken are pending again, due now, for the next instance.
        assert.deepStrictEqual(yield* statuses(sql), { pending: 8 })
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
  })
}
