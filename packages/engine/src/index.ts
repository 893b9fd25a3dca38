/**
 * JSON from outside: how deep it may nest, and walks over it whose recursion is bounded whatever the input.
 *
 * @since 0.3.0
 */
export * as Json from "./Json.js"
