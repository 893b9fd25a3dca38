/**
 * How the two applications (`npm start`, `openai-webhooks`) end, written once: each says what its own
 * failures print and which exit code each gives; everything else is a bug, printed in full with exit code 1;
 * an interruption (SIGINT, SIGTERM) is a clean stop, exit code 0.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

export interface Ending {
  /**
   * What `failure` prints on stderr ("" when the application has printed it already), or undefined when it is
   * not one of the application's own.
   */
  readonly render: (failure: unknown) => string | undefined
  /** The exit code of a failure that `render` knows. */
  readonly exitCode: (failure: unknown) => number
}

/** A failure a person can act on, as both applications print it: what went wrong, then what to do. */
export const explain = (failure: { readonly message: string; readonly hint: string }): string =>
  `error: ${failure.message}\nhint: ${failure.hint}\n`

/** The failures of `cause` (its `Fail` reasons), in order. */
const failures = <E>(cause: Cause.Cause<E>): ReadonlyArray<E> =>
  cause.reasons.filter(Cause.isFailReason).map((reason) => reason.error)

const known = (ending: Ending, cause: Cause.Cause<unknown>) =>
  Cause.hasDies(cause)
    ? Option.none()
    : Option.filter(Cause.findErrorOption(cause), (failure) => ending.render(failure) !== undefined)

/** What the end of a run prints on stderr. */
export const report = (ending: Ending, cause: Cause.Cause<unknown>): string => {
  if (Cause.hasInterruptsOnly(cause)) return ""
  return Option.match(known(ending, cause), {
    onNone: () => `${Cause.pretty(cause)}\n`,
    onSome: () => [...new Set(failures(cause).map((failure) => ending.render(failure) ?? ""))].join("")
  })
}

/** The exit code of a run. */
export const exitCode = <A, E>(ending: Ending, exit: Exit.Exit<A, E>): number =>
  Exit.match(exit, {
    onSuccess: () => 0,
    onFailure: (cause) =>
      Cause.hasInterruptsOnly(cause)
        ? 0
        : Option.match(known(ending, cause), { onNone: () => 1, onSome: ending.exitCode })
  })

/** Runs an application's main effect: its failures printed and mapped to an exit code as `ending` says. */
export const run = <A, E>(program: Effect.Effect<A, E>, ending: Ending): void =>
  NodeRuntime.runMain(
    Effect.tapCause(program, (cause) => Effect.sync(() => process.stderr.write(report(ending, cause)))),
    {
      disableErrorReporting: true,
      // Effect 4's Node runner exits by itself only after a signal or a non-zero code; a run that ends with 0
      // otherwise lets the event loop drain, as before.
      teardown: (exit, onExit) => onExit(exitCode(ending, exit))
    }
  )
