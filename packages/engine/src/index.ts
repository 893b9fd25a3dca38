/**
 * JSON from outside: the pre-checks of a payload (UTF-8, JSON, an event object), nesting bounds, bounded walks.
 *
 * @since 0.3.0
 */
export * as Json from "./Json.js"

/**
 * The engine's answers as plain values (`{ ok: true, value }` or `{ ok: false, error }`), never a throw.
 *
 * @since 0.3.0
 */
export * as Result from "./Result.js"

/**
 * Request headers read case-insensitively from fetch `Headers` or any record of names to values.
 *
 * @since 0.3.0
 */
export * as Headers from "./Headers.js"

/**
 * Webhook signing secrets: `whsec_` + base64 or plain text to key bytes, with a reason for every way one is wrong.
 *
 * @since 0.3.0
 */
export * as Secret from "./Secret.js"

/**
 * Standard Webhooks v1 over bytes: sign, verify (a plain `Result` with the failure's reason), explain a match.
 *
 * @since 0.3.0
 */
export * as Signature from "./Signature.js"

/**
 * The body-reading contract: a `node:http` request, a web `Request`, bytes or a string, to raw bytes within a limit.
 *
 * @since 0.3.0
 */
export * as Body from "./Body.js"

/**
 * The outcome vocabulary, the reply of each outcome, its renderers, and the fields of a delivery's log line.
 *
 * @since 0.3.0
 */
export * as Reply from "./Reply.js"

/**
 * The event catalogue: every known webhook event type as data, with its fields, description, sample and deprecation.
 *
 * @since 0.3.0
 */
export * as Events from "./Events.js"

/**
 * The inbox's SQL per database (SQLite, PostgreSQL): migrations and every statement as text with its parameters,
 * the delivery log's vocabulary and query checks.
 *
 * @since 0.3.0
 */
export * as InboxSql from "./InboxSql.js"

/**
 * Settings from an environment: empty counts as unset, `<NAME>_FILE` for secrets, whole numbers within bounds.
 *
 * @since 0.4.0
 */
export * as Setting from "./Setting.js"

/**
 * Options given in code: the words of a message about one that cannot be used, and a webhook route's rules.
 *
 * @since 0.4.0
 */
export * as Options from "./Options.js"

/**
 * A `node:http` server's connections: its limits and a stop's budget, lingering closes, answers to what the parser
 * refuses, a graceful stop that keeps every deadline.
 *
 * @since 0.4.0
 */
export * as NodeServer from "./NodeServer.js"

/**
 * W3C Trace Context's `traceparent`, written and read: what a queued delivery keeps of the request that queued it.
 *
 * @since 0.4.0
 */
export * as TraceContext from "./TraceContext.js"

/**
 * OpenAI's webhook endpoint API as data and decisions: options, requests within the documented limits, answers read
 * as reasons, and the retry rules.
 *
 * @since 0.4.0
 */
export * as Endpoints from "./Endpoints.js"

/**
 * The inspector's page, token rule, JSON API and answer counts, without Effect: both editions' `WebhookInspector`.
 *
 * @since 0.4.0
 */
export * as Inspector from "./Inspector.js"

/**
 * The inbox's writer thread for a SQLite file: batches of claims, settles and enqueues written and made durable off the
 * event loop, on a connection of its own (Node.js 22.13+, `node:sqlite`).
 *
 * @since 0.4.0
 */
export * as InboxWriter from "./InboxWriter.js"
