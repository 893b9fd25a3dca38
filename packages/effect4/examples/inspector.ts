import { Config, Effect, Layer } from "effect"
import { WebhookInspector } from "effect4-openai-webhooks"

// The inspector at /ops/inbox, over the WebhookInbox your app provides already: with a token of its own, read
// from INSPECTOR_TOKEN (as a Bearer token, or in the cookie a browser gets by opening /ops/inbox?token=... once).
export const InspectorRoute = Layer.unwrap(
  Effect.map(Config.Redacted("INSPECTOR_TOKEN"), (token) => WebhookInspector.layerRoute({ path: "/ops/inbox", token }))
)

// Or behind your own authentication: no token, and the route under your router's middleware.
export const InspectorBehindYourAuth = WebhookInspector.layerRoute({ path: "/ops/inbox" })

// Next to your webhook route, the inbox provided to both:
// HttpRouter.serve(Layer.mergeAll(WebhookRoute, InspectorRoute)).pipe(Layer.provide(InboxLive), ...)
