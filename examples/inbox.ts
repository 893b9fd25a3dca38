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

// The HTTP side finds the inbox in its context: mount it as usual, with the inbox provided.
export const WebhookRoute = WebhookHttp.layerRoute({ handle }).pipe(
  Layer.provide(Layer.mergeAll(InboxLive, WebhookSecret.layerConfig()))
)

// Any @effect/sql client: SQLite for one instance, PostgreSQL (@effect/sql-pg) for several.
export const SqlLive = SqliteClient.layer({ filename: "openai-webhooks.sqlite" })
