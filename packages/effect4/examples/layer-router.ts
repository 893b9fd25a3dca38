import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Match } from "effect"
import { HttpRouter } from "effect/http"
import { createServer } from "node:http"
import { WebhookEvent, WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"

const handle = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
  Match.tag("response.completed", (event) => Effect.log(`fetch response ${event.data.id}`)),
  Match.tag("realtime.call.incoming", (event) => Effect.log(`accept call ${event.data.callId}`)),
  Match.orElse(() => Effect.void)
)

// POST /webhooks/openai: 200 when handled, 401 bad signature, 400 undecodable, 500 handler failed.
export const WebhookRoute = WebhookHttp.layerRoute({ handle, timeout: "10 seconds" })

export const ServerLive = HttpRouter.serve(WebhookRoute).pipe(
  Layer.provide(WebhookSecret.layerConfig()),
  Layer.provide(NodeHttpServer.layer(createServer, { port: 8787 }))
)

if (import.meta.url === `file://${process.argv[1]}`) NodeRuntime.runMain(Layer.launch(ServerLive))
