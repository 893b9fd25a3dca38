/**
 * The Effect 4 edition's `WebhookInbox` on real engines (a SQLite file per test through `node:sqlite`, a fresh
 * schema per test on the PostgreSQL server `DATABASE_URL` names): its options and their refusals, its settings
 * from `Config`, and the inbox's scenarios through the protocol the HTTP core calls (`process`) and the workers
 * (`layerWorker`): 20 concurrent copies processed once, a failing handler retried, a queued delivery surviving a
 * restart, two instances on one PostgreSQL, and no outcome that answers 200 before the durability barrier passes.
 */
import { assert, describe, it } from "@effect/vitest"
import { SqliteClient } from "@effect/sql-sqlite-node"
import {
  Cause,
  Config,
  ConfigProvider,
  Context,
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Option,
  Schedule,
  Scope
} from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { Events, InboxSql, type Signature } from "openai-webhooks-engine"
import * as deadline from "../src/internal/deadline.js"
import * as protocol from "../src/internal/inbox/protocol.js"
import * as WebhookError from "../src/WebhookError.js"
import * as WebhookInbox from "../src/WebhookInbox.js"
import * as Engines from "./support/inbox-engines.js"
import { type Log, observe } from "./support/log.js"

const engines = Engines.engines("WebhookInbox.test.ts")

/** A delivery as the edge hands it over once verified: its id, its signed time, its raw body. */
const delivery = (id: string, type = "response.completed") => {
  const body = new TextEncoder().encode(JSON.stringify({ ...Events.get(type as "response.completed").sample, id }))
  const verified: Signature.Delivery = { id, timestamp: 1_719_168_000 }
  return { verified, type, body }
}

/**
 * The inbox of `options` on `database` (and its workers, if given), in a scope of its own inside the test's: closing
 * it is a process stopping. What it logs goes to `log` (kept, not printed).
 */
const start = (
  database: Engines.Database,
  options: WebhookInbox.Options,
  workers?: WebhookInbox.WorkerOptions<unknown, never>,
  log: Log = observe()
) =>
  Effect.gen(function*() {
    // A scope of its own inside the test's: closed by `stop`, or with the test (before its database goes).
    const scope = yield* Scope.fork(yield* Effect.scope)
    const inbox = WebhookInbox.layerSql({ ...options, writer: database.writer }).pipe(Layer.provide(database.client()))
    const layer = workers === undefined
      ? inbox
      : Layer.merge(inbox, WebhookInbox.layerWorker(workers).pipe(Layer.provide(inbox)))
    const context = yield* Layer.buildWithScope(Layer.provide(layer, log.layer), scope)
    return {
      store: Context.get(context, WebhookInbox.WebhookInbox),
      stop: Scope.close(scope, Effect.void as never),
      log,
      /** `process` on this inbox, as the edge calls it, its lines in `log`. */
      process: <E>(d: ReturnType<typeof delivery>, handled: Effect.Effect<void, E>, timeout?: Duration.Duration) =>
        Effect.provide(process(Context.get(context, WebhookInbox.WebhookInbox), d, handled, timeout), log.layer)
    }
  })

/** `process` as the edge calls it, with the handler already suspended. */
const process = <E>(
  store: WebhookInbox.Store,
  d: ReturnType<typeof delivery>,
  handled: Effect.Effect<void, E>,
  timeout?: Duration.Duration
) => protocol.process(store, d.verified, d.type, d.body, handled, timeout, { phase: "store" })

/** Waits (polling the store's own status, not a clock) until `id` is `status`. */
const until = (store: WebhookInbox.Store, id: string, status: WebhookInbox.Status) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (Option.getOrUndefined(yield* store.status(id)) === status) return
      yield* Effect.sleep("5 millis")
    }
    return yield* Effect.die(new Error(`${id} never became ${status}`))
  })

/** The `IllegalArgumentError` `effect` fails with: any other failure is a defect of the test. */
const refusal = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    Effect.flip(effect),
    (error) => error instanceof WebhookError.IllegalArgumentError ? Effect.succeed(error) : Effect.die(error)
  )

const memory = SqliteClient.layer({ filename: ":memory:" })

describe("WebhookInbox options", () => {
  const build = (options: WebhookInbox.Options) =>
    Effect.scoped(WebhookInbox.make(options).pipe(Effect.provide(memory)))

  it.effect("leases for 30 s and renews every 10 s by default; renews every third of a lease given alone", () =>
    Effect.gen(function*() {
      const defaults = yield* build({})
      assert.deepStrictEqual([defaults.lease, defaults.heartbeat], [Duration.seconds(30), Duration.seconds(10)])
      const short = yield* build({ lease: "200 millis" })
      assert.deepStrictEqual([short.lease, short.heartbeat], [Duration.millis(200), Duration.millis(66)])
      assert.strictEqual(WebhookInbox.defaultTimeout, protocol.DEFAULT_WAIT)
    }))

  it.effect("fails to build, saying why, with a heartbeat not shorter than the lease or a lease of nothing", () =>
    Effect.gen(function*() {
      const equal = yield* refusal(build({ lease: "10 seconds", heartbeat: "10 seconds" }))
      assert.deepStrictEqual([equal.reason, equal.option], ["Conflict", "heartbeat"])
      const ten = Duration.format(Duration.seconds(10))
      assert.strictEqual(
        equal.message,
        `WebhookInbox: heartbeat: Expected a duration shorter than the lease (${ten}), which it renews; got ${ten}`
      )
      const zero = yield* refusal(build({ lease: "0 millis" }))
      assert.deepStrictEqual([zero.reason, zero.option], ["OutOfRange", "lease"])
      const endless = yield* refusal(build({ lease: Duration.infinity }))
      assert.strictEqual(endless.message, "WebhookInbox: lease: Expected a finite duration; got Infinity")
      const malformed = yield* refusal(build({ retention: "a week" as Duration.Input }))
      assert.deepStrictEqual([malformed.reason, malformed.option], ["Malformed", "retention"])
      const mode = yield* refusal(build({ mode: "later" as WebhookInbox.Mode }))
      assert.deepStrictEqual([mode.reason, mode.option], ["Malformed", "mode"])
    }))

  it.effect("make builds the inbox in the current scope, as layerSql's layer does; health is healthy in memory", () =>
    Effect.gen(function*() {
      const inbox = yield* WebhookInbox.make({ mode: "queued", lease: "1 minute" })
      assert.deepStrictEqual([inbox.mode, inbox.lease, inbox.heartbeat], [
        "queued",
        Duration.minutes(1),
        Duration.seconds(20)
      ])
      const on = <A, E>(effect: Effect.Effect<A, E, WebhookInbox.WebhookInbox>) =>
        Effect.provideService(effect, WebhookInbox.WebhookInbox, inbox)
      assert.strictEqual((yield* on(WebhookInbox.stats)).byStatus.pending, 0)
      assert.deepStrictEqual(yield* on(WebhookInbox.health), { healthy: true })
      const refused = yield* refusal(WebhookInbox.make({ heartbeat: "1 minute" }))
      assert.deepStrictEqual([refused._tag, refused.option], ["IllegalArgumentError", "heartbeat"])
    }).pipe(Effect.provide(memory), Effect.scoped))

  it.effect("refuses a worker's concurrency, pollInterval and timeout it cannot use, when built", () =>
    Effect.gen(function*() {
      const worker = (options: Partial<WebhookInbox.WorkerOptions<never, never>>) =>
        refusal(Effect.scoped(Layer.build(
          WebhookInbox.layerWorker({ handle: () => Effect.void, ...options }).pipe(
            Layer.provide(WebhookInbox.layerSql().pipe(Layer.provide(memory)))
          )
        )))
      for (const concurrency of [0, -1, 1.5]) {
        const error = yield* worker({ concurrency })
        assert.deepStrictEqual([error.reason, error.option, error.message], [
          "OutOfRange",
          "concurrency",
          `WebhookInbox: concurrency: Expected a whole number of deliveries, at least 1; got ${concurrency}`
        ])
      }
      assert.strictEqual((yield* worker({ pollInterval: "0 millis" })).option, "pollInterval")
      assert.strictEqual((yield* worker({ timeout: "soon" as Duration.Input })).reason, "Malformed")
    }))

  describe("layerConfig", () => {
    const fromEnv = (env: Record<string, string>) =>
      Effect.scoped(Effect.map(
        Layer.build(
          WebhookInbox.layerConfig().pipe(
            Layer.provide(memory),
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
          )
        ),
        (context) => Context.get(context, WebhookInbox.WebhookInbox)
      ))

    it.effect("reads WEBHOOK_MODE and WEBHOOK_LEASE, with the receiver's defaults: inline, 30 seconds", () =>
      Effect.gen(function*() {
        const defaults = yield* fromEnv({})
        assert.deepStrictEqual([defaults.mode, defaults.lease], ["inline", Duration.seconds(30)])
        const set = yield* fromEnv({ WEBHOOK_MODE: "queued", WEBHOOK_LEASE: "90 seconds" })
        assert.deepStrictEqual([set.mode, set.lease, set.heartbeat], [
          "queued",
          Duration.seconds(90),
          Duration.seconds(30)
        ])
      }))

    it.effect("takes a Config of its own, or an object of one Config per option", () =>
      Effect.gen(function*() {
        const build = (options: Config.Wrap<WebhookInbox.Options>, env: Record<string, string>) =>
          Effect.scoped(Effect.map(
            Layer.build(
              WebhookInbox.layerConfig(options).pipe(
                Layer.provide(memory),
                Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
              )
            ),
            (context) => Context.get(context, WebhookInbox.WebhookInbox)
          ))
        const longer = Config.map(WebhookInbox.config, (settings) => ({ ...settings, heartbeat: Duration.seconds(5) }))
        const mapped = yield* build(longer, { WEBHOOK_LEASE: "1 minute" })
        assert.deepStrictEqual([mapped.lease, mapped.heartbeat], [Duration.minutes(1), Duration.seconds(5)])
        const fields = yield* build({ mode: Config.succeed("queued" as const), lease: Config.Duration("LEASE") }, {
          LEASE: "2 minutes"
        })
        assert.deepStrictEqual([fields.mode, fields.lease], ["queued", Duration.minutes(2)])
      }))

    it.effect("fails with a ConfigError naming the variable and what it accepts", () =>
      Effect.gen(function*() {
        const mode = yield* Effect.flip(fromEnv({ WEBHOOK_MODE: "later" }))
        assert.strictEqual(mode._tag, "ConfigError")
        assert.include(String(mode.message), "WEBHOOK_MODE")
        const lease = yield* Effect.flip(fromEnv({ WEBHOOK_LEASE: "500 millis" }))
        assert.strictEqual(lease._tag, "ConfigError")
        assert.include(lease.message, "Expected at least 1 second")
      }))
  })
})

for (const engine of engines) {
  describe.skipIf(engine.skip)(`the inbox's scenarios on ${engine.name}`, () => {
    it.live("inline: runs the handler once for 20 concurrent copies; the other 19 are duplicates", () =>
      Effect.gen(function*() {
        const { store } = yield* start(yield* engine.database, { mode: "inline" })
        const d = delivery("msg_twenty")
        let runs = 0
        const handled = Effect.andThen(Effect.sleep("20 millis"), Effect.sync(() => void runs++))
        const outcomes = yield* Effect.all(Array.from({ length: 20 }, () => process(store, d, handled)), {
          concurrency: "unbounded"
        })
        assert.strictEqual(runs, 1)
        assert.deepStrictEqual(
          outcomes.map((outcome) => outcome._tag).sort(),
          ["Processed", ...Array.from({ length: 19 }, () => "Duplicate")].sort()
        )
      }))

    it.live("inline: a failing handler gives its claim back, and OpenAI's retry runs it again", () =>
      Effect.gen(function*() {
        const { store } = yield* start(yield* engine.database, { mode: "inline" })
        const d = delivery("msg_failing")
        let runs = 0
        const failing = Effect.suspend(() => (runs++, Effect.fail("boom")))
        const first = yield* process(store, d, failing)
        assert.strictEqual(first._tag, "Failed")
        assert.deepStrictEqual(yield* store.status("msg_failing"), Option.some("failed"))
        const retry = yield* process(store, d, Effect.sync(() => void runs++))
        assert.strictEqual(retry._tag, "Processed")
        assert.strictEqual(runs, 2)
        const detail = Option.getOrThrow(yield* WebhookInbox.get("msg_failing").pipe(
          Effect.provideService(WebhookInbox.WebhookInbox, store)
        ))
        assert.deepStrictEqual(detail.history.map((attempt) => attempt.outcome), ["failed", "processed"])
      }))

    it.live("queued: a delivery queued before a restart is processed by the workers after it, once", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const before = yield* start(database, { mode: "queued" })
        const d = delivery("msg_restart", "batch.completed")
        assert.strictEqual((yield* process(before.store, d, Effect.void))._tag, "Queued")
        yield* before.stop
        const handled = yield* Deferred.make<string>()
        let runs = 0
        const after = yield* start(database, { mode: "queued" }, {
          handle: (event) => Effect.andThen(Effect.sync(() => void runs++), Deferred.succeed(handled, event._tag)),
          pollInterval: "10 millis"
        })
        assert.strictEqual(yield* Deferred.await(handled), "batch.completed")
        yield* until(after.store, "msg_restart", "done")
        // A copy OpenAI sends afterwards: a duplicate, nothing run.
        assert.strictEqual((yield* process(after.store, d, Effect.void))._tag, "Duplicate")
        assert.strictEqual(runs, 1)
      }))

    it.live("queued: retries a failed delivery on the schedule, then keeps one that always fails as dead", () =>
      Effect.gen(function*() {
        let runs = 0
        const { store } = yield* start(yield* engine.database, { mode: "queued" }, {
          handle: (_event, { id }) =>
            Effect.suspend(() => (runs++, id === "msg_once" && runs > 1 ? Effect.void : Effect.fail("boom"))),
          schedule: Schedule.max([Schedule.spaced("5 millis"), Schedule.recurs(2)]),
          pollInterval: "5 millis",
          concurrency: 1
        })
        yield* process(store, delivery("msg_once"), Effect.void)
        yield* until(store, "msg_once", "done")
        yield* process(store, delivery("msg_never"), Effect.void)
        yield* until(store, "msg_never", "dead")
        const dead = Option.getOrThrow(yield* store.get("msg_never"))
        // Schedule.recurs(2): three attempts in all.
        assert.deepStrictEqual(dead.history.map((attempt) => attempt.outcome), ["failed", "failed", "failed"])
      }))

    it.live("no outcome that answers 200 before the durability barrier passes, for a delivery or its copy", () =>
      Effect.gen(function*() {
        for (const mode of ["inline", "queued"] as const) {
          const { store } = yield* start(yield* engine.database, { mode })
          let gate = yield* Deferred.make<void>()
          let reached = yield* Deferred.make<void>()
          const gated: WebhookInbox.Store = {
            ...store,
            durable: Effect.andThen(
              Effect.suspend(() => Effect.andThen(Deferred.succeed(reached, undefined), Deferred.await(gate))),
              store.durable
            )
          }
          const d = delivery(`msg_durable_${mode}`)
          for (const copy of ["first", "duplicate"]) {
            const answering = yield* Effect.forkChild(process(gated, d, Effect.void))
            yield* Deferred.await(reached)
            // Its row is committed, its barrier not passed: no outcome yet.
            assert.isUndefined(answering.pollUnsafe(), `${mode} ${copy}: answered before durable returned`)
            yield* Deferred.succeed(gate, undefined)
            const outcome = yield* Fiber.join(answering)
            const expected = copy === "duplicate" ? "Duplicate" : mode === "queued" ? "Queued" : "Processed"
            assert.strictEqual(outcome._tag, expected, `${mode} ${copy}`)
            gate = yield* Deferred.make<void>()
            reached = yield* Deferred.make<void>()
          }
        }
      }))
  })
}

describe.skipIf(Engines.postgres("WebhookInbox.test.ts").skip)("two Effect 4 instances on one PostgreSQL", () => {
  const engine = Engines.postgres("WebhookInbox.test.ts")

  it.live("their workers run 40 deliveries once each, in one attempt, between them", () =>
    Effect.gen(function*() {
      const database = yield* engine.database
      const runs = new Map<string, number>()
      const done = yield* Deferred.make<void>()
      const handle = (_event: unknown, { id }: Signature.Delivery) =>
        Effect.andThen(Effect.sleep("2 millis"), Effect.suspend(() => {
          runs.set(id, (runs.get(id) ?? 0) + 1)
          return runs.size === 40 ? Deferred.succeed(done, undefined) : Effect.void
        }))
      const one = yield* start(database, { mode: "queued" }, { handle, pollInterval: "5 millis", concurrency: 3 })
      const two = yield* start(database, { mode: "queued" }, { handle, pollInterval: "5 millis", concurrency: 3 })
      const ids = Array.from({ length: 40 }, (_, i) => `msg_both_${i}`)
      yield* Effect.all(ids.map((id, i) => process(i % 2 === 0 ? one.store : two.store, delivery(id), Effect.void)), {
        concurrency: "unbounded"
      })
      yield* Deferred.await(done)
      for (const id of ids) yield* until(one.store, id, "done")
      assert.deepStrictEqual([...runs.values()].filter((n) => n !== 1), [])
      const stats = yield* WebhookInbox.stats.pipe(Effect.provideService(WebhookInbox.WebhookInbox, two.store))
      assert.strictEqual(stats.byStatus.done, 40)
    }))
})

/** Makes the claim or lease on `id` expire now, as a process that stalled past its lease would find it. */
const expire = (database: Engines.Database, id: string) =>
  Effect.scoped(Effect.flatMap(
    Layer.build(database.client()),
    (context) =>
      Context.get(context, SqlClient.SqlClient).unsafe(
        `UPDATE openai_webhook_deliveries SET locked_until = 0 WHERE webhook_id = '${id}'`
      )
  ))

for (const engine of engines) {
  describe.skipIf(engine.skip)(`inline claims between instances on ${engine.name}`, () => {
    it.live("a copy another instance's claim holds past the timeout is Held, and runs no handler", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const server = yield* start(database, { mode: "inline" })
        // Another instance, on the same database, claimed the delivery and then died holding the claim.
        const other = yield* start(database, { mode: "inline" })
        const d = delivery("msg_held")
        assert.deepStrictEqual(yield* other.store.claim("msg_held", d.type, 1), Option.some(1))
        let runs = 0
        const outcome = yield* server.process(d, Effect.sync(() => void runs++), Duration.millis(100))
        assert.deepStrictEqual(outcome, { _tag: "Held", waited: Duration.millis(100) })
        assert.strictEqual(runs, 0)
        assert.deepStrictEqual(yield* server.store.status("msg_held"), Option.some("processing"))
      }))

    it.live("an edge's timeout interrupts the handler, gives the claim back and records the attempt timed_out", () =>
      Effect.gen(function*() {
        const server = yield* start(yield* engine.database, { mode: "inline" })
        const timeout = Duration.millis(50)
        const d = delivery("msg_slow")
        // As the edge bounds a delivery: the whole of it, interrupted as the timer's.
        const outcome = yield* deadline.within(
          server.process(d, Effect.never, timeout),
          timeout,
          () => Effect.succeed("timed out" as const)
        )
        assert.strictEqual(outcome, "timed out")
        yield* until(server.store, "msg_slow", "failed")
        const detail = Option.getOrThrow(yield* server.store.get("msg_slow"))
        assert.deepStrictEqual(detail.history.map((attempt) => attempt.outcome), ["timed_out"])
        assert.include(detail.history[0]?.error ?? "", "the handler did not finish within")
      }))

    it.live("the heartbeat keeps the claim of a handler that runs twice the lease: no other instance takes it", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const options = { mode: "inline", lease: "600 millis", heartbeat: "100 millis" } as const
        const server = yield* start(database, options)
        const other = yield* start(database, options)
        const started = yield* Deferred.make<void>()
        const d = delivery("msg_long")
        const first = yield* Effect.forkChild(
          server.process(d, Effect.andThen(Deferred.succeed(started, undefined), Effect.sleep("1200 millis")))
        )
        yield* Deferred.await(started)
        assert.deepStrictEqual([...server.store.holding].map((held) => held.id), ["msg_long"])
        for (let look = 0; look < 10; look++) {
          yield* Effect.sleep("100 millis")
          assert.deepStrictEqual(yield* other.store.claim("msg_long", d.type, 1), Option.none(), `look ${look}`)
        }
        assert.deepStrictEqual(yield* Fiber.join(first), { _tag: "Processed" })
        // Let go with the attempt: no heartbeat renews it any more.
        assert.deepStrictEqual([...server.store.holding], [])
        assert.deepStrictEqual(server.log.lines.filter((line) => line.level === "Warn"), [])
      }))

    it.live("says when the heartbeat finds a claim taken over, lets the handler end, and leaves the row", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const options = { mode: "inline", lease: "3 seconds", heartbeat: "50 millis" } as const
        const server = yield* start(database, options)
        const other = yield* start(database, options)
        const started = yield* Deferred.make<void>()
        const finish = yield* Deferred.make<void>()
        const d = delivery("msg_taken")
        const reply = yield* Effect.forkChild(
          server.process(d, Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(finish)))
        )
        yield* Deferred.await(started)
        // This process stalled past its lease (its renewals did not run), and another instance took over.
        yield* expire(database, "msg_taken")
        assert.deepStrictEqual(yield* other.store.claim("msg_taken", d.type, 1), Option.some(2))
        yield* server.log.waitFor(1, "taken over")
        const line = server.log.lines.find((line) => line.message === "taken over")
        assert.strictEqual(line?.annotations["error"], InboxSql.leaseLost.running)
        assert.strictEqual(line?.annotations["webhook_id"], "msg_taken")
        // Not interrupted: it ends as it would have, and its outcome is not recorded.
        yield* Deferred.succeed(finish, undefined)
        const outcome = yield* Fiber.join(reply)
        assert.strictEqual(outcome._tag, "Failed")
        assert.include(outcome._tag === "Failed" ? Cause.pretty(outcome.cause) : "", InboxSql.leaseLost.notRecorded)
        assert.isTrue(yield* other.store.complete("msg_taken", 2))
      }))

    it.live("leaves the row when settling finds the claim taken over before any renewal did", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const server = yield* start(database, { mode: "inline" })
        const other = yield* start(database, { mode: "inline" })
        const started = yield* Deferred.make<void>()
        const finish = yield* Deferred.make<void>()
        const d = delivery("msg_settle")
        const reply = yield* Effect.forkChild(
          server.process(d, Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(finish)))
        )
        yield* Deferred.await(started)
        yield* expire(database, "msg_settle")
        assert.deepStrictEqual(yield* other.store.claim("msg_settle", d.type, 1), Option.some(2))
        yield* Deferred.succeed(finish, undefined)
        assert.strictEqual((yield* Fiber.join(reply))._tag, "Failed")
        // The new holder's row: still processing, its attempt 2 ours to settle no more.
        assert.deepStrictEqual(yield* server.store.status("msg_settle"), Option.some("processing"))
        assert.isFalse(yield* server.store.complete("msg_settle", 1))
        assert.isTrue(yield* other.store.complete("msg_settle", 2))
      }))
  })
}
