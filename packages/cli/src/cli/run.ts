/**
 * How an `openai-webhooks` command ends: its failures printed and mapped to exit codes (see `../cli.ts`), through
 * the ending both applications share (`../main.ts`). Loaded only by the commands that run an Effect.
 */
import * as Effect from "effect/Effect"
import { type Ending, explain, run } from "../main.js"
import type { Mistake } from "./args.js"
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

/** Runs a command's Effect to its end, and exits as `ending` says. */
export const command = (program: unknown): void => {
  if (!Effect.isEffect(program)) throw new TypeError("a command's run returned neither nothing nor an Effect")
  run(program as Effect.Effect<unknown, unknown>, ending)
}

/** Ends with a mistake in the command line, as any usage error ends: exit code 2, `error:` and `hint:`. */
export const usage = (mistake: Mistake): void => run(Effect.fail(new UsageError(mistake)), ending)
