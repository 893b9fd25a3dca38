/**
 * How an `openai-webhooks` command ends when it does not succeed, and the exit code each ending gives:
 * decided here and nowhere else. A command fails with one of these; `main` prints it and sets the code.
 *
 * | exit | when |
 * |---:|---|
 * | 0 | done |
 * | 1 | the command ran and the answer is no ({@link CheckFailed}: not verified, an answer that was not 2xx; {@link Refused}: no delivery has that id, it is not a dead letter), or something it needed could not be reached ({@link Unreachable}: the receiver, a file, the database) |
 * | 2 | a usage mistake ({@link UsageError}, or a command line effect/cli cannot read: `./mistakes.ts`) |
 */
import * as Data from "effect/Data"
import * as ReceiverError from "../receiver/errors.js"

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

/**
 * The command ran but cannot do what was asked, and says why in one line and a hint: no delivery has that id,
 * a delivery that is not a dead letter cannot be discarded. Exit code 1.
 */
export class Refused extends Data.TaggedError("Refused")<{
  readonly message: string
  readonly hint: string
}> {}

export type CliError = UsageError | CheckFailed | Unreachable | Refused

export const exitCode = (error: CliError): 1 | 2 => error._tag === "UsageError" ? 2 : 1

/**
 * A receiver's failure to start (its database: a `DATABASE_URL` it cannot use, a missing driver, a server that
 * does not answer) as the CLI's: what the user must change is a {@link UsageError}, what failed around it is
 * {@link Unreachable}, as the receiver's own exit codes say.
 */
export const fromReceiver = (error: ReceiverError.ReceiverError): UsageError | Unreachable =>
  ReceiverError.exitCode(error) === 2
    ? new UsageError({ message: error.message, hint: error.hint })
    : new Unreachable({ message: error.message, hint: error.hint })
