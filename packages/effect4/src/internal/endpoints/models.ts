/**
 * The bodies of OpenAI's webhook endpoint API as Schema classes: camelCase fields, and beside each class its wire
 * codec (`Cls.pipe(Schema.encodeKeys(...))`, Effect 4's way to rename keys: at the struct, not at the field), which
 * decodes OpenAI's JSON (snake_case) into the class and encodes it back exactly. Responses ignore keys OpenAI adds.
 * Requests, and the documented limits they are held to, are the engine's (`Endpoints`). The public
 * `WebhookEndpoints` module re-exports these with their documentation.
 *
 * Source: OpenAI's API reference, webhook endpoints (September 2026).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaGetter from "effect/SchemaGetter"
import type { EventType } from "../../WebhookEvent.js"

const unixSeconds = Schema.Int.annotate({ description: "Unix timestamp (seconds)." })

/** Documented as `string | null`; absent is read as `null` rather than refused. */
const nullDefault = Schema.NullOr(Schema.String).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null)))

/** Absent, or `null` (read as absent): the field is left out of the class. */
const optionalSeconds = Schema.optionalKey(Schema.NullOr(unixSeconds)).pipe(
  Schema.decodeTo(Schema.optionalKey(unixSeconds), {
    decode: SchemaGetter.transformOptional(Option.filter((value): value is number => value !== null)),
    encode: SchemaGetter.passthroughSupertype()
  })
)

const endpointFields = {
  id: Schema.String.annotate({ description: "The endpoint's ID (whe_...)." }),
  object: Schema.optionalKey(Schema.String.annotate({ examples: ["webhook_endpoint"] })),
  name: Schema.String,
  url: Schema.String,
  eventTypes: Schema.Array(Schema.String),
  signingSecretHint: nullDefault,
  createdAt: unixSeconds,
  updatedAt: optionalSeconds
}

const endpointKeys = {
  eventTypes: "event_types",
  signingSecretHint: "signing_secret_hint",
  createdAt: "created_at",
  updatedAt: "updated_at"
} as const

/** An endpoint, as every call but `del` and `test` answers it. */
export class WebhookEndpoint extends Schema.Class<WebhookEndpoint>("WebhookEndpoint")(endpointFields) {}

/** {@link WebhookEndpoint} from OpenAI's JSON. */
export const WebhookEndpointWire = WebhookEndpoint.pipe(Schema.encodeKeys(endpointKeys))

/** An endpoint with its signing secret: what `create` and `rotateSecret` answer, and nothing else. */
export class WebhookEndpointWithSecret
  extends WebhookEndpoint.extend<WebhookEndpointWithSecret>("WebhookEndpointWithSecret")({
    signingSecret: Schema.RedactedFromValue(Schema.String)
  })
{}

/** {@link WebhookEndpointWithSecret} from OpenAI's JSON. */
export const WebhookEndpointWithSecretWire = WebhookEndpointWithSecret.pipe(
  Schema.encodeKeys({ ...endpointKeys, signingSecret: "signing_secret" })
)

/** One page of `GET /webhook_endpoints`, newest first (its endpoints from OpenAI's JSON, as the page is). */
export class Page extends Schema.Class<Page>("WebhookEndpointPage")({
  object: Schema.optionalKey(Schema.String.annotate({ examples: ["list"] })),
  data: Schema.Array(WebhookEndpointWire),
  firstId: nullDefault,
  lastId: nullDefault,
  hasMore: Schema.Boolean
}) {}

/** {@link Page} from OpenAI's JSON. */
export const PageWire = Page.pipe(Schema.encodeKeys({ firstId: "first_id", lastId: "last_id", hasMore: "has_more" }))

/** What `DELETE /webhook_endpoints/{id}` answers. */
export class DeletedWebhookEndpoint extends Schema.Class<DeletedWebhookEndpoint>("DeletedWebhookEndpoint")({
  id: Schema.String,
  object: Schema.optionalKey(Schema.String.annotate({ examples: ["webhook_endpoint.deleted"] })),
  deleted: Schema.Boolean
}) {}

/** What `POST /webhook_endpoints/{id}/test` answers: how the endpoint answered the test event OpenAI sent it. */
export class TestEventResult extends Schema.Class<TestEventResult>("WebhookEndpointTestEventResult")({
  object: Schema.optionalKey(Schema.String.annotate({ examples: ["webhook_endpoint.test"] })),
  webhookEndpointId: Schema.String,
  eventType: Schema.String,
  statusCode: Schema.Int,
  success: Schema.Boolean
}) {}

/** {@link TestEventResult} from OpenAI's JSON. */
export const TestEventResultWire = TestEventResult.pipe(
  Schema.encodeKeys({ webhookEndpointId: "webhook_endpoint_id", eventType: "event_type", statusCode: "status_code" })
)

/** What `GET /webhook_event_types` answers: the types an endpoint may subscribe to. */
export const EventTypeList = Schema.Struct({
  object: Schema.optionalKey(Schema.String),
  data: Schema.Array(Schema.String)
})

/** Known event types autocomplete; any string is accepted, since OpenAI adds types before this package knows them. */
export type EventTypeInput = EventType | (string & {})
