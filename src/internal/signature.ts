/**
 * The engine's Standard Webhooks verification with Effect's types: a `Problem` becomes a `SignatureError` (same
 * reason, message and header), a `Duration` becomes the seconds the engine counts in.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type Result, type Secret, Signature } from "openai-webhooks-engine"
import { SignatureError } from "../WebhookError.js"

/** A decoded webhook key (the engine's). */
export type Key = Secret.Key

/** What a verified delivery carries besides its body (the engine's). */
export type Delivery = Signature.Delivery

/** A tolerance as seconds (edges accepted), from an Effect duration; the default when none is given. */
export const toleranceSeconds = (tolerance: Duration.DurationInput | undefined): number =>
  tolerance === undefined
    ? Signature.defaultToleranceSeconds
    : Math.floor(Duration.toSeconds(Duration.decode(tolerance)))

const toEither = <A>(result: Result.Result<A, Signature.Problem>): Either.Either<A, SignatureError> =>
  result.ok ? Either.right(result.value) : Either.left(new SignatureError(result.error))

/**
 * The one verification entry (`Signature.verifyRequest`): `Webhooks.verify`, every HTTP mounting style and the CLI's
 * verdict call it. `now` and `tolerance` are in seconds.
 */
export const verifyRequest = (
  ...args: Parameters<typeof Signature.verifyRequest>
): Either.Either<Delivery, SignatureError> => toEither(Signature.verifyRequest(...args))

/** `Signature.verify`: one delivery whose header values have been read. `now` and `tolerance` are in seconds. */
export const verify = (...args: Parameters<typeof Signature.verify>): Either.Either<Delivery, SignatureError> =>
  toEither(Signature.verify(...args))

/**
 * `Signature.verifyRequestAsync` as an Effect, for runtimes without `node:crypto` (`Signature.synchronous` is false):
 * the engine's verdict as it is, reached by Web Crypto. Callers branch on `Signature.synchronous` first, so that
 * Node's path stays a plain call with no promise and no closure.
 */
export const verifyRequestAsync = (
  ...args: Parameters<typeof Signature.verifyRequestAsync>
): Effect.Effect<Result.Result<Delivery, Signature.Problem>> =>
  Effect.promise(() => Signature.verifyRequestAsync(...args))
