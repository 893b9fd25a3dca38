/**
 * The engine's Standard Webhooks verification with Effect's types: a `Problem` becomes a `SignatureError` (same
 * reason, message and header), a `Duration` becomes the seconds the engine counts in.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { type Result as EngineResult, type Secret, Signature } from "openai-webhooks-engine"
import { SignatureError } from "../WebhookError.js"

/** A decoded webhook key (the engine's). */
export type Key = Secret.Key

/** What a verified delivery carries besides its body (the engine's). */
export type Delivery = Signature.Delivery

/** A tolerance as seconds (edges accepted), from an Effect duration; the default when none is given. */
export const toleranceSeconds = (tolerance: Duration.Input | undefined): number =>
  tolerance === undefined
    ? Signature.defaultToleranceSeconds
    : Math.floor(Duration.toSeconds(Duration.fromInputUnsafe(tolerance)))

/** The engine's verdict as Effect's `Result`, a failure as the edition's error. */
export const toResult = <A>(result: EngineResult.Result<A, Signature.Problem>): Result.Result<A, SignatureError> =>
  result.ok ? Result.succeed(result.value) : Result.fail(new SignatureError(result.error))

/** The engine's verdict as an Effect: no `Result` in between on the hot path. */
export const toEffect = <A>(result: EngineResult.Result<A, Signature.Problem>): Effect.Effect<A, SignatureError> =>
  result.ok ? Effect.succeed(result.value) : Effect.fail(new SignatureError(result.error))

/**
 * `Signature.verifyRequestAsync` as an Effect, for runtimes without `node:crypto` (`Signature.synchronous` is false):
 * the engine's verdict as it is, reached by Web Crypto. Callers branch on `Signature.synchronous` first, so that
 * Node's path stays a plain call with no promise and no closure.
 */
export const verifyRequestAsync = (
  ...args: Parameters<typeof Signature.verifyRequestAsync>
): Effect.Effect<EngineResult.Result<Delivery, Signature.Problem>> =>
  Effect.promise(() => Signature.verifyRequestAsync(...args))
