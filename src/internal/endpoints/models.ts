/**
 * The bodies of OpenAI's webhook endpoint API as Schema classes: camelCase fields on the type side, the wire JSON
 * (snake_case) exact on the encoded side, so that `Schema.encode` gives back what OpenAI sent or expects. Responses
 * ignore keys OpenAI adds; requests carry the documented limits as filters whose messages name the wire field.
 * The public `WebhookEndpoints` module re-exports these with their documentation.
 *
 * Source: OpenAI's API reference, webhook endpoints (September 2026).
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import type { EventType } from "../../WebhookEvent.js"

/** OpenAI's limits on requests, as documented. */
export const MAX_URL_LENGTH = 2048
export const MAX_NAME_LENGTH = 256
export const MAX_PAGE_SIZE = 100

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

const https = Schema.String.pipe(
  Schema.filter((url) => {
    if (url.length > MAX_URL_LENGTH) return `url is ${url.length} characters; OpenAI accepts at most ${MAX_URL_LENGTH}`
    // The value is not repeated in the message: a URL may carry a token.
    if (!URL.canParse(url)) return "url is not an absolute URL"
    return new URL(url).protocol === "https:" || "url must be https:// (OpenAI delivers to HTTPS endpoints only)"
  })
)

const name = Schema.String.pipe(
  Schema.filter((name) => {
    const length = [...name].length
    return (length >= 1 && length <= MAX_NAME_LENGTH) ||
      `name must be 1 to ${MAX_NAME_LENGTH} characters; it is ${length}`
  })
)

const eventTypes = Schema.propertySignature(Schema.Array(Schema.String)).pipe(Schema.fromKey("event_types"))

/** The body of `POST /webhook_endpoints`. */
export const CreateBody = Schema.Struct({ url: https, name, eventTypes })

/** The body of `POST /webhook_endpoints/{id}`: only the fields given change; `eventTypes` replaces the whole set. */
export const UpdateBody = Schema.Struct({
  url: Schema.optional(https),
  name: Schema.optional(name),
  eventTypes: Schema.optional(Schema.Array(Schema.String)).pipe(Schema.fromKey("event_types"))
})

/** The query of `GET /webhook_endpoints`. */
export const ListQuery = Schema.Struct({
  after: Schema.optional(Schema.String),
  limit: Schema.optional(
    Schema.Number.pipe(
      Schema.filter((limit) =>
        (Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_SIZE) ||
        `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`
      )
    )
  )
})

/** The body of `POST /webhook_endpoints/{id}/rotate_secret`. */
export const RotateSecretBody = Schema.Struct({
  keepOldSecretActiveFor24Hours: Schema.optional(Schema.Boolean).pipe(
    Schema.fromKey("keep_old_secret_active_for_24_hours")
  )
})

/** The body of `POST /webhook_endpoints/{id}/test`. */
export const TestBody = Schema.Struct({
  eventType: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("event_type"))
})
