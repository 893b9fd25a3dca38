/**
 * Standard Webhooks v1 signing and verification over bytes, with no Effect services.
 *
 * @since 0.1.0
 */
export * as WebhookSignature from "./WebhookSignature.js"

/**
 * Every OpenAI webhook event as a Schema tagged class, and the union of them all.
 *
 * @since 0.1.0
 */
export * as WebhookEvent from "./WebhookEvent.js"

/**
 * The typed errors: `SignatureError`, `DecodeError`, `SecretError`, `ApiError`, `InboxError`, and the
 * `IllegalArgumentException` of an option that cannot be used.
 *
 * @since 0.1.0
 */
export * as WebhookError from "./WebhookError.js"

/**
 * The signing secret as an Effect service, from values or from `Config`.
 *
 * @since 0.1.0
 */
export * as WebhookSecret from "./WebhookSecret.js"

/**
 * `verify`, `decode` and `unwrap`: the Effect API most users call.
 *
 * @since 0.1.0
 */
export * as Webhooks from "./Webhooks.js"

/**
 * Signing helpers and sample events for your own tests.
 *
 * @since 0.1.0
 */
export * as WebhookTesting from "./WebhookTesting.js"

/**
 * Mount the webhook handler: an `HttpLayerRouter` route layer, an `HttpApp`, a fetch handler, a Node listener.
 *
 * @since 0.1.0
 */
export * as WebhookHttp from "./WebhookHttp.js"

/**
 * Deduplicate by `webhook-id` and process reliably (inline or queued) on an `@effect/sql` database.
 *
 * @since 0.1.0
 */
export * as WebhookInbox from "./WebhookInbox.js"

/**
 * Manage webhook endpoints through OpenAI's API: create, list, update, delete, rotate secrets, send test events.
 *
 * @since 0.2.0
 */
export * as WebhookEndpoints from "./WebhookEndpoints.js"

/**
 * The inspector's page and JSON API as a route for your own router, behind your authentication or a token.
 *
 * @since 0.4.0
 */
export * as WebhookInspector from "./WebhookInspector.js"
