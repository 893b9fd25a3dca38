/**
 * The upgrade to the delivery log: a store made by the version before it (its one migration, kept here as
 * it was shipped), rows in every status it wrote, then the new version started on it. Every row must be
 * found, with its new status, and work with the new operations. On a SQLite file and on PostgreSQL.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, TestClock } from "effect"
import { WebhookInbox, WebhookTesting } from "../src/index.js"
import { engines } from "./support/inbox-engines.js"

const TABLE = "openai_webhook_deliveries"
const MIGRATIONS_TABLE = "effect_openai_webhooks_migrations"

/** Migration 1 as version 0.1 shipped it: what an existing store holds. */
const version1 = Migrator.fromRecord({
  "1_create_deliveries": Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      sql.unsafe(`CREATE TABLE IF NOT EXISTS ${TABLE} (
  webhook_id TEXT PRIMARY KEY,
  event_type TEXT,
  webhook_timestamp BIGINT,
  body TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT,
  next_attempt_at BIGINT,
  last_error TEXT,
  received_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)`),
      sql.unsafe(`CREATE INDEX IF NOT EXISTS ${TABLE}_due ON ${TABLE} (status, next_attempt_at)`)
    ))
})

const NOW = Date.UTC(2026, 0, 1, 12)
const body = WebhookTesting.encode(WebhookTesting.sample("response.completed"))

interface OldRow {
  readonly id: string
  readonly status: "processing" | "done" | "released" | "pending" | "dead"
  readonly body: string | null
  readonly attempts: number
  readonly lockedUntil: number | null
  readonly lastError: string | null
}

/** One row of every status version 0.1 wrote, with and without a body where it could be either. */
const OLD_ROWS: ReadonlyArray<OldRow> = [
  { id: "msg_processing_live", status: "processing", body: null, attempts: 1, lockedUntil: NOW + 9, lastError: null },
  { id: "msg_processing_queued", status: "processing", body, attempts: 2, lockedUntil: NOW - 1, lastError: "Error: 1" },
  { id: "msg_done_inline", status: "done", body: null, attempts: 1, lockedUntil: null, lastError: null },
  { id: "msg_done_queued", status: "done", body, attempts: 1, lockedUntil: null, lastError: null },
  { id: "msg_released", status: "released", body: null, attempts: 2, lockedUntil: null, lastError: "Error: down" },
  { id: "msg_released_queued", status: "released", body, attempts: 1, lockedUntil: null, lastError: "Error: x" },
  { id: "msg_pending", status: "pending", body, attempts: 0, lockedUntil: null, lastError: null },
  { id: "msg_dead", status: "dead", body, attempts: 8, lockedUntil: null, lastError: "Error: always" },
  { id: "msg_dead_undecodable", status: "dead", body: "{\"id\":1}", attempts: 1, lockedUntil: null, lastError: "x" }
]

const NEW_STATUS = {
  processing: "processing",
  done: "done",
  released: "failed",
  pending: "pending",
  dead: "dead"
} as const

for (const engine of engines("inbox-upgrade.test.ts")) {
  describe.skipIf(engine.skip)(`upgrading a store of version 0.1 on ${engine.name}`, () => {
    it.scoped("keeps every row, calls released failed, and serves the log on the old rows", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(NOW)
        const database = yield* engine.database
        // Version 0.1: its migration, and its rows.
        const old = Context.get(yield* Effect.orDie(Layer.build(database.client())), SqlClient.SqlClient)
        yield* Effect.orDie(Migrator.make({})({ loader: version1, table: MIGRATIONS_TABLE }).pipe(
          Effect.provideService(SqlClient.SqlClient, old)
        ))
        for (const [i, row] of OLD_ROWS.entries()) {
          yield* Effect.orDie(
            old`INSERT INTO ${old(TABLE)} (webhook_id, event_type, webhook_timestamp, body, status, attempts,
  locked_until, next_attempt_at, last_error, received_at, updated_at)
VALUES (${row.id}, ${"response.completed"}, ${1_767_268_800}, ${row.body}, ${row.status}, ${row.attempts},
  ${row.lockedUntil}, ${row.status === "pending" ? NOW : null}, ${row.lastError}, ${NOW - 60_000 + i}, ${NOW - 1000})`
          )
        }

        // The new version starts on it.
        const context = yield* Effect.orDie(
          Layer.build(WebhookInbox.layerSql({ mode: "queued" }).pipe(Layer.provideMerge(database.client())))
        )
        const sql = Context.get(context, SqlClient.SqlClient)
        const log = <A, E>(effect: Effect.Effect<A, E, WebhookInbox.WebhookInbox>) => Effect.provide(effect, context)
        const migrations = yield* Effect.orDie(
          sql<{ migration_id: unknown; name: string }>`SELECT migration_id, name FROM ${sql(MIGRATIONS_TABLE)}
ORDER BY migration_id`
        )
        assert.deepStrictEqual(
          migrations.map((row) => [Number(row.migration_id), row.name]),
          [
            [1, "create_deliveries"],
            [2, "delivery_log"],
            [3, "attempt_outcome"],
            [4, "replay_marks"],
            [5, "delivery_counts"],
            [6, "trace_context"]
          ]
        )

        for (const row of OLD_ROWS) {
          const found = Option.getOrThrow(yield* log(WebhookInbox.get(row.id)))
          assert.deepStrictEqual(
            [found.status, found.body, found.attempts, found.lastError, found.history],
            [NEW_STATUS[row.status], row.body, row.attempts, row.lastError, []],
            row.id
          )
        }
        const stored = yield* Effect.orDie(sql<{ status: string }>`SELECT status FROM ${sql(TABLE)}`)
        assert.strictEqual(stored.length, OLD_ROWS.length)
        assert.notInclude(stored.map((row) => row.status), "released", "the migration renamed every released row")
        const listed = yield* log(WebhookInbox.list())
        assert.deepStrictEqual(
          listed.deliveries.map((delivery) => delivery.webhookId),
          OLD_ROWS.map((row) => row.id).reverse()
        )
        assert.deepStrictEqual((yield* log(WebhookInbox.stats)).byStatus, {
          processing: 2,
          done: 2,
          failed: 2,
          pending: 1,
          dead: 2
        })

        // The new operations on the old rows.
        const reason = <A>(effect: Effect.Effect<A, unknown, WebhookInbox.WebhookInbox>) =>
          Effect.map(Effect.flip(log(effect)), (error) => (error as WebhookInbox.InboxError).reason)
        assert.strictEqual(yield* reason(WebhookInbox.replay("msg_processing_live")), "InProgress")
        assert.strictEqual(yield* reason(WebhookInbox.replay("msg_done_inline")), "NoBody")
        yield* log(WebhookInbox.replay("msg_done_queued"))
        yield* log(WebhookInbox.discard("msg_dead_undecodable"))
        // Recovered: the failed one with a body (not the bodiless one) and the dead one.
        assert.strictEqual(yield* log(WebhookInbox.recover({ since: new Date(0) })), 2)
        // A claim after the upgrade numbers its attempt on from the old count, and records it.
        const store = Context.get(context, WebhookInbox.WebhookInbox)
        const claim = (id: string) => Effect.orDie(store.claim(id, "response.completed", 1, body))
        assert.deepStrictEqual(yield* claim("msg_released"), Option.some(3))
        const claimed = Option.getOrThrow(yield* log(WebhookInbox.get("msg_released")))
        assert.strictEqual(claimed.body, body, "the claim fills in the body the old row lacked")
        assert.deepStrictEqual(claimed.history.map((attempt) => attempt.attempt), [3])
      }))

    it.scoped("takes a delivery an instance of version 0.1 still releases during a rolling upgrade as failed", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(NOW)
        const database = yield* engine.database
        const context = yield* Effect.orDie(
          Layer.build(WebhookInbox.layerSql({ mode: "inline" }).pipe(Layer.provideMerge(database.client())))
        )
        const sql = Context.get(context, SqlClient.SqlClient)
        const store = Context.get(context, WebhookInbox.WebhookInbox)
        const log = <A, E>(effect: Effect.Effect<A, E, WebhookInbox.WebhookInbox>) => Effect.provide(effect, context)
        const claim = (id: string) => Effect.orDie(store.claim(id, "response.completed", 1, body))
        // The old instance claimed it and, its handler failing, released it as version 0.1 does.
        assert.deepStrictEqual(yield* claim("msg_old"), Option.some(1))
        yield* Effect.orDie(sql`UPDATE ${sql(TABLE)} SET status = 'released', locked_until = NULL, last_error = 'Error'
WHERE webhook_id = 'msg_old'`)
        const listed = yield* log(WebhookInbox.list({ status: "failed" }))
        assert.deepStrictEqual(listed.deliveries.map((delivery) => [delivery.webhookId, delivery.status]), [
          ["msg_old", "failed"]
        ])
        assert.strictEqual((yield* log(WebhookInbox.stats)).byStatus.failed, 1)
        assert.strictEqual(Option.getOrThrow(yield* Effect.orDie(store.status("msg_old"))), "failed")
        // OpenAI's retry reaches a new instance: it claims it.
        assert.deepStrictEqual(yield* claim("msg_old"), Option.some(2))
      }))
  })
}
