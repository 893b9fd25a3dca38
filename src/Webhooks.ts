/**
 * Verify and decode OpenAI webhook deliveries: the Effect API most users call.
 *
 * @example
 * ```ts
 * import { Effect, Match } from "effect"
 * import { Webhooks, WebhookEvent, WebhookSecret } from "effect-openai-webhooks"
 *
 * const handle = (body: string, headers: Headers) =>
 *   Webhooks.unwrap(body, headers).pipe(
 *     Effect.flatMap(
 *       Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
 *         Match.tag("response.completed", (event) => Effect.log(`response ${event.data.id} completed`)),
 *         Match.orElse((event) => Effect.log(`ignored ${event._tag}`))
 *       )
 *     ),
 *     Effect.provide(WebhookSecret.layerConfig())
 *   )
 * ```
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type Headers as EngineHeaders, Signature } from "openai-webhooks-engine"
import * as internalDecode from "./internal/decode.js"
import * as signature from "./internal/signature.js"
import { type DecodeError, SignatureError } from "./WebhookError.js"
import type { UnwrapWebhookEvent } from "./WebhookEvent.js"
import { WebhookSecret } from "./WebhookSecret.js"

/**
 * The request headers, in any of the shapes HTTP libraries give: fetch `Headers`, `@effect/platform`
 * `Headers`, or a plain record (Node's `IncomingHttpHeaders`, say). Names are matched case-insensitively.
 *
 * @since 0.1.0
 * @category models
 */
export type HeadersInput = EngineHeaders.HeadersInput

/**
 * What a verified delivery carries besides its event: the `webhook-id` (the same on every retry of
 * one event, hence the key to deduplicate on) and the `webhook-timestamp` in Unix seconds.
 *
 * @since 0.1.0
 * @category models
 */
export type Delivery = signature.Delivery

/**
 * Your handler of a verified, decoded delivery, as `WebhookHttp` (inline) and `WebhookInbox.layerWorker`
 * (queued) run it: typically a `Match.type<UnwrapWebhookEvent>()` pipeline. Its success means the event is
 * handled; its failure, defect or interruption means it is not (answered 500 inline, so that OpenAI
 * delivers it again; tried again on the worker's schedule when queued). It may be run more than once for
 * one event (a retry after a failure, a lease taken over): make its effects idempotent.
 *
 * @example
 * ```ts
 * import { Effect, Match } from "effect"
 * import type { WebhookEvent, Webhooks } from "effect-openai-webhooks"
 *
 * const handle: Webhooks.Handler = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
 *   Match.tag("response.completed", (event) => Effect.log(`response ${event.data.id} completed`)),
 *   Match.orElse(() => Effect.void)
 * )
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type Handler<E = never, R = never> = (event: UnwrapWebhookEvent, delivery: Delivery) => Effect.Effect<void, E, R>

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * How far the `webhook-timestamp` may be from this machine's clock, either way, edges included.
   * Default: 5 minutes (Standard Webhooks). Like every Effect `DurationInput`, a bare number means
   * milliseconds: write `"5 minutes"` or `Duration.seconds(300)`, not `300`.
   */
  readonly tolerance?: Duration.DurationInput | undefined
}

// `check` is Signature.verifyRequest where the runtime has node:crypto, signature.verifyRequestAsync (an Effect, by
// Web Crypto) where Signature.synchronous is false.
const verifyWith = <A>(
  check: (
    keys: WebhookSecret["Type"]["keys"],
    headers: HeadersInput,
    payload: string | Uint8Array,
    now: number,
    tolerance: number
  ) => A,
  secrets: WebhookSecret["Type"],
  nowMillis: number,
  payload: string | Uint8Array,
  headers: HeadersInput,
  options: Options | undefined
): A =>
  check(secrets.keys, headers, payload, Math.floor(nowMillis / 1000), signature.toleranceSeconds(options?.tolerance))

/**
 * Checks that a delivery was signed by OpenAI with a configured secret, within the timestamp
 * tolerance, over the exact bytes received. Nothing is parsed before the signature holds.
 *
 * Pass the raw body exactly as received: a string or the bytes. JSON that was parsed and serialised
 * again no longer matches its signature. Fails with a `SignatureError`: `MissingHeader` (a header absent
 * or empty), `InvalidTimestamp`, `TimestampTooOld` / `TimestampTooNew`, or `NoMatchingSignature`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Webhooks } from "effect-openai-webhooks"
 *
 * const delivery = (body: Uint8Array, headers: Headers) =>
 *   Webhooks.verify(body, headers).pipe(Effect.map(({ id, timestamp }) => `${id} sent at ${timestamp}`))
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (
  payload: string | Uint8Array,
  headers: HeadersInput,
  options?: Options
): Effect.Effect<Delivery, SignatureError, WebhookSecret> =>
  Effect.flatMap(
    WebhookSecret,
    (secrets) =>
      Effect.clockWith((clock): Effect.Effect<Delivery, SignatureError> => {
        const now = clock.unsafeCurrentTimeMillis()
        if (!Signature.synchronous) {
          return Effect.flatMap(
            verifyWith(signature.verifyRequestAsync, secrets, now, payload, headers, options),
            (verified) => verified.ok ? Either.right(verified.value) : Either.left(new SignatureError(verified.error))
          )
        }
        const verified = verifyWith(Signature.verifyRequest, secrets, now, payload, headers, options)
        return verified.ok ? Either.right(verified.value) : Either.left(new SignatureError(verified.error))
      })
  )

/**
 * Decodes a payload into its event, without checking its signature: use it on bodies you have
 * verified already (ones you stored, say). An unknown `type` gives an `UnknownWebhookEvent`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: string | Uint8Array): Effect.Effect<UnwrapWebhookEvent, DecodeError> =>
  Effect.suspend(() => internalDecode.decode(payload))

/**
 * Verifies a delivery, then decodes its event: `verify` followed by `decode`.
 *
 * @example
 * ```ts
 * import { Effect, Match } from "effect"
 * import { Webhooks, WebhookEvent } from "effect-openai-webhooks"
 *
 * const program = (body: string, headers: Record<string, string>) =>
 *   Webhooks.unwrap(body, headers).pipe(
 *     Effect.flatMap(
 *       Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
 *         Match.tagStartsWith("fine_tuning.job.", (event) => Effect.log(`job ${event.data.id}: ${event._tag}`)),
 *         Match.orElse(() => Effect.void)
 *       )
 *     )
 *   )
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const unwrap = (
  payload: string | Uint8Array,
  headers: HeadersInput,
  options?: Options
): Effect.Effect<UnwrapWebhookEvent, SignatureError | DecodeError, WebhookSecret> =>
  Effect.flatMap(
    WebhookSecret,
    (secrets) =>
      Effect.clockWith((clock): Effect.Effect<UnwrapWebhookEvent, SignatureError | DecodeError> => {
        const now = clock.unsafeCurrentTimeMillis()
        if (!Signature.synchronous) {
          return Effect.flatMap(
            verifyWith(signature.verifyRequestAsync, secrets, now, payload, headers, options),
            (verified): Effect.Effect<UnwrapWebhookEvent, SignatureError | DecodeError> =>
              verified.ok ? internalDecode.decode(payload) : Either.left(new SignatureError(verified.error))
          )
        }
        // The engine's result as it is: only a failure becomes an error object, and a success goes on to decode.
        const verified = verifyWith(Signature.verifyRequest, secrets, now, payload, headers, options)
        return verified.ok ? internalDecode.decode(payload) : Either.left(new SignatureError(verified.error))
      })
  )
