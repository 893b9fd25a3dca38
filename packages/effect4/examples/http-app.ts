import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { WebhookHttp } from "effect4-openai-webhooks"

// Effect 4 has one router: the app is a handler for HttpRouter.add, on "*" so that other methods get 405 (with
// Allow: POST) rather than 404. Serve the routes with HttpRouter.serve(Routes), as layer-router.ts does.
export const Routes = Layer.mergeAll(
  HttpRouter.add("GET", "/healthz", HttpServerResponse.text("ok")),
  HttpRouter.add("*", "/webhooks/openai", WebhookHttp.toHttpApp({ handle: (event) => Effect.log(event._tag) }))
)
