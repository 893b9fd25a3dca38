import { Effect, Layer, Stream } from "effect"
import { FetchHttpClient } from "effect/http"
import { WebhookEndpoints } from "effect4-openai-webhooks"

// OPENAI_API_KEY (and OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID when set), over any HttpClient.
export const EndpointsLive = WebhookEndpoints.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

// Create an endpoint. Its signing secret comes back only now, as a Redacted: store it (Redacted.value).
export const createEndpoint = WebhookEndpoints.create({
  url: "https://example.com/webhooks/openai",
  name: "production",
  eventTypes: ["response.completed", "batch.completed"]
}).pipe(Effect.map((endpoint) => endpoint.signingSecret))

// Every endpoint, newest first: the stream follows OpenAI's cursor, one page at a time (collected in an array).
export const endpoints = WebhookEndpoints.list().pipe(Stream.runCollect)

// Rotate without downtime: the old secret stays active for 24 hours, and each delivery is signed with both.
// Give your receivers both meanwhile, WebhookSecret.layer([newSecret, oldSecret]) or
// OPENAI_WEBHOOK_SECRET="<new> <old>", then drop the old one.
export const rotate = (id: string) =>
  WebhookEndpoints.rotateSecret(id, { keepOldSecretActiveFor24Hours: true }).pipe(
    Effect.map((endpoint) => endpoint.signingSecret)
  )
