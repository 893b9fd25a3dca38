import { Effect } from "effect"
import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"

// Cloudflare Workers, with or without nodejs_compat: the secret is a binding
// (`wrangler secret put OPENAI_WEBHOOK_SECRET`), read from `env` on the first request.
interface Env {
  readonly OPENAI_WEBHOOK_SECRET: string
}

let webhooks: ReturnType<typeof WebhookHttp.toWebHandler> | undefined

export default {
  fetch: (request: Request, env: Env): Promise<Response> => {
    webhooks ??= WebhookHttp.toWebHandler({
      handle: (event, delivery) => Effect.log(`${delivery.id}: ${event._tag}`),
      layer: WebhookSecret.layer(env.OPENAI_WEBHOOK_SECRET)
    })
    return webhooks.handler(request)
  }
}
