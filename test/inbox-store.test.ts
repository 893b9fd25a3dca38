/**
 * What the inbox's store refuses to answer 200 for, over real HTTP on loopback with signed deliveries, on real
 * engines (a SQLite file, and PostgreSQL when `DATABASE_URL` names one): a `webhook-id` no database can key on,
 * and (SQLite) a database file that is no longer the one at its path.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, Context, Effect, Layer, Logger } from "effect"
import { WebhookHttp, WebhookInbox, WebhookSecret, WebhookTesting } from "../src/index.js"
import { faults } from "../packages/engine/test/support/file-faults.js"
import { replyOf } from "../packages/engine/test/tables/replies.js"
import * as Engines from "./support/inbox-engines.js"
import { listenLoopback } from "./support/http.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const TABLE = "openai_webhook_deliveries"

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly cause: string
}

/** Every line logged. */
const observe = () => {
  const lines: Array<Line> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(annotations),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
    })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

interface Reply {
  readonly status: number
  readonly body: unknown
}

/**
 * The inbox in `mode` on `client`, behind the Node listener on a random loopback port (an inline route runs a
 * handler that does nothing), until the scope closes; `post` signs a delivery with the given id and sends it.
 */
const serve = (
  client: Layer.Layer<SqlClient.SqlClient, unknown>,
  mode: WebhookInbox.Mode,
  log: ReturnType<typeof observe>
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(WebhookInbox.layerSql({ mode }).pipe(Layer.provideMerge(client))).pipe(
      Effect.provide(log.layer),
      Effect.orDie
    )
    const store = Context.get(context, WebhookInbox.WebhookInbox)
    const sql = Context.get(context, SqlClient.SqlClient)
    const listener = yield* (mode === "queued"
      ? WebhookHttp.makeNodeListener({ inbox: "queued" })
      : WebhookHttp.makeNodeListener({ handle: () => Effect.void, inbox: "inline" })).pipe(
        Effect.provide(context),
        Effect.provide(WebhookSecret.layer(secret)),
        Effect.provide(log.layer),
        Effect.orDie
      )
    const { port } = yield* listenLoopback(listener)
    const post = (id: string) =>
      Effect.promise(async (): Promise<Reply> => {
        const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret, id })
        const response = await fetch(`http://127.0.0.1:${port}${WebhookHttp.defaultPath}`, {
          method: "POST",
          headers: delivery.headers,
          body: delivery.body
        })
        return { status: response.status, body: JSON.parse(await response.text()) as unknown }
      })
    const count = Effect.map(
      Effect.orDie(sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql(TABLE)}`),
      (rows) => Number(rows[0]?.n)
    )
    const health = WebhookInbox.health.pipe(Effect.provideService(WebhookInbox.WebhookInbox, store))
    return { store, sql, post, count, health }
  })

/** Random letters and digits, as ids are: what PostgreSQL cannot compress below its index's limit. */
const randomId = (bytes: number) => {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
  let id = "msg_"
  while (id.length < bytes) id += alphabet[Math.floor(Math.random() * alphabet.length)]
  return id
}

for (const engine of Engines.engines("inbox-store.test.ts")) {
  describe.skipIf(engine.skip)(`the inbox's store on ${engine.name}`, () => {
    for (const mode of ["inline", "queued"] as const) {
      it.scopedLive(`${mode}: answers a webhook-id over 1,024 bytes 400 at every copy, storing nothing`, () =>
        Effect.gen(function*() {
          const log = observe()
          const { count, post } = yield* serve((yield* engine.database).client(), mode, log)
          const over = randomId(2800)
          const refused = { status: 400, body: { error: { type: "DecodeError", reason: "WebhookIdTooLong" } } }
          // The same answer to OpenAI's retry: never a 500 that every retry repeats, nor a 200 on one engine only.
          assert.deepStrictEqual(yield* post(over), refused)
          assert.deepStrictEqual(yield* post(over), refused)
          assert.deepStrictEqual(yield* post(randomId(1025)), refused)
          assert.strictEqual(yield* count, 0)
          const lines = log.lines.filter((line) => line.message === "invalid")
          assert.strictEqual(lines.length, 3)
          assert.strictEqual(lines[0]?.annotations["reason"], "WebhookIdTooLong")
          assert.include(String(lines[0]?.annotations["error"]), "the webhook-id is 2800 bytes long")
          // Authentic, and stored nowhere: its body is in the line.
          assert.include(String(lines[0]?.annotations["body"]), "response.completed")
          const longest = randomId(1024)
          assert.strictEqual((yield* post(longest)).status, 200)
          assert.strictEqual((yield* post(longest)).status, 200)
          assert.strictEqual(yield* count, 1)
        }))
    }
  })
}

const directory = mkdtempSync(join(tmpdir(), "inbox-store-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))


describe("the inbox's store on a SQLite file that is no longer the one at its path", () => {
  for (const mode of ["inline", "queued"] as const) {
    for (const [fault, apply] of Object.entries(faults)) {
      it.scopedLive(`${mode}, ${fault}: answers 500 from then on, says why once, and reports unhealthy`, () =>
        Effect.gen(function*() {
          const log = observe()
          const file = join(directory, `${randomBytes(6).toString("hex")}.sqlite`)
          const { health, post, store } = yield* serve(SqliteClient.layer({ filename: file }), mode, log)
          assert.deepStrictEqual(yield* health, { healthy: true })
          assert.strictEqual((yield* post("msg_before")).status, 200)
          apply(file)
          // Every delivery from then on: 500 (OpenAI retries it), never a 200 for a row written into a lost file.
          for (let i = 0; i < 5; i++) {
            assert.deepStrictEqual(yield* post(`msg_after_${i}`), { status: 500, body: replyOf("failed").body })
          }
          // A copy of the delivery answered 200 before: not a duplicate answered from the lost file either.
          assert.strictEqual((yield* post("msg_before")).status, 500)
          const unhealthy = yield* health
          assert.isFalse(unhealthy.healthy)
          const reason = unhealthy.healthy ? "" : unhealthy.reason
          const how = fault === "deleted" ? "deleted" : "replaced"
          assert.include(reason, `the inbox's database file ${file} was ${how}`)
          const said = log.lines.filter((line) => line.message === "inbox: the database file is gone")
          assert.strictEqual(said.length, 1)
          assert.strictEqual(said[0]?.level, "ERROR")
          assert.strictEqual(said[0]?.annotations["error"], reason)
          // The log's writes fail too, rather than say they replayed into the lost file.
          const replay = yield* Effect.flip(
            WebhookInbox.replay("msg_before").pipe(Effect.provideService(WebhookInbox.WebhookInbox, store))
          )
          assert.strictEqual(replay.message, reason)
          // Each 500's line says the database failed, with the reason.
          const failed = log.lines.filter((line) => line.message === "failed")
          assert.strictEqual(failed.length, 6)
          for (const line of failed) assert.include(line.cause, reason)
        }))
    }
  }
})
