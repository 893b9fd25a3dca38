import { Effect, Option } from "effect"
import { WebhookInbox } from "effect4-openai-webhooks"

// After an outage: what failed in the last hour and why, then every one of them processed again.
export const recoverLastHour = Effect.gen(function*() {
  const since = new Date(Date.now() - 60 * 60 * 1000)
  const { deliveries } = yield* WebhookInbox.list({ status: ["failed", "dead"], since })
  for (const delivery of deliveries) {
    const detail = yield* WebhookInbox.get(delivery.webhookId)
    const tries = Option.match(detail, { onNone: () => 0, onSome: (detail) => detail.history.length })
    yield* Effect.log(`${delivery.webhookId} ${delivery.eventType}: ${tries} attempt(s), ${delivery.lastError}`)
  }
  // Pending again, due now: layerWorker processes them (in inline mode too, when it runs).
  return yield* WebhookInbox.recover({ since })
})
