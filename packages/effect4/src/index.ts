/**
 * effect4-openai-webhooks: receive OpenAI webhooks in Effect 4 programs. The Effect 4 edition of
 * `effect-openai-webhooks`: the same modules under the same names, on the same engine (`openai-webhooks-engine`).
 *
 * @since 0.4.0
 */

/**
 * Standard Webhooks v1 signing and verification over bytes, with no Effect services.
 *
 * @since 0.4.0
 */
export * as WebhookSignature from "./WebhookSignature.js"

/**
 * Every OpenAI webhook event as a Schema class, and the union of them all.
 *
 * @since 0.4.0
 */
export * as WebhookEvent from "./WebhookEvent.js"

/**
 * The typed errors: `SignatureError`, `DecodeError`, `SecretError`, `ApiError`, `InboxError`, and the
 * `IllegalArgumentError` of an option that cannot be used.
 *
 * @since 0.4.0
 */
export * as WebhookError from "./WebhookError.js"

/**
 * The signing secret as an Effect service, from values or from `Config`.
 *
 * @since 0.4.0
 */
export * as WebhookSecret from "./WebhookSecret.js"

/**
 * `verify`, `decode` and `unwrap`: the Effect API most users call.
 *
 * @since 0.4.0
 */
export * as Webhooks from "./Webhooks.js"

/**
 * Signing helpers and sample events for your own tests.
 *
 * @since 0.4.0
 */
export * as WebhookTesting from "./WebhookTesting.js"

/**
 * Manage webhook endpoints through OpenAI's API: create, list, retrieve, update, delete, rotate a secret, test.
 *
 * @since 0.4.0
 */
export * as WebhookEndpoints from "./WebhookEndpoints.js"

/**
 * Deduplicate deliveries by `webhook-id` and process them reliably on `effect/sql` (SQLite on `node:sqlite`,
 * PostgreSQL): claims, queued processing with workers, the delivery log.
 *
 * @since 0.4.0
 */
export * as WebhookInbox from "./WebhookInbox.js"

/**
 * Receive deliveries over HTTP: `toHttpApp` and `layerRoute` for `effect/http`'s `HttpRouter`, `toWebHandler` (a
 * fetch handler), `makeNodeListener` (a `node:http` listener), and the deliveries counter.
 *
 * @since 0.4.0
 */
export * as WebhookHttp from "./WebhookHttp.js"

/**
 * The inspector in your own app: a page over the inbox's delivery log and its JSON API, on your router
 * (`layerRoute`, `toHttpApp`) or a `node:http` server (`makeNodeListener`), behind a token or your own auth.
 *
 * @since 0.4.0
 */
export * as WebhookInspector from "./WebhookInspector.js"
