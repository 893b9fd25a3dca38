import { Effect } from "effect"
import { createServer } from "node:http"
import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"

// The lean path (what `npm start` runs): a plain Node listener, for node:http, Express or Fastify routes.
export const program = Effect.gen(function*() {
  const listener = yield* WebhookHttp.makeNodeListener({
    handle: (event) => Effect.log(event._tag),
    timeout: "10 seconds"
  })
  return createServer(listener)
}).pipe(Effect.provide(WebhookSecret.layerConfig()))
