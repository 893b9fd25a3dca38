/**
 * The Effect 4 edition's delivery log through the public `WebhookInbox` operations, on real engines: rows made by
 * the store's own statements at times the TestClock sets, then listed, paged, counted, bucketed, recovered and
 * discarded; every refusal an `InboxError` with the engine's words. (The statements themselves pass the engine's
 * scenarios in `inbox-sql-table.test.ts`; here, what this edition adds: its clock, its durations, its errors.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, Result } from "effect"
import { TestClock } from "effect/testing"
import * as WebhookError from "../src/WebhookError.js"
import * as WebhookInbox from "../src/WebhookInbox.js"
import * as Engines from "./support/inbox-engines.js"
import { observe } from "./support/log.js"

const MINUTE = 60_000
/** 2026-01-01T12:00:00Z. */
const T0 = Date.UTC(2026, 0, 1, 12)

let n = 0
const newId = () => `msg_log_${String(n++).padStart(4, "0")}`

/** The inbox (inline) on `database`, with its operations run on it. */
const open = (database: Engines.Database) =>
  Effect.gen(function*() {
    // Before the inbox starts: its first purge runs at once, at this time.
    yield* TestClock.setTime(T0 - 2 * 60 * MINUTE)
    const context = yield* Layer.build(
      WebhookInbox.layerSql({ mode: "inline", writer: database.writer }).pipe(
        Layer.provide(database.client()),
        Layer.provide(observe().layer)
      )
    )
    const store = Context.get(context, WebhookInbox.WebhookInbox)
    const on = <A, E>(effect: Effect.Effect<A, E, WebhookInbox.WebhookInbox>) => Effect.provide(effect, context)
    const claimed = (id: string, time: number) =>
      Effect.andThen(
        TestClock.setTime(time),
        Effect.map(Effect.orDie(store.claim(id, "response.completed", 1_767_268_800, "{}")), Option.getOrThrow)
      )
    const rows = {
      done: (time: number, id = newId()) =>
        Effect.flatMap(claimed(id, time), (token) => Effect.as(Effect.orDie(store.complete(id, token)), id)),
      failed: (time: number, id = newId()) =>
        Effect.flatMap(claimed(id, time), (token) => Effect.as(Effect.orDie(store.release(id, token, "Error")), id)),
      dead: (time: number, id = newId()) =>
        Effect.flatMap(claimed(id, time), (token) => Effect.as(Effect.orDie(store.dead(id, token, "Error")), id)),
      processing: (time: number, id = newId()) => Effect.as(claimed(id, time), id)
    }
    return { store, on, rows }
  })

/** The `InboxError` `effect` fails with; a success or another failure is a defect of the test, saying which. */
const inboxError = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.flatMap(Effect.result(effect), (result) =>
    Result.isFailure(result) && result.failure instanceof WebhookError.InboxError
      ? Effect.succeed(result.failure)
      : Effect.die(new Error(`expected an InboxError; got ${Result.isFailure(result) ? result.failure : "a success"}`)))

for (const engine of Engines.engines("inbox-log.test.ts")) {
  describe.skipIf(engine.skip)(`the Effect 4 delivery log on ${engine.name}`, () => {
    it.effect("pages through every delivery once, newest first; refuses a limit, cursor or window it cannot use", () =>
      Effect.gen(function*() {
        const { on, rows } = yield* open(yield* engine.database)
        const made: Array<string> = []
        for (let i = 0; i < 7; i++) made.push(yield* rows.done(T0 + i))
        const seen: Array<string> = []
        let page = yield* on(WebhookInbox.list({ limit: 3 }))
        seen.push(...page.deliveries.map((delivery) => delivery.webhookId))
        while (page.next !== null) {
          page = yield* on(WebhookInbox.list({ limit: 3, after: page.next }))
          seen.push(...page.deliveries.map((delivery) => delivery.webhookId))
        }
        assert.deepStrictEqual(seen, [...made].reverse())
        const first = (yield* on(WebhookInbox.list({ limit: 1 }))).deliveries[0]
        assert.deepStrictEqual(first?.receivedAt, new Date(T0 + 6))
        assert.strictEqual(first?.status, "done")
        for (const limit of [0, 501, 1.5]) {
          const error = yield* inboxError(on(WebhookInbox.list({ limit })))
          assert.deepStrictEqual([error.reason, error.message.includes("limit must be a whole number")], [
            "InvalidQuery",
            true
          ])
        }
        assert.include((yield* inboxError(on(WebhookInbox.list({ after: "nonsense!" })))).message, "not a cursor")
        const backwards = yield* inboxError(on(WebhookInbox.list({ since: new Date(T0 + 1), until: new Date(T0) })))
        assert.include(backwards.message, "is after until")
        assert.deepStrictEqual(yield* on(WebhookInbox.get("msg_unknown")), Option.none())
      }))

    it.effect("counts by status and event type, and the age of the oldest waiting delivery", () =>
      Effect.gen(function*() {
        const { on, rows } = yield* open(yield* engine.database)
        yield* rows.done(T0)
        yield* rows.failed(T0 + MINUTE)
        yield* rows.dead(T0 + 2 * MINUTE)
        yield* TestClock.setTime(T0 + 10 * MINUTE)
        const stats = yield* on(WebhookInbox.stats)
        assert.deepStrictEqual(stats.byStatus, { processing: 0, done: 1, failed: 1, pending: 0, dead: 1 })
        assert.strictEqual(stats.oldestPendingAgeMs, 9 * MINUTE)
      }))

    it.effect("buckets deliveries by a Duration or its text, and refuses a bucket it cannot use", () =>
      Effect.gen(function*() {
        const { on, rows } = yield* open(yield* engine.database)
        yield* rows.done(T0 - 59 * MINUTE + 5)
        yield* rows.failed(T0 - 59 * MINUTE + 10)
        yield* rows.dead(T0 + 30_000)
        yield* TestClock.setTime(T0 + 30_001)
        const minutes = yield* on(WebhookInbox.timeline())
        assert.strictEqual(minutes.length, 61)
        assert.deepStrictEqual(minutes[0]?.start, new Date(T0 - 60 * MINUTE))
        const total = (bucket: WebhookInbox.TimelineBucket) => Object.values(bucket.counts).reduce((a, b) => a + b)
        const since = new Date(T0 - 2 * 60 * MINUTE)
        assert.deepStrictEqual((yield* on(WebhookInbox.timeline({ since, bucket: "1 hour" }))).map(total), [0, 2, 1])
        assert.deepStrictEqual(
          (yield* on(WebhookInbox.timeline({ since, bucket: Duration.hours(1) }))).map(total),
          [0, 2, 1]
        )
        const buckets: ReadonlyArray<Duration.Input> = ["0 millis", "soon" as Duration.Input, "1 second"]
        for (const bucket of buckets) {
          const error = yield* inboxError(on(WebhookInbox.timeline({ since: new Date(0), bucket })))
          assert.strictEqual(error.reason, "InvalidQuery", String(bucket))
        }
      }))

    it.effect("recovers the failed and dead deliveries received in the window; discards a dead one only", () =>
      Effect.gen(function*() {
        const { on, rows } = yield* open(yield* engine.database)
        const before = yield* rows.failed(T0 - 1)
        const failed = yield* rows.failed(T0)
        const dead = yield* rows.dead(T0 + 1)
        const done = yield* rows.done(T0 + 2)
        const running = yield* rows.processing(T0 + 3)
        const gone = yield* rows.dead(T0 + 4)
        yield* TestClock.setTime(T0 + 20 * MINUTE)
        const window = { since: new Date(T0), until: new Date(T0 + 4) }
        assert.strictEqual(yield* on(WebhookInbox.recover({ ...window, status: ["failed"] })), 1)
        assert.strictEqual(yield* on(WebhookInbox.recover({ ...window, status: "dead" })), 1)
        const statuses = yield* Effect.forEach([before, failed, dead, done, running, gone], (id) =>
          Effect.map(on(WebhookInbox.get(id)), (detail) => Option.getOrThrow(detail).status))
        assert.deepStrictEqual(statuses, ["failed", "pending", "pending", "done", "processing", "dead"])
        yield* on(WebhookInbox.discard(gone))
        assert.deepStrictEqual(yield* on(WebhookInbox.get(gone)), Option.none())
        assert.strictEqual((yield* inboxError(on(WebhookInbox.discard(done)))).reason, "NotDead")
        assert.strictEqual((yield* inboxError(on(WebhookInbox.discard(gone)))).reason, "NotFound")
        // A live claim (the one above has outlived its lease by now).
        const live = yield* rows.processing(T0 + 20 * MINUTE)
        assert.strictEqual((yield* inboxError(on(WebhookInbox.replay(live)))).reason, "InProgress")
        yield* on(WebhookInbox.replay(done))
        assert.strictEqual(Option.getOrThrow(yield* on(WebhookInbox.get(done))).status, "pending")
      }))
  })
}
