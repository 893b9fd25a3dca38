/**
 * The bodies of OpenAI's webhook endpoint API as Schema classes: camelCase fields on the type side, the wire JSON
 * (snake_case) exact on the encoded side, so that `Schema.encode` gives back what OpenAI sent. Responses ignore
 * keys OpenAI adds. Requests, and the documented limits they are held to, are the engine's (`Endpoints`). The
 * public `WebhookEndpoints` module re-exports these with their documentation.
 *
 * Source: OpenAI's API reference, webhook endpoints (September 2026).
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import type { EventType } from "../../WebhookEvent.js"

const unixSeconds = Schema.Int.annotations({ description: "Unix timestamp (seconds)." })

/** An endpoint, as every call but `del` and `test` answers it. */
export class WebhookEndpoint extends Schema.Class<WebhookEndpoint>("WebhookEndpoint")({
  id: Schema.String.annotations({ description: "The endpoint's ID (whe_...)." }),
  object: Schema.optionalWith(Schema.String.annotations({ examples: ["webhook_endpoint"] }), { exact: true }),
  name: Schema.String,
  url: Schema.String,
  eventTypes: Schema.propertySignature(Schema.Array(Schema.String)).pipe(Schema.fromKey("event_types")),
  // Documented as string | null; absent is read as null rather than refused.
  signingSecretHint: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("signing_secret_hint")
  ),
  createdAt: Schema.propertySignature(unixSeconds).pipe(Schema.fromKey("created_at")),
  updatedAt: Schema.optionalWith(unixSeconds, { exact: true, nullable: true }).pipe(Schema.fromKey("updated_at"))
}) {}

/** An endpoint with its signing secret: what `create` and `rotateSecret` answer, and nothing else. */
export class WebhookEndpointWithSecret
  extends WebhookEndpoint.extend<WebhookEndpointWithSecret>("WebhookEndpointWithSecret")({
    signingSecret: Schema.propertySignature(Schema.Redacted(Schema.String)).pipe(Schema.fromKey("signing_secret"))
  })
{}

/** One page of `GET /webhook_endpoints`, newest first. */
export class Page extends Schema.Class<Page>("WebhookEndpointPage")({
  object: Schema.optionalWith(Schema.String.annotations({ examples: ["list"] }), { exact: true }),
  data: Schema.Array(WebhookEndpoint),
  firstId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(Schema.fromKey("first_id")),
  lastId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(Schema.fromKey("last_id")),
  hasMore: Schema.propertySignature(Schema.Boolean).pipe(Schema.fromKey("has_more"))
}) {}

/** What `DELETE /webhook_endpoints/{id}` answers. */
export class DeletedWebhookEndpoint extends Schema.Class<DeletedWebhookEndpoint>("DeletedWebhookEndpoint")({
  id: Schema.String,
  object: Schema.optionalWith(Schema.String.annotations({ examples: ["webhook_endpoint.deleted"] }), { exact: true }),
  deleted: Schema.Boolean
}) {}

/** What `POST /webhook_endpoints/{id}/test` answers: how the endpoint answered the test event OpenAI sent it. */
export class TestEventResult extends Schema.Class<TestEventResult>("WebhookEndpointTestEventResult")({
  object: Schema.optionalWith(Schema.String.annotations({ examples: ["webhook_endpoint.test"] }), { exact: true }),
  webhookEndpointId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("webhook_endpoint_id")),
  eventType: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("event_type")),
  statusCode: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("status_code")),
  success: Schema.Boolean
}) {}

/** What `GET /webhook_event_types` answers: the types an endpoint may subscribe to. */
export const EventTypeList = Schema.Struct({
  object: Schema.optionalWith(Schema.String, { exact: true }),
  data: Schema.Array(Schema.String)
})

/** Known event types autocomplete; any string is accepted, since OpenAI adds types before this package knows them. */
export type EventTypeInput = EventType | (string & {})
