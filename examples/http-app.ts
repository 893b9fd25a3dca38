import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { WebhookHttp } from "effect-openai-webhooks"

// The classic router: `all` so that other methods get 405 (with Allow: POST) rather than 404.
export const router = HttpRouter.empty.pipe(
  HttpRouter.get("/healthz", HttpServerResponse.text("ok")),
  HttpRouter.all("/webhooks/openai", WebhookHttp.toHttpApp({ handle: (event) => Effect.log(event._tag) }))
)
