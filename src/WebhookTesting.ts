/**
 * Helpers for your own tests: sign a delivery exactly as OpenAI would, and sample events of every type.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Webhooks, WebhookSecret, WebhookTesting } from "effect-openai-webhooks"
 *
 * const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
 * const program = Effect.gen(function*() {
 *   const signed = yield* WebhookTesting.sign({ event: WebhookTesting.sample("response.completed"), secret })
 *   return yield* Webhooks.unwrap(signed.body, signed.headers)
 * }).pipe(Effect.provide(WebhookSecret.layer(secret)))
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { Signature } from "openai-webhooks-engine"
import { decodeJson } from "./internal/decode.js"
import * as events from "./internal/events.js"
import * as secret from "./internal/secret.js"
import type { SecretError } from "./WebhookError.js"
import * as WebhookEvent from "./WebhookEvent.js"
import type { SecretInput } from "./WebhookSecret.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SignOptions {
  /** The event to send, encoded to OpenAI's JSON. Give this or `payload`. */
  readonly event?: WebhookEvent.UnwrapWebhookEvent | undefined
  /** A raw body, sent byte for byte. Give this or `event`. */
  readonly payload?: string | Uint8Array | undefined
  /** The secret to sign with; with several, the delivery carries one signature per secret. */
  readonly secret: SecretInput | ReadonlyArray<SecretInput>
  /** The `webhook-id`. Default: a random `msg_...`. */
  readonly id?: string | undefined
  /** The `webhook-timestamp`, as Unix seconds or a `Date`. Default: now, from Effect's `Clock`. */
  readonly timestamp?: number | Date | undefined
}

/**
 * The body type a signing gives: bytes for a `Uint8Array` payload, else text.
 *
 * @since 0.1.0
 * @category models
 */
export type BodyOf<O extends SignOptions> = O extends { readonly payload: Uint8Array } ? Uint8Array : string

/**
 * A signed delivery: the body and the headers to send it with (the engine's `Signature.Signed`).
 *
 * @since 0.1.0
 * @category models
 */
export type Signed<Body extends string | Uint8Array = string | Uint8Array> = Signature.Signed<Body>

const encodeEvent = Schema.encodeSync(WebhookEvent.UnwrapWebhookEvent)

/**
 * The JSON body OpenAI would send for an event.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (event: WebhookEvent.UnwrapWebhookEvent): string => JSON.stringify(encodeEvent(event))

// The signing itself is the engine's (`Signature.signDelivery`): the id, the timestamp, one signature per key.
const signWith = (options: SignOptions, now: number): Effect.Effect<Signed, SecretError> =>
  Effect.flatMap(secret.make(options.secret), (secrets) => {
    const delivery: Signature.Delivered = {
      keys: secrets.keys,
      body: options.payload ?? (options.event === undefined ? "{}" : encode(options.event)),
      id: options.id,
      timestamp: options.timestamp,
      now
    }
    // Synchronous on node:crypto; on an edge runtime, by Web Crypto.
    return Signature.synchronous
      ? Effect.succeed(Signature.signDelivery(delivery))
      : Effect.promise(() => Signature.signDeliveryAsync(delivery))
  })

/**
 * Signs a delivery as OpenAI would. The timestamp defaults to the `Clock`, so under `TestClock` it is
 * the test's time.
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = <const O extends SignOptions>(options: O): Effect.Effect<Signed<BodyOf<O>>, SecretError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => signWith(options, now)) as Effect.Effect<Signed<BodyOf<O>>, SecretError>

/**
 * {@link sign} without Effect, for plain test code: the timestamp defaults to `Date.now()`, and a bad
 * secret throws its `SecretError`.
 *
 * @since 0.1.0
 * @category signing
 */
export const unsafeSign = <const O extends SignOptions>(options: O): Signed<BodyOf<O>> =>
  Either.getOrThrowWith(Effect.runSync(Effect.either(signWith(options, Date.now()))), (error) => error) as Signed<
    BodyOf<O>
  >

/**
 * The event of type `T` as in OpenAI's reference examples (`id` `"evt_abc123"`, `created_at` 1719168000), from the
 * engine's event catalogue (`Events`), where the event list is written.
 *
 * @example
 * ```ts
 * import { WebhookTesting } from "effect-openai-webhooks"
 *
 * const call = WebhookTesting.sample("realtime.call.incoming")
 * // call.data.callId === "rtc_u0_479a275623b54bdb9b6fbae2f7cbd408"
 * ```
 *
 * @since 0.1.0
 * @category samples
 */
export const sample = <T extends WebhookEvent.EventType>(
  type: T
): Extract<WebhookEvent.UnwrapWebhookEvent, { readonly _tag: T }> =>
  Either.getOrThrow(decodeJson(events.sampleOf(type))) as any

/**
 * One sample event of every known type, in the order of `WebhookEvent.EventType`.
 *
 * @since 0.1.0
 * @category samples
 */
export const samples = (): ReadonlyArray<WebhookEvent.UnwrapWebhookEvent> =>
  WebhookEvent.EventType.literals.map((type) => sample(type))
