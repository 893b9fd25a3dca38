import { Effect, Option } from "effect"
import { WebhookInbox } from "effect-openai-webhooks"

// What failed in the last hour, newest first, one page of at most 50 (`next` is the cursor of the next page).
export const failedLastHour = WebhookInbox.list({
  status: ["failed", "dead"],
  since: new Date(Date.now() - 60 * 60 * 1000)
})

// One delivery: its raw body and every attempt, with how it ended and why.
export const explain = (webhookId: string) =>
  WebhookInbox.get(webhookId).pipe(
    Effect.map(Option.map((delivery) => delivery.history.map((attempt) => `${attempt.attempt}: ${attempt.outcome}`)))
  )

// Once the cause is fixed: run one again (a worker takes it within seconds), or every one that failed since.
export const replayOne = (webhookId: string) => WebhookInbox.replay(webhookId)
export const recoverSince = (since: Date) => WebhookInbox.recover({ since })

// Counts by status and event type, and how long the oldest waiting delivery has waited.
export const health = WebhookInbox.stats.pipe(
  Effect.map((stats) => ({ dead: stats.byStatus.dead, oldestWaitingMs: stats.oldestPendingAgeMs }))
)
