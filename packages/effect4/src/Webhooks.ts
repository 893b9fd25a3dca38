/**
 * Verify and decode OpenAI webhook deliveries: the Effect API most users call.
 *
 * @example
 * ```ts
 * import { Effect, Match } from "effect"
 * import { Webhooks, WebhookEvent, WebhookSecret } from "effect4-openai-webhooks"
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
 * @since 0.4.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type Headers as EngineHeaders, Signature } from "openai-webhooks-engine"
import * as internalDecode from "./internal/decode.js"
import * as signature from "./internal/signature.js"
import { DecodeError, SignatureError } from "./WebhookError.js"
import type { UnwrapWebhookEvent } from "./WebhookEvent.js"
import { WebhookSecret } from "./WebhookSecret.js"

/**
 * The request headers, in any of the shapes HTTP libraries give: fetch `Headers`, `effect/http`
 * `Headers`, or a plain record (Node's `IncomingHttpHeaders`, say). Names are matched case-insensitively.
 *
 * @since 0.4.0
 * @category models
 */
export type HeadersInput = EngineHeaders.HeadersInput

/**
 * What a verified delivery carries besides its event: the `webhook-id` (the same on every retry of
 * one event, hence the key to deduplicate on) and the `webhook-timestamp` in Unix seconds.
 *
 * @since 0.4.0
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
 * import type { WebhookEvent, Webhooks } from "effect4-openai-webhooks"
 *
 * const handle: Webhooks.Handler = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
 *   Match.tag("response.completed", (event) => Effect.log(`response ${event.data.id} completed`)),
 *   Match.orElse(() => Effect.void)
 * )
 * ```
 *
 * @since 0.4.0
 * @category models
 */
export type Handler<E = never, R = never> = (event: UnwrapWebhookEvent, delivery: Delivery) => Effect.Effect<void, E, R>

/**
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /**
   * How far the `webhook-timestamp` may be from this machine's clock, either way, edges included.
   * Default: 5 minutes (Standard Webhooks). Like every Effect `Duration.Input`, a bare number means
   * milliseconds: write `"5 minutes"` or `Duration.seconds(300)`, not `300`.
   */
  readonly tolerance?: Duration.Input | undefined
}

/**
 * The engine's verification of one delivery, given the fiber it runs on: its `WebhookSecret` and its `Clock`, read
 * off the fiber (no service lookup effect, no clock effect). On `node:crypto` a plain call
 * (`Signature.verifyRequest`); where `Signature.synchronous` is false, Web Crypto (`verifyRequestAsync`).
 */
const verifyOn = <A, E>(
  payload: string | Uint8Array,
  headers: HeadersInput,
  options: Options | undefined,
  then: (delivery: Delivery) => Effect.Effect<A, E>
): Effect.Effect<A, E | SignatureError, WebhookSecret> =>
  Effect.withFiber<A, E | SignatureError>((fiber) => {
    const secrets = Context.getUnsafe(fiber.context as Context.Context<WebhookSecret>, WebhookSecret)
    const now = Math.floor(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe() / 1000)
    const tolerance = signature.toleranceSeconds(options?.tolerance)
    if (!Signature.synchronous) {
      return Effect.flatMap(
        signature.verifyRequestAsync(secrets.keys, headers, payload, now, tolerance),
        (verified): Effect.Effect<A, E | SignatureError> =>
          verified.ok ? then(verified.value) : Effect.fail(new SignatureError(verified.error))
      )
    }
    // The engine's result as it is: only a failure becomes an error object.
    const verified = Signature.verifyRequest(secrets.keys, headers, payload, now, tolerance)
    return verified.ok ? then(verified.value) : Effect.fail(new SignatureError(verified.error))
  })

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
 * import { Webhooks } from "effect4-openai-webhooks"
 *
 * const delivery = (body: Uint8Array, headers: Headers) =>
 *   Webhooks.verify(body, headers).pipe(Effect.map(({ id, timestamp }) => `${id} sent at ${timestamp}`))
 * ```
 *
 * @since 0.4.0
 * @category verification
 */
export const verify = (
  payload: string | Uint8Array,
  headers: HeadersInput,
  options?: Options
): Effect.Effect<Delivery, SignatureError, WebhookSecret> => verifyOn(payload, headers, options, Effect.succeed)

const decodeEffect = (payload: string | Uint8Array): Effect.Effect<UnwrapWebhookEvent, DecodeError> => {
  const event = internalDecode.decodeOrError(payload)
  return event instanceof DecodeError ? Effect.fail(event) : Effect.succeed(event)
}

/**
 * Decodes a payload into its event, without checking its signature: use it on bodies you have
 * verified already (ones you stored, say). An unknown `type` gives an `UnknownWebhookEvent`. Fails with a
 * `DecodeError`: `InvalidJson`, or `InvalidEvent` with the first failing wire `path` (`data.call_id`).
 *
 * @since 0.4.0
 * @category decoding
 */
export const decode = (payload: string | Uint8Array): Effect.Effect<UnwrapWebhookEvent, DecodeError> =>
  Effect.suspend(() => decodeEffect(payload))

/**
 * Verifies a delivery, then decodes its event: `verify` followed by `decode`.
 *
 * @example
 * ```ts
 * import { Effect, Match } from "effect"
 * import { Webhooks, WebhookEvent } from "effect4-openai-webhooks"
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
 * @since 0.4.0
 * @category verification
 */
export const unwrap = (
  payload: string | Uint8Array,
  headers: HeadersInput,
  options?: Options
): Effect.Effect<UnwrapWebhookEvent, SignatureError | DecodeError, WebhookSecret> =>
  verifyOn(payload, headers, options, () => decodeEffect(payload))
