/**
 * How an `openai-webhooks` command ends: its failures printed and mapped to exit codes (see `../cli.ts`), through
 * the ending both applications share (`../main.ts`).
 */
import * as Effect from "effect/Effect"
import { type Ending, explain, run } from "../main.js"
import { CheckFailed, type CliError, exitCode, Refused, Unreachable, UsageError } from "./errors.js"

const isCliError = (u: unknown): u is CliError =>
  u instanceof UsageError || u instanceof Unreachable || u instanceof Refused || u instanceof CheckFailed

/** How a command ends: see the list in `../cli.ts`. */
const ending: Ending = {
  render: (failure) =>
    failure instanceof UsageError || failure instanceof Unreachable || failure instanceof Refused
      ? explain(failure)
      : isCliError(failure)
      ? ""
      : undefined,
  exitCode: (failure) => isCliError(failure) ? exitCode(failure) : 1
}

/** Runs a command line's Effect to its end, and exits as `ending` says. */
export const command = <A, E>(program: Effect.Effect<A, E>): void => run(program, ending)
