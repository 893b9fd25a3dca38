/**
 * The engine's inbox scenarios (`packages/engine/test/tables/inbox-sql.ts`) run through the Effect 4 edition's
 * store: its clock (TestClock set to each step's time), its group commit (a step of several inputs is submitted at
 * once), its settles by name (complete, release, retry, dead), its log's operations. Each step must answer as the
 * table says, and the rows must end as the table says, on a SQLite file (`node:sqlite`) and on PostgreSQL (Effect 4's
 * own wire protocol): the same rows the Effect 3 edition and the engine's own runner pass.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, Result } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { TestClock } from "effect/testing"
import type { InboxSql } from "openai-webhooks-engine"
import { STATS_GROUPS, stats as statsOf } from "../../engine/src/internal/inbox/shared.js"
import {
  deadRetentionOf,
  expected,
  LEASE,
  normal,
  RETENTION,
  ROWS,
  scenarios,
  type Step
} from "../../engine/test/tables/inbox-sql.js"
import * as SqlStore from "../src/internal/inbox/sqlStore.js"
import * as Store from "../src/internal/inbox/store.js"
import { engines } from "./support/inbox-engines.js"

const leased = (input: { readonly lockedUntil: number; readonly now: number }) =>
  assert.strictEqual(input.lockedUntil - input.now, LEASE, "the store's lease decides lockedUntil")

const at = (now: number) => TestClock.setTime(now)

/** The settle the store names for the table's status. */
const settle = (store: Store.Store, s: InboxSql.Settle) => {
  const outcome = s.outcome === "processed" ? "failed" : s.outcome
  switch (s.status) {
    case "done":
      return store.complete(s.id, s.token)
    case "failed":
      return store.release(s.id, s.token, s.error!, outcome)
    case "pending":
      return store.retry(s.id, s.token, s.nextAttemptAt!, s.error!, outcome)
    default:
      return store.dead(s.id, s.token, s.error!, outcome)
  }
}

const claim = (store: Store.Store, c: InboxSql.Claim) => {
  leased(c)
  return Effect.map(store.claim(c.id, c.eventType, c.timestamp, c.body), Option.getOrNull)
}

const enqueue = (store: Store.Store, e: InboxSql.Enqueue) => store.enqueue(e.id, e.eventType, e.timestamp, e.body)

/** Inputs of one step at one time, submitted together: the group commit writes them as it finds them. */
const together = <I extends { readonly now: number }, A, E>(
  inputs: ReadonlyArray<I>,
  write: (input: I) => Effect.Effect<A, E>
) =>
  Effect.andThen(
    at(inputs[0]!.now),
    Effect.all(inputs.map((input) => {
      assert.strictEqual(input.now, inputs[0]!.now, "a group commit's inputs share their time")
      return write(input)
    }), { concurrency: "unbounded" })
  )

const skip = Symbol("skip")

/** Runs a step through the store: its answer, or `skip` for what the store does not offer. */
const step = (store: Store.Store, sql: SqlClient.SqlClient, step: Step): Effect.Effect<unknown, unknown> => {
  switch (step.op) {
    case "claim":
      return Effect.andThen(at(step.input.now), claim(store, step.input))
    case "claims":
      return together(step.inputs, (input) => claim(store, input))
    case "settle":
      return Effect.andThen(at(step.input.now), settle(store, step.input))
    case "settles":
      return together(step.inputs, (input) => settle(store, input))
    case "enqueue":
      return Effect.andThen(at(step.input.now), enqueue(store, step.input))
    case "enqueues":
      return together(step.inputs, (input) => enqueue(store, input))
    case "take":
      leased(step.input)
      return Effect.andThen(at(step.input.now), store.take(step.input.max))
    case "renew":
      return Effect.andThen(at(step.input.lockedUntil - LEASE), store.renew(step.input.id, step.input.token))
    case "status":
      return Effect.map(store.status(step.id), Option.getOrUndefined)
    case "purge":
      return Effect.andThen(at(step.input.doneBefore + RETENTION), store.purge)
    case "replay":
      return Effect.andThen(
        at(step.input.now),
        Effect.map(Effect.result(store.replay(step.input.id)), Result.isSuccess)
      )
    case "inspect":
      // What replay and discard read to say why they refused: the store tells it through their errors.
      return Effect.succeed(skip)
    case "discard":
      return Effect.map(Effect.result(store.discard(step.id)), (done) => Result.isSuccess(done) ? 1 : 0)
    case "recover": {
      const { dead, failed, since, until } = step.filter
      const status = [...(failed ? ["failed" as const] : []), ...(dead ? ["dead" as const] : [])]
      return Effect.andThen(at(step.now), store.recover({ since: new Date(since), until: new Date(until), status }))
    }
    case "list":
      return Effect.map(store.list(step.query), (page) => page.deliveries.map((delivery) => delivery.webhookId))
    case "stats":
      return Effect.andThen(at(step.now), Effect.map(store.stats, (stats) => stats.byStatus))
    case "insert":
      return Effect.as(sql`INSERT INTO ${sql(Store.TABLE)} ${sql.insert({ ...step.row })}`, undefined)
  }
}

/** What a step answers, as the table writes it; the store offers no `inspect`. */
const answer = (step: Step): unknown => step.op === "inspect" ? skip : expected(step)

for (const engine of engines("inbox-sql-table.test.ts")) {
  describe.skipIf(engine.skip)(`the engine's inbox scenarios through the Effect 4 store on ${engine.name}`, () => {
    for (const scenario of scenarios) {
      it.effect(scenario.name, () =>
        Effect.gen(function*() {
          const database = yield* engine.database
          const context = yield* Layer.build(
            SqlStore.layer({
              mode: "inline",
              lease: Duration.millis(LEASE),
              heartbeat: Duration.millis(LEASE / 3),
              retention: Duration.millis(RETENTION),
              deadRetention: Duration.millis(deadRetentionOf(scenario)),
              purgeInterval: Duration.days(1000),
              writer: database.writer
            }).pipe(Layer.provideMerge(database.client()))
          )
          const store = Context.get(context, Store.WebhookInbox)
          const sql = Context.get(context, SqlClient.SqlClient)
          for (const [i, each] of scenario.steps.entries()) {
            assert.deepStrictEqual(yield* step(store, sql, each), answer(each), `step ${i + 1} (${each.op})`)
            // The counts the database keeps equal the rows counted one by one, whatever the step wrote.
            const kept = yield* store.stats
            const counted = statsOf(yield* sql.unsafe<InboxSql.SqlRow>(STATS_GROUPS), [], 0)
            assert.deepStrictEqual(
              { byStatus: kept.byStatus, byEventType: kept.byEventType },
              { byStatus: counted.byStatus, byEventType: counted.byEventType },
              `the counts after step ${i + 1} (${each.op})`
            )
          }
          const deliveries = yield* sql.unsafe<InboxSql.SqlRow>(ROWS.deliveries)
          const attempts = yield* sql.unsafe<InboxSql.SqlRow>(ROWS.attempts)
          assert.deepStrictEqual(
            { deliveries: deliveries.map(normal), attempts: attempts.map(normal) },
            { deliveries: scenario.deliveries, attempts: scenario.attempts }
          )
        }))
    }
  })
}
