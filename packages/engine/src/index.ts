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
