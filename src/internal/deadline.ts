/**
 * The one handler-timeout mechanism, for every mounting style and the queued workers: the work runs in
 * a fiber of its own, and a plain timer interrupts it. Measured on the receiver: `Effect.timeout` (two
 * forked fibers, a race and an awaited interruption per delivery) cost a third of its throughput; one
 * timer per delivery costs next to nothing.
 *
 * @internal
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"

/** A handler ran past its timeout and was interrupted. */
export class HandlerTimeout extends Data.TaggedError("HandlerTimeout")<{ readonly after: Duration.Duration }> {
  override get message(): string {
    return `the handler did not finish within ${Duration.format(this.after)}: it was interrupted`
  }
}

/**
 * Watches a running fiber: after `after`, interrupts it and calls `onTimeout` instead of `onExit`; one
 * of the two is called, once. Returns what stops both (the fiber interrupted, the timer cleared), for
 * a caller that is itself interrupted.
 */
export const watch = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  after: Duration.Duration,
  onExit: (exit: Exit.Exit<A, E>) => void,
  onTimeout: () => void
): () => void => {
  let settled = false
  const timer = setTimeout(() => {
    settled = true
    onTimeout()
    fiber.unsafeInterruptAsFork(FiberId.none)
  }, Duration.toMillis(after))
  /** True for the first of the exit and the stop, which clears the timer. */
  const settle = (): boolean => {
    if (settled) return false
    settled = true
    clearTimeout(timer)
    return true
  }
  fiber.addObserver((exit) => {
    if (settle()) onExit(exit)
  })
  return () => {
    if (settle()) fiber.unsafeInterruptAsFork(FiberId.none)
  }
}

/**
 * {@link watch} as an Effect: `effect`, or `onTimeout` once `after` has passed (the effect interrupted;
 * its finalizers run). The child fiber inherits the context and fiber refs (span, log annotations)
 * through the runtime it is forked from; interrupting the caller interrupts it.
 */
export const within = <A, E, R, A2, E2>(
  effect: Effect.Effect<A, E, R>,
  after: Duration.Duration | undefined,
  onTimeout: (after: Duration.Duration) => Effect.Effect<A2, E2>
): Effect.Effect<A | A2, E | E2, R> =>
  after === undefined ? effect : Effect.flatMap(Effect.runtime<R>(), (runtime) =>
    Effect.async<A | A2, E | E2>((resume) => {
      const stop = watch(Runtime.runFork(runtime)(effect), after, resume, () => resume(onTimeout(after)))
      return Effect.sync(stop)
    }))
