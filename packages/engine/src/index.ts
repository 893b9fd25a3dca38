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
 * The event catalogue: every known webhook event type as data, with its fields, description, sample and deprecation.
 *
 * @since 0.3.0
 */
export * as Events from "./Events.js"
