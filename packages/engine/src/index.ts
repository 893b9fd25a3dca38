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
