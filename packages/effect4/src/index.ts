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
 * Deduplicate deliveries by `webhook-id` and process them reliably on `effect/sql` (SQLite on `node:sqlite`,
 * PostgreSQL): claims, queued processing with workers, the delivery log.
 *
 * @since 0.4.0
 */
export * as WebhookInbox from "./WebhookInbox.js"
