/**
 * Standard Webhooks v1 signatures over bytes, as OpenAI applies them. Pure functions with no Effect
 * services: `Webhooks.verify` builds on them; use them directly to sign in tests or tools. The signing and the
 * verification are the engine's (`Signature` of `openai-webhooks-engine`); this module gives them Effect's types.
 *
 * Signed content: `${webhook-id}.${webhook-timestamp}.` followed by the raw body bytes. MAC:
 * HMAC-SHA256 keyed by the secret (`whsec_` + base64, padding optional -> its bytes; any other string ->
 * its UTF-8 bytes). Header: `v1,<base64 MAC>`, several separated by spaces; an entry that an intermediary
 * folded at its comma (`v1, <mac>`, or the list `["v1", "<mac>"]`) is read as one, as OpenAI's SDK reads it.
 *
 * As in the Effect 3 edition, `verify` reads a bare number `tolerance` as seconds through a deprecated signature, so
 * that a call carried over keeps its meaning (everywhere else in Effect 4 a bare number is milliseconds).
 *
 * @since 0.4.0
 */
import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import type * as Result from "effect/Result"
import { Signature } from "openai-webhooks-engine"
import { parseSecret } from "./internal/secret.js"
import * as internal from "./internal/signature.js"
import type { SecretError, SignatureError } from "./WebhookError.js"

/**
 * A decoded signing key. Opaque: prints as `<redacted>`.
 *
 * @since 0.4.0
 * @category models
 */
export type Key = internal.Key

/**
 * What a verified delivery carries: its `webhook-id` and `webhook-timestamp` (Unix seconds).
 *
 * @since 0.4.0
 * @category models
 */
export type Delivery = internal.Delivery

/**
 * The default tolerance between the sender's clock and ours: 5 minutes (Standard Webhooks), edges accepted.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultTolerance: Duration.Duration = Duration.seconds(Signature.defaultToleranceSeconds)

/**
 * The default tolerance, in seconds (300).
 *
 * @deprecated Use {@link defaultTolerance}, a `Duration` like every other tolerance of this library
 * (`Duration.toSeconds(WebhookSignature.defaultTolerance)` is this number). Kept so that code moving from the Effect 3
 * edition compiles unchanged; removed with it.
 * @since 0.4.0
 * @category constants
 */
export const DEFAULT_TOLERANCE_SECONDS: number = Signature.defaultToleranceSeconds

/**
 * How many `v1` entries of one `webhook-signature` header are checked at most (16), bounding the work a
 * forged header can cause.
 *
 * @since 0.4.0
 * @category constants
 */
export const maxSignatures: number = Signature.maxSignatures

/**
 * How many `v1` entries of one `webhook-signature` header are checked at most.
 *
 * @deprecated Use {@link maxSignatures}, the same number. Kept so that code moving from the Effect 3 edition compiles
 * unchanged; removed with it.
 * @since 0.4.0
 * @category constants
 */
export const MAX_SIGNATURES: number = Signature.maxSignatures

/**
 * Decodes and checks a secret: `whsec_` + base64 (with or without its `=` padding) gives the key bytes,
 * any other string its UTF-8 bytes. One final line break (what env files and `echo` add) is forgiven;
 * see `SecretError` for what is rejected. The error never shows the secret.
 *
 * @since 0.4.0
 * @category constructors
 */
export const key = (secret: string | Redacted.Redacted<string>): Result.Result<Key, SecretError> =>
  parseSecret(typeof secret === "string" ? secret : Redacted.value(secret))

/**
 * The `v1,<base64>` signature of a delivery.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { WebhookSignature } from "effect4-openai-webhooks"
 *
 * const key = Result.getOrThrow(WebhookSignature.key("whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="))
 * const header = WebhookSignature.sign(key, { id: "wh_123", timestamp: 1750861210, payload: "{}" })
 * // header starts with "v1,"
 * ```
 *
 * @since 0.4.0
 * @category signing
 */
export const sign = (
  key: Key,
  delivery: { readonly id: string; readonly timestamp: number | string; readonly payload: string | Uint8Array }
): string => Signature.sign(key, delivery.id, String(delivery.timestamp), delivery.payload)

/**
 * What {@link verify} checks: one delivery's header values, its body, the keys and the time.
 *
 * @since 0.4.0
 * @category models
 */
export interface VerifyOptions {
  readonly keys: ReadonlyArray<Key>
  /** The `webhook-id` header; undefined when absent (an empty or blank value counts as absent). */
  readonly id: string | undefined
  /** The `webhook-timestamp` header; undefined when absent. */
  readonly timestamp: string | undefined
  /** The `webhook-signature` header; undefined when absent. */
  readonly signature: string | undefined
  /** The raw body exactly as received. */
  readonly payload: string | Uint8Array
  /** The current time, in Unix seconds. */
  readonly now: number
  /**
   * How far the `webhook-timestamp` may be from `now`, either way, edges included, as a `Duration`:
   * `"10 minutes"`, `Duration.seconds(600)`. Default: {@link defaultTolerance} (5 minutes). Fractions of a
   * second are dropped, as in `Webhooks.Options`.
   *
   * A bare number is not a `Duration` here: the deprecated signature of {@link verify} reads it as seconds, as the
   * Effect 3 edition does, so that no call carried over changes meaning. Pass `Duration.fromInputUnsafe(input)` for a
   * value typed `Duration.Input`.
   */
  readonly tolerance?: Exclude<Duration.Input, number> | undefined
}

/**
 * Verifies one delivery from its header values (undefined when a header is absent; an empty or blank
 * value counts as absent, as Standard Webhooks says). `now` is the current time in Unix seconds;
 * `tolerance` (a `Duration`, edges accepted) defaults to {@link defaultTolerance}. At most
 * {@link maxSignatures} `v1` entries of `signature` are checked, each in constant time.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { WebhookSignature } from "effect4-openai-webhooks"
 *
 * const keys = [Result.getOrThrow(WebhookSignature.key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))]
 * const verified = WebhookSignature.verify({
 *   keys,
 *   id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
 *   timestamp: "1614265330",
 *   signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
 *   payload: "{\"test\": 2432232314}",
 *   now: Math.floor(Date.now() / 1000),
 *   tolerance: "10 minutes"
 * })
 * // Result.fail(SignatureError { reason: "TimestampTooOld", ... }): that delivery was signed in 2021
 * ```
 *
 * @since 0.4.0
 * @category verification
 */
export function verify(options: VerifyOptions): Result.Result<Delivery, SignatureError>
/**
 * Verifies one delivery, reading a bare number `tolerance` as seconds, as the Effect 3 edition's deprecated signature
 * does (there since before its 0.3.0).
 *
 * @deprecated Give `tolerance` as a `Duration` (`"30 seconds"`, `Duration.seconds(30)`), as everywhere else in
 * this library: a bare number is read as seconds here only so that calls carried over from the Effect 3 edition keep
 * their meaning; removed with that edition's.
 * @since 0.4.0
 * @category verification
 */
export function verify(
  options: Omit<VerifyOptions, "tolerance"> & {
    /** Seconds, edges included (not milliseconds, unlike a `Duration.Input`). */
    readonly tolerance?: number | undefined
  }
): Result.Result<Delivery, SignatureError>
export function verify(
  options: Omit<VerifyOptions, "tolerance"> & { readonly tolerance?: VerifyOptions["tolerance"] | number }
): Result.Result<Delivery, SignatureError> {
  const tolerance = options.tolerance
  return internal.toResult(
    Signature.verify(
      options.keys,
      options.id,
      options.timestamp,
      options.signature,
      options.payload,
      options.now,
      typeof tolerance === "number" ? tolerance : internal.toleranceSeconds(tolerance)
    )
  )
}
