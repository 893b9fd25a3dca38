/**
 * How every module checks the options it is given in code: one error, `WebhookError.IllegalArgumentException`,
 * naming the module and the option, from the Effect or Layer that was given them, when it is built.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { Options } from "openai-webhooks-engine"
import { IllegalArgumentException } from "../WebhookError.js"

/** The module whose options these are, the first word of every message. */
export type Module = Options.Module

/** `<Module>: <option>: <message>`. */
export const illegal = (
  module: Module,
  option: string,
  reason: IllegalArgumentException["reason"],
  message: string
): IllegalArgumentException =>
  new IllegalArgumentException({ reason, option, message: Options.message(module, option, message) })

/**
 * A `DurationInput` decoded, or `Malformed` where Effect cannot read it (`Duration.decode` throws on a string
 * such as `"5 minuets"`). `positive`: zero (and what Effect reads as zero: a negative number) is `OutOfRange`.
 */
export const duration = (
  module: Module,
  option: string,
  input: Duration.DurationInput,
  positive: boolean
): Either.Either<Duration.Duration, IllegalArgumentException> => {
  let decoded: Duration.Duration
  try {
    decoded = Duration.decode(input)
  } catch {
    return Either.left(illegal(module, option, "Malformed", Options.expectedDuration(input)))
  }
  if (positive && !Duration.greaterThan(decoded, Duration.zero)) {
    return Either.left(illegal(module, option, "OutOfRange", Options.expectedPositiveDuration(input)))
  }
  return Either.right(decoded)
}

/** A whole number of at least `min`, or `OutOfRange`. */
export const whole = (
  module: Module,
  option: string,
  value: number,
  min: number,
  unit: string
): Either.Either<number, IllegalArgumentException> =>
  Options.isWhole(value, min)
    ? Either.right(value)
    : Either.left(illegal(module, option, "OutOfRange", Options.expectedWhole(unit, min, value)))
