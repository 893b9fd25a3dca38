/**
 * JSON from outside: how deep it may nest, and walks over it whose recursion is bounded whatever the input.
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
 * The inbox's SQL per database (SQLite, PostgreSQL): migrations and every statement as text with its parameters,
 * the delivery log's vocabulary and query checks.
 *
 * @since 0.3.0
 */
export * as InboxSql from "./InboxSql.js"
