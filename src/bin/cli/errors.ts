/**
 * How an `openai-webhooks` command ends when it does not succeed, and the exit code each ending gives:
 * decided here and nowhere else. A command fails with one of these; `main` prints it and sets the code.
 *
 * | exit | when |
 * |---:|---|
 * | 0 | done |
 * | 1 | the command ran and the answer is no ({@link CheckFailed}: not verified, an answer that was not 2xx), or something it needed could not be reached ({@link Unreachable}: the receiver, a file) |
 * | 2 | a usage mistake ({@link UsageError}, or a flag @effect/cli rejected) |
 */
import * as Data from "effect/Data"

/** A missing, malformed or contradictory flag: one line, a hint, exit code 2. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
  readonly hint: string
}> {}

/** The command ran and its verdict is no; it has printed why. Exit code 1. */
export class CheckFailed extends Data.TaggedError("CheckFailed")<{
  readonly message: string
  readonly hint?: string | undefined
}> {}

/** Something outside the command could not be reached or read (the receiver, a file): exit code 1. */
export class Unreachable extends Data.TaggedError("Unreachable")<{
  readonly message: string
  readonly hint: string
}> {}

export type CliError = UsageError | CheckFailed | Unreachable

export const exitCode = (error: CliError): 1 | 2 => error._tag === "UsageError" ? 2 : 1
