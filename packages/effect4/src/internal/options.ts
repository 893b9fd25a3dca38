/**
 * How every module checks the options it is given in code: one error, `WebhookError.IllegalArgumentError`,
 * naming the module and the option, from the Effect or Layer that was given them, when it is built.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { Options } from "openai-webhooks-engine"
import { IllegalArgumentError } from "../WebhookError.js"

/** The module whose options these are, the first word of every message (the engine's words, as in Effect 3). */
export type Module = Options.Module

/** `<Module>: <option>: <message>`. */
export const illegal = (
  module: Module,
  option: string,
  reason: IllegalArgumentError["reason"],
  message: string
): IllegalArgumentError =>
  new IllegalArgumentError({ reason, option, message: Options.message(module, option, message) })

/**
 * A `Duration.Input` decoded, or `Malformed` where Effect cannot read it (`Duration.fromInput` is none for a string
 * such as `"5 minuets"`). `positive`: zero (and what Effect reads as zero or less) is `OutOfRange`.
 */
export const duration = (
  module: Module,
  option: string,
  input: Duration.Input,
  positive: boolean
): Result.Result<Duration.Duration, IllegalArgumentError> => {
  const decoded = Duration.fromInput(input)
  if (Option.isNone(decoded)) {
    return Result.fail(illegal(module, option, "Malformed", Options.expectedDuration(input)))
  }
  if (positive && !Duration.isGreaterThan(decoded.value, Duration.zero)) {
    return Result.fail(illegal(module, option, "OutOfRange", Options.expectedPositiveDuration(input)))
  }
  return Result.succeed(decoded.value)
}

/** A whole number of at least `min`, or `OutOfRange`. */
export const whole = (
  module: Module,
  option: string,
  value: number,
  min: number,
  unit: string
): Result.Result<number, IllegalArgumentError> =>
  Options.isWhole(value, min)
    ? Result.succeed(value)
    : Result.fail(illegal(module, option, "OutOfRange", Options.expectedWhole(unit, min, value)))
