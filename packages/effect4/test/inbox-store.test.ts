/**
 * The Effect 4 edition's store through the inbox's scenarios, on real engines (a SQLite file through `node:sqlite`,
 * and PostgreSQL when `DATABASE_URL` names one): a failed attempt given back and claimed again, a queued delivery
 * that survives a restart (a new client on the same database), two instances on one PostgreSQL taking every
 * delivery once between them, the log's refusals (the engine's words), and (SQLite) a database file that is no
 * longer the one at its path, and the durability barrier of a store below `synchronous = FULL`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, Scope } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { InboxSql } from "openai-webhooks-engine"
import * as Run from "../src/internal/inbox/run.js"
import * as SqlStore from "../src/internal/inbox/sqlStore.js"
import * as Store from "../src/internal/inbox/store.js"
import { faults } from "../../engine/test/support/file-faults.js"
import * as Engines from "./support/inbox-engines.js"

const options = (mode: Store.Mode) => ({
  mode,
  lease: Duration.seconds(30),
  heartbeat: Duration.seconds(10),
  retention: Duration.days(7),
  purgeInterval: Duration.hours(1)
})

/** The store on a new client of `database` (a process starting), in a scope of its own: closing it is a stop. */
const start = (database: Engines.Database, mode: Store.Mode) =>
  Effect.gen(function*() {
    // A scope of its own inside the test's: closed by `stop`, or with the test (before its database goes).
    const scope = yield* Scope.fork(yield* Effect.scope)
    const context = yield* Layer.buildWithScope(
      SqlStore.layer({ ...options(mode), writer: database.writer }).pipe(Layer.provideMerge(database.client())),
      scope
    )
    return {
      store: Context.get(context, Store.WebhookInbox),
      sql: Context.get(context, SqlClient.SqlClient),
      stop: Scope.close(scope, Effect.void as never)
    }
  })

const SIGNED = 1_700_000_000

for (const engine of Engines.engines("inbox-store.test.ts")) {
  describe.skipIf(engine.skip)(`the Effect 4 store on ${engine.name}`, () => {
    it.live("inline: a failed attempt gives the claim back, and the retry claims it as attempt 2 and completes", () =>
      Effect.gen(function*() {
        const { store } = yield* start(yield* engine.database, "inline")
        const token = yield* store.claim("msg_retry", "response.completed", SIGNED, "{}")
        assert.deepStrictEqual(token, Option.some(1))
        // A copy while the first holds it: not claimed.
        assert.deepStrictEqual(yield* store.claim("msg_retry", "response.completed", SIGNED, "{}"), Option.none())
        assert.isTrue(yield* store.release("msg_retry", 1, "boom"))
        assert.deepStrictEqual(yield* store.status("msg_retry"), Option.some("failed"))
        assert.deepStrictEqual(yield* store.claim("msg_retry", "response.completed", SIGNED, "{}"), Option.some(2))
        // The first holder's token no longer settles it.
        assert.isFalse(yield* store.complete("msg_retry", 1))
        assert.isTrue(yield* store.complete("msg_retry", 2))
        const detail = Option.getOrThrow(yield* store.get("msg_retry"))
        assert.deepStrictEqual(detail.history.map((attempt) => attempt.outcome), ["failed", "processed"])
        assert.strictEqual(detail.history[0]?.error, "boom")
      }))

    it.live("queued: a delivery stored before a restart is taken after it, once", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const before = yield* start(database, "queued")
        assert.isTrue(yield* before.store.enqueue("msg_kept", "batch.completed", SIGNED, "{\"a\":1}"))
        yield* before.stop
        const after = yield* start(database, "queued")
        // The copy OpenAI may send after the restart is a duplicate: the row survived.
        assert.isFalse(yield* after.store.enqueue("msg_kept", "batch.completed", SIGNED, "{\"a\":1}"))
        const taken = yield* after.store.take(4)
        assert.deepStrictEqual(taken.map((row) => [row.webhookId, row.body, row.attempts]), [
          ["msg_kept", "{\"a\":1}", 1]
        ])
        assert.deepStrictEqual(yield* after.store.take(4), [])
        assert.isTrue(yield* after.store.complete("msg_kept", 1))
      }))

    it.live("the log refuses in the engine's words: NotFound, NoBody, NotDead", () =>
      Effect.gen(function*() {
        const { store } = yield* start(yield* engine.database, "inline")
        const missing = yield* Effect.flip(store.replay("msg_none"))
        assert.strictEqual(missing._tag, "InboxError")
        assert.deepStrictEqual(
          missing._tag === "InboxError"
            ? { reason: missing.reason, message: missing.message, webhookId: missing.webhookId }
            : missing,
          InboxSql.replayRefusal("msg_none", undefined)
        )
        yield* store.claim("msg_live", "response.completed", SIGNED, "{}")
        const reasonOf = <A>(effect: Effect.Effect<A, { readonly _tag: string }>) =>
          Effect.map(Effect.flip(effect), (error) => "reason" in error ? error.reason : error._tag)
        assert.strictEqual(yield* reasonOf(store.replay("msg_live")), "InProgress")
        assert.strictEqual(yield* reasonOf(store.discard("msg_live")), "NotDead")
        assert.strictEqual(yield* reasonOf(store.list({ limit: 0 })), "InvalidQuery")
      }))
  })
}

describe.skipIf(Engines.postgres("inbox-store.test.ts").skip)("two Effect 4 instances on one PostgreSQL", () => {
  const engine = Engines.postgres("inbox-store.test.ts")

  it.live("take every queued delivery once between them, taking at the same time", () =>
    Effect.gen(function*() {
      const database = yield* engine.database
      const one = yield* start(database, "queued")
      const two = yield* start(database, "queued")
      const ids = Array.from({ length: 40 }, (_, i) => `msg_${String(i).padStart(2, "0")}`)
      yield* Effect.all(ids.map((id, i) => (i % 2 === 0 ? one : two).store.enqueue(id, "t", SIGNED, "{}")), {
        concurrency: "unbounded"
      })
      const taken: Array<string> = []
      const drain = (store: Store.Store) =>
        Effect.gen(function*() {
          while (true) {
            const rows = yield* store.take(3)
            if (rows.length === 0) return
            for (const row of rows) {
              taken.push(row.webhookId)
              assert.isTrue(yield* store.complete(row.webhookId, row.attempts))
            }
          }
        })
      yield* Effect.all([drain(one.store), drain(two.store), drain(one.store), drain(two.store)], {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual([...taken].sort(), ids)
      assert.strictEqual((yield* one.store.stats).byStatus.done, 40)
    }))

  it.live("claim a webhook-id once between them when copies reach both at once", () =>
    Effect.gen(function*() {
      const database = yield* engine.database
      const one = yield* start(database, "inline")
      const two = yield* start(database, "inline")
      const answers = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).store.claim("msg_both", "t", SIGNED, "{}")),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(answers.filter(Option.isSome), [Option.some(1)])
    }))
})

describe("the Effect 4 store on a SQLite file", () => {
  const engine = Engines.sqlite()
  for (const [fault, apply] of Object.entries(faults)) {
    for (const on of [engine, Engines.sqlite("thread")]) {
      it.live(`${fault} under the running store (${on.name}): every write fails with the reason, and health says it`, () =>
        Effect.gen(function*() {
          const database = yield* on.database
          const { store } = yield* start(database, "inline")
          assert.deepStrictEqual(yield* store.health, InboxSql.healthy)
          assert.deepStrictEqual(yield* store.claim("msg_before", "t", SIGNED, "{}"), Option.some(1))
          apply(database.file!)
          const health = yield* store.health
          const reason = health.healthy ? "" : health.reason
          assert.include(reason, `the inbox's database file ${database.file} was ${fault}`)
          assert.strictEqual((yield* Effect.flip(store.claim("msg_after", "t", SIGNED, "{}"))).message, reason)
          assert.strictEqual((yield* Effect.flip(store.complete("msg_before", 1))).message, reason)
          assert.strictEqual((yield* Effect.flip(store.take(1))).message, reason)
          assert.strictEqual((yield* Effect.flip(store.replay("msg_before"))).message, reason)
        }))
    }
  }

  it.live("syncs the write-ahead log before durable returns below synchronous = FULL, and not at FULL", () =>
    Effect.gen(function*() {
      const database = yield* engine.database
      const { sql, store } = yield* start(database, "inline")
      // At the client's default (FULL): each commit is durable, nothing to sync.
      assert.isUndefined(yield* Run.script(sql, InboxSql.sqlite.durability!, undefined))
      yield* store.durable
      yield* sql.unsafe("PRAGMA synchronous = NORMAL")
      const wal = yield* Run.script(sql, InboxSql.sqlite.durability!, undefined)
      assert.strictEqual(wal, `${database.file}-wal`)
      // A store started at NORMAL syncs that file: many deliveries await one barrier at a time, and all pass.
      const normal = yield* Effect.provideService(SqlStore.make(options("inline")), SqlClient.SqlClient, sql)
      yield* Effect.all(Array.from({ length: 10 }, () => normal.store.durable), { concurrency: "unbounded" })
    }))
})
