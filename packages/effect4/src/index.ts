/**
 * effect4-openai-webhooks: receive OpenAI webhooks in Effect 4 programs. The Effect 4 edition of
 * `effect-openai-webhooks`: the same modules under the same names, on the same engine (`openai-webhooks-engine`).
 *
 * @since 0.4.0
 */

/**
 * The typed errors: `SignatureError`, `DecodeError`, `SecretError`, `ApiError`, `InboxError`, `IllegalArgumentError`.
 *
 * @since 0.4.0
 */
export * as WebhookError from "./WebhookError.js"

/**
 * Every OpenAI webhook event as a Schema class, and the union of them all.
 *
 * @since 0.4.0
 */
export * as WebhookEvent from "./WebhookEvent.js"

/**
 * Manage webhook endpoints through OpenAI's API: create, list, retrieve, update, delete, rotate a secret, test.
 *
 * @since 0.4.0
 */
export * as WebhookEndpoints from "./WebhookEndpoints.js"
