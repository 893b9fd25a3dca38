/**
 * One instance of a receiver with an inbox, as a process of its own, for the tests that kill one: the
 * Node listener (`WebhookHttp.makeNodeListener`) on 127.0.0.1 and a free port, the inbox on the database
 * `DATABASE_URL` names (`sqlite:<file>` or `postgres://...`), logfmt lines on stdout. Its handler logs
 * `handling`, then ends, or with `HANDLER=block` never does: the test kills the process mid-handler.
 *
 * Run: node --import tsx test/support/inbox-instance.ts, with DATABASE_URL, WEBHOOK_MODE (inline or
 * queued), WEBHOOK_LEASE, WEBHOOK_HEARTBEAT, WEBHOOK_TIMEOUT, WEBHOOK_POLL, HANDLER and OPENAI_WEBHOOK_SECRET.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import type * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Config, Effect, Layer, Logger, Redacted } from "effect"
import { WebhookHttp, WebhookInbox, WebhookSecret } from "../../src/index.js"

const settings = Config.all({
  databaseUrl: Config.string("DATABASE_URL"),
  mode: Config.literal("inline", "queued")("WEBHOOK_MODE"),
  lease: Config.duration("WEBHOOK_LEASE"),
  heartbeat: Config.duration("WEBHOOK_HEARTBEAT"),
  timeout: Config.duration("WEBHOOK_TIMEOUT"),
  pollInterval: Config.duration("WEBHOOK_POLL"),
  block: Config.literal("block", "run")("HANDLER").pipe(Config.map((handler) => handler === "block"))
})

const program = Effect.gen(function*() {
  const { block, databaseUrl, heartbeat, lease, mode, pollInterval, timeout } = yield* settings
  const handle = () => Effect.zipRight(Effect.logInfo("handling"), block ? Effect.never : Effect.void)
  const sql: Layer.Layer<SqlClient.SqlClient, unknown> = databaseUrl.startsWith("sqlite:")
    ? SqliteClient.layer({ filename: databaseUrl.slice("sqlite:".length) })
    : PgClient.layer({ url: Redacted.make(databaseUrl) })
  const inbox = WebhookInbox.layerSql({ mode, lease, heartbeat }).pipe(Layer.provide(sql))
  const workers = mode === "queued"
    ? WebhookInbox.layerWorker({ handle, concurrency: 1, pollInterval }).pipe(Layer.provide(inbox))
    : Layer.empty
  const context = yield* Layer.build(Layer.merge(inbox, workers))
  const listener = yield* WebhookHttp.makeNodeListener({ handle, timeout }).pipe(Effect.provide(context))
  const server = createServer(listener)
  const port = yield* Effect.async<number>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
  })
  yield* Effect.annotateLogs(Effect.logInfo("listening"), "port", port)
  return yield* Effect.never
})

Effect.runFork(
  program.pipe(
    Effect.scoped,
    Effect.provide(WebhookSecret.layerConfig()),
    Effect.provide(Logger.logFmt),
    Effect.tapErrorCause(Effect.logError),
    Effect.orDie
  )
)
