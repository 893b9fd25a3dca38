import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer, Schedule } from "effect"
import { WebhookEvent, WebhookHttp, WebhookInbox, WebhookSecret } from "effect-openai-webhooks"

const handle = (event: WebhookEvent.UnwrapWebhookEvent) => Effect.log(`handling ${event._tag}`)

// Queued: answer 200 once the delivery is stored; workers run `handle`, retrying on the schedule.
export const InboxLive = WebhookInbox.layerSql({ mode: "queued", retention: "7 days" })
export const WorkersLive = WebhookInbox.layerWorker({
  handle,
  concurrency: 4,
  schedule: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(7)))
}).pipe(Layer.provide(InboxLive))

// The route says how it uses the inbox, and its type then requires one: an inbox given to the workers only does
// not compile. Queued, it takes no handler (the workers run it). Inline: layerSql() and { handle, inbox: "inline" }.
export const WebhookRoute = WebhookHttp.layerRoute({ inbox: "queued" }).pipe(
  Layer.provide(Layer.mergeAll(InboxLive, WebhookSecret.layerConfig()))
)

// Any @effect/sql client: SQLite for one instance, PostgreSQL (@effect/sql-pg) for several.
export const SqlLive = SqliteClient.layer({ filename: "openai-webhooks.sqlite" })
