/**
 * How every module checks the options it is given in code: one error, `WebhookError.IllegalArgumentError`,
 * naming the module and the option, from the Effect or Layer that was given them, when it is built.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { IllegalArgumentError } from "../WebhookError.js"

/** The module whose options these are, the first word of every message. */
export type Module = "WebhookHttp" | "WebhookInbox" | "WebhookEndpoints" | "WebhookInspector"

/** `<Module>: <option>: <message>`. */
export const illegal = (
  module: Module,
  option: string,
  reason: IllegalArgumentError["reason"],
  message: string
): IllegalArgumentError => new IllegalArgumentError({ reason, option, message: `${module}: ${option}: ${message}` })

/** A value as a message shows it: what was given, not a reformatting of it (never a secret: no option here is one). */
const shown = (value: unknown): string => typeof value === "string" ? JSON.stringify(value) : String(value)

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
    const expected = `Expected a duration such as "10 seconds" or "1500 millis"; got ${shown(input)}`
    return Result.fail(illegal(module, option, "Malformed", expected))
  }
  if (positive && !Duration.isGreaterThan(decoded.value, Duration.zero)) {
    const expected = `Expected a duration longer than zero; got ${shown(input)}`
    return Result.fail(illegal(module, option, "OutOfRange", expected))
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
  Number.isSafeInteger(value) && value >= min
    ? Result.succeed(value)
    : Result.fail(
      illegal(module, option, "OutOfRange", `Expected a whole number of ${unit}, at least ${min}; got ${value}`)
    )
