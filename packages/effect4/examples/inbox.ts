import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Config, Effect, Layer, Schedule } from "effect"
import { HttpRouter } from "effect/http"
import { createServer } from "node:http"
import { type WebhookEvent, WebhookHttp, WebhookInbox, WebhookSecret } from "effect4-openai-webhooks"

const handle = (event: WebhookEvent.UnwrapWebhookEvent) => Effect.log(`handling ${event._tag}`)

// Any effect/sql client: SQLite for one instance (on node:sqlite: nothing native to build), PostgreSQL
// (PgClient.layerConfig, @effect/sql-pg) for several.
export const SqlLive = SqliteClient.layer({ filename: "openai-webhooks.sqlite" })

// Queued: answer 200 once the delivery is stored; workers run `handle`, retrying on the schedule.
export const InboxLive = WebhookInbox.layerSql({ mode: "queued", retention: "7 days" }).pipe(Layer.provide(SqlLive))

export const WorkersLive = WebhookInbox.layerWorker({
  handle,
  concurrency: 4,
  // Both schedules at once (Effect 3's Schedule.intersect): every second, doubling, and at most 7 retries.
  schedule: Schedule.max([Schedule.exponential("1 second"), Schedule.recurs(7)])
})

// The route says how it uses the inbox, and its type then requires one: an inbox given to the workers only does
// not compile. Queued, it takes no handler (the workers run it). Inline: layerSql() and { handle, inbox: "inline" }.
export const WebhookRoute = WebhookHttp.layerRoute({ inbox: "queued" })

export const ServerLive = HttpRouter.serve(WebhookRoute).pipe(
  Layer.provide(NodeHttpServer.layerConfig(createServer, { port: Config.Port("PORT").pipe(Config.withDefault(8787)) }))
)

// The server and the workers side by side, on one inbox: provided below both, it is built once for both.
export const AppLive = Layer.mergeAll(ServerLive, WorkersLive).pipe(
  Layer.provide(Layer.mergeAll(InboxLive, WebhookSecret.layerConfig()))
)

// OPENAI_WEBHOOK_SECRET=whsec_... npx tsx inbox.ts: POST http://localhost:8787/webhooks/openai; Ctrl-C stops both.
if (import.meta.url === `file://${process.argv[1]}`) NodeRuntime.runMain(Layer.launch(AppLive))
