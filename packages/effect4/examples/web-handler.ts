import { Effect } from "effect"
import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"

// Bun.serve({ fetch: handler }), Deno.serve(handler), or a Worker's fetch (below).
export const { handler, dispose } = WebhookHttp.toWebHandler({
  handle: (event, delivery) => Effect.log(`${delivery.id}: ${event._tag}`),
  layer: WebhookSecret.layerConfig()
})
