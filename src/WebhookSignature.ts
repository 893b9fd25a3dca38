/**
 * Standard Webhooks v1 signatures over bytes, as OpenAI applies them. Pure functions with no Effect
 * services: `Webhooks.verify` builds on them; use them directly to sign in tests or tools.
 *
 * Signed content: `${webhook-id}.${webhook-timestamp}.` followed by the raw body bytes. MAC:
 * HMAC-SHA256 keyed by the secret (`whsec_` + base64, padding optional -> its bytes; any other string ->
 * its UTF-8 bytes). Header: `v1,<base64 MAC>`, several separated by spaces; an entry that an intermediary
 * folded at its comma (`v1, <mac>`, or the list `["v1", "<mac>"]`) is read as one, as OpenAI's SDK reads it.
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as internal from "./internal/signature.js"
import type { SecretError, SignatureError } from "./WebhookError.js"

/**
 * A decoded signing key. Opaque: prints as `<redacted>`.
 *
 * @since 0.1.0
 * @category models
 */
export type Key = internal.Key

/**
 * What a verified delivery carries: its `webhook-id` and `webhook-timestamp` (Unix seconds).
 *
 * @since 0.1.0
 * @category models
 */
export type Delivery = internal.Delivery

/**
 * The default tolerance, in seconds, between the sender's clock and ours (Standard Webhooks: 5 minutes).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TOLERANCE_SECONDS: number = internal.DEFAULT_TOLERANCE_SECONDS

/**
 * How many `v1,` entries of one `webhook-signature` header are checked at most, bounding the work a
 * forged header can cause.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_SIGNATURES: number = internal.MAX_SIGNATURES

/**
 * Decodes and checks a secret: `whsec_` + base64 (with or without its `=` padding) gives the key bytes,
 * any other string its UTF-8 bytes. One final line break (what env files and `echo` add) is forgiven;
 * see `SecretError` for what is rejected. The error never shows the secret.
 *
 * @since 0.1.0
 * @category constructors
 */
export const key = (secret: string | Redacted.Redacted<string>): Either.Either<Key, SecretError> =>
  internal.parseSecret(typeof secret === "string" ? secret : Redacted.value(secret))

/**
 * The `v1,<base64>` signature of a delivery.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { WebhookSignature } from "effect-openai-webhooks"
 *
 * const key = Either.getOrThrow(WebhookSignature.key("whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="))
 * const header = WebhookSignature.sign(key, { id: "wh_123", timestamp: 1750861210, payload: "{}" })
 * // header starts with "v1,"
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (
  key: Key,
  delivery: { readonly id: string; readonly timestamp: number | string; readonly payload: string | Uint8Array }
): string => internal.sign(key, delivery.id, String(delivery.timestamp), delivery.payload)

/**
 * Verifies one delivery from its header values (undefined when a header is absent; an empty or blank
 * value counts as absent, as Standard Webhooks says). `now` is the current time in Unix seconds;
 * `tolerance` (seconds, edges accepted) defaults to {@link DEFAULT_TOLERANCE_SECONDS}. At most
 * {@link MAX_SIGNATURES} `v1` entries of `signature` are checked, each in constant time.
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (options: {
  readonly keys: ReadonlyArray<Key>
  readonly id: string | undefined
  readonly timestamp: string | undefined
  readonly signature: string | undefined
  readonly payload: string | Uint8Array
  readonly now: number
  readonly tolerance?: number | undefined
}): Either.Either<Delivery, SignatureError> =>
  internal.verify(
    options.keys,
    options.id,
    options.timestamp,
    options.signature,
    options.payload,
    options.now,
    options.tolerance ?? internal.DEFAULT_TOLERANCE_SECONDS
  )
