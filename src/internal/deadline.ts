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
import { constVoid } from "effect/Function"
import * as HashSet from "effect/HashSet"
import * as Runtime from "effect/Runtime"

/** A handler ran past its timeout and was interrupted. */
export class HandlerTimeout extends Data.TaggedError("HandlerTimeout")<{ readonly after: Duration.Duration }> {
  override get message(): string {
    return `the handler did not finish within ${Duration.format(this.after)}: it was interrupted`
  }
}

/**
 * Who interrupts a fiber whose time ran out: no fiber's id (fibers count up from 0). What the fiber runs reads it
 * in its interruption's cause ({@link isTimeout}): that is how it learns it timed out (an inbox attempt is then
 * recorded `timed_out`, not `interrupted`), with nothing written anywhere for it to read back.
 */
export const timeoutId: FiberId.FiberId = FiberId.make(-1, 0)

/** Whether an interruption came from a timer of this module: `interruptors` as `Effect.onInterrupt` gives them. */
export const isTimeout = (interruptors: HashSet.HashSet<FiberId.FiberId>): boolean =>
  HashSet.has(interruptors, timeoutId)

/** Calls `task` once `after` has passed, unless the function it returns is called first. */
export type Timer = (after: Duration.Duration, task: () => void) => () => void

/**
 * A timer on the `Clock` of the fiber that makes it (the `TestClock` in tests): a sleeping fiber per run, where
 * that costs nothing next to the run (a queued worker's attempt, which writes rows before and after).
 */
export const clockTimer: Effect.Effect<Timer> = Effect.map(Effect.runtime<never>(), (runtime) => {
  const run = Runtime.runFork(runtime)
  return (after, task) => {
    const fiber = run(Effect.zipRight(Effect.sleep(after), Effect.sync(task)))
    return () => fiber.unsafeInterruptAsFork(FiberId.none)
  }
})

/**
 * Watches a running fiber: after `after` (on `timer`; without one, `setTimeout`), calls `onTimeout` instead of
 * `onExit` and then interrupts the fiber as {@link timeoutId}; one of the two is called, once. Returns what
 * stops both (the fiber interrupted, the timer cleared), for a caller that is itself interrupted.
 */
export const watch = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  after: Duration.Duration,
  onExit: (exit: Exit.Exit<A, E>) => void,
  onTimeout: () => void,
  timer?: Timer
): () => void => {
  // A fiber that ended while it was forked (a delivery whose handler does not wait: most, without an inbox) cannot
  // run late: no timer for it, where one set and cleared at once cost a timer list made and dropped per delivery.
  const ended = fiber.unsafePoll()
  if (ended !== null) {
    onExit(ended)
    return constVoid
  }
  let settled = false
  const fire = () => {
    settled = true
    onTimeout()
    fiber.unsafeInterruptAsFork(timeoutId)
  }
  // Without a timer given, a plain `setTimeout`, as every delivery at the edge has: nothing more allocated for it.
  const plain = timer === undefined ? setTimeout(fire, Duration.toMillis(after)) : undefined
  const clear = timer === undefined ? undefined : timer(after, fire)
  /** True for the first of the exit and the stop, which clears the timer. */
  const settle = (): boolean => {
    if (settled) return false
    settled = true
    if (clear === undefined) clearTimeout(plain)
    else clear()
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
 * {@link watch} as an Effect: `effect`, or `onTimeout` once `after` has passed on `timer` (the effect interrupted;
 * its finalizers run). The child fiber inherits the context and fiber refs (span, log annotations)
 * through the runtime it is forked from; interrupting the caller interrupts it. `onTimeout` is given the
 * child fiber, to read what it had got to (its log annotations).
 */
export const within = <A, E, R, A2, E2>(
  effect: Effect.Effect<A, E, R>,
  after: Duration.Duration | undefined,
  onTimeout: (after: Duration.Duration, fiber: Fiber.RuntimeFiber<A, E>) => Effect.Effect<A2, E2>,
  timer?: Timer
): Effect.Effect<A | A2, E | E2, R> =>
  after === undefined ? effect : Effect.flatMap(Effect.runtime<R>(), (runtime) =>
    Effect.async<A | A2, E | E2>((resume) => {
      const fiber = Runtime.runFork(runtime)(effect)
      const stop = watch(fiber, after, resume, () => resume(onTimeout(after, fiber)), timer)
      return Effect.sync(stop)
    }))
