/**
 * Group commit: many fibers' writes, one commit. A caller submits its write and waits; a single writer fiber takes
 * every write that is waiting (at most `max`; with `gather`, once the first is there and the event loop has
 * handled the I/O it had ready; never after a delay, so a write alone at low load goes at once), hands them
 * to `write` as one batch (one transaction, or one multi-row statement), and completes each caller with its own
 * result. While a batch is being written the next one gathers in the queue, so the batches grow with the load
 * and one commit (one fsync) serves them all.
 *
 * `write` answers each input on its own (an `Exit` per input, in order): one row that fails does not fail the
 * others. When `write` itself fails (the transaction did not commit), nothing of the batch happened: each input
 * is then written alone with `single`, and answered with its own outcome.
 *
 * A caller interrupted while its write waits in the queue withdraws it: the writer skips it. Once the writer has
 * taken it, it is written (as a statement already sent would be). Closing the scope lets the batch being written
 * finish and answer its callers, then interrupts the callers still waiting.
 *
 * Effect 4's `Queue.takeAll` waits while the queue is empty (Effect 3's answered an empty chunk), and
 * `Queue.takeBetween(queue, 0, n)` answers nothing even when messages wait: the writer takes the rest of a batch
 * with `Queue.takeUnsafe`, which never waits, and the finalizer drains with `Queue.clear`.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"

interface Pending<I, A> {
  readonly input: I
  readonly done: Deferred.Deferred<A, SqlError>
  withdrawn: boolean
}

export interface Options<I, A> {
  /**
   * Writes a batch (inputs in submission order) in one commit; an `Exit` per input, in the same order. Runs
   * uninterruptibly: a batch begun is finished.
   */
  readonly write: (inputs: ReadonlyArray<I>) => Effect.Effect<ReadonlyArray<Exit.Exit<A, SqlError>>, SqlError>
  /** Writes one input alone: the fallback when a whole batch failed. */
  readonly single: (input: I) => Effect.Effect<A, SqlError>
  /** The most inputs in one batch. */
  readonly max: number
  /** Told the size of every batch written (for metrics and tests). */
  readonly onBatch?: ((size: number) => void) | undefined
  /**
   * Run once a first write is waiting, before the batch is taken: {@link nextTurn} lets the requests that have
   * already arrived (read by the runtime, not yet parsed) reach the queue too.
   */
  readonly gather?: Effect.Effect<void> | undefined
}

/**
 * Resumes after the I/O the event loop has ready now has been handled (`setImmediate`: after the poll phase), not
 * after a delay: on a loaded server every request already read reaches the batch; on an idle one this costs one
 * turn of the loop.
 */
export const nextTurn: Effect.Effect<void> = typeof globalThis.setImmediate === "function"
  ? Effect.callback<void>((resume) => {
    const handle = globalThis.setImmediate(() => resume(Effect.void))
    return Effect.sync(() => globalThis.clearImmediate(handle))
  })
  : Effect.yieldNow

/** `submit`: writes `input` with whatever else is waiting, and answers with its own result. */
export interface Batcher<I, A> {
  readonly submit: (input: I) => Effect.Effect<A, SqlError>
  /** How many writes wait for the next batch. */
  readonly waiting: Effect.Effect<number>
}

/** Up to `max` of what waits in `queue` after `first`, without waiting. */
const drain = <A>(queue: Queue.Queue<A>, first: A, max: number): Array<A> => {
  const batch = [first]
  while (batch.length < max) {
    const next = Queue.takeUnsafe(queue)
    if (next === undefined || !Exit.isSuccess(next)) break
    batch.push(next.value)
  }
  return batch
}

export const make = <I, A>(options: Options<I, A>): Effect.Effect<Batcher<I, A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Pending<I, A>>()
    const { gather, max, onBatch, single, write } = options

    const settle = (batch: ReadonlyArray<Pending<I, A>>, exits: ReadonlyArray<Exit.Exit<A, SqlError>>) =>
      Effect.sync(() => {
        for (let i = 0; i < batch.length; i++) Deferred.doneUnsafe(batch[i]!.done, exits[i]!)
      })

    const alone = (batch: ReadonlyArray<Pending<I, A>>) =>
      Effect.flatMap(
        Effect.forEach(batch, (pending) => Effect.exit(single(pending.input))),
        (exits) => settle(batch, exits)
      )

    /** A batch written again one write at a time, said with its cause (at most once a minute: the engine's rule). */
    const warning = InboxSql.batchFellBackWarnings()
    const fellBack = (size: number, cause: Cause.Cause<SqlError>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const line = warning(size, now)
        return line === undefined ? Effect.void : Effect.logWarning(line, cause)
      })

    const written = (taken: ReadonlyArray<Pending<I, A>>) => {
      const batch = taken.filter((pending) => !pending.withdrawn)
      if (batch.length === 0) return Effect.void
      onBatch?.(batch.length)
      return Effect.matchCauseEffect(write(batch.map((pending) => pending.input)), {
        onSuccess: (exits) => settle(batch, exits),
        onFailure: (cause) => Effect.andThen(fellBack(batch.length, cause), alone(batch))
      })
    }
    // Only the wait for a first write is interruptible: once taken, a write is gathered with the others and
    // written (interrupting the writer there would leave its caller waiting forever).
    const round = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(Queue.take(queue)), (first) =>
        gather === undefined
          ? written(drain(queue, first, max))
          : Effect.andThen(gather, Effect.suspend(() => written(drain(queue, first, max)))))
    )

    // Scope closing: finalizers run last-added first, so the writer is stopped (its batch finished) before the
    // callers still waiting in the queue are interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Effect.orDie(Queue.clear(queue)), (left) =>
        Effect.sync(() => {
          for (const pending of left) Deferred.doneUnsafe(pending.done, Exit.interrupt())
        }))
    )
    yield* Effect.forkScoped(Effect.forever(round))

    return {
      waiting: Queue.size(queue),
      submit: (input) =>
        Effect.suspend(() => {
          const pending: Pending<I, A> = { input, done: Deferred.makeUnsafe(), withdrawn: false }
          Queue.offerUnsafe(queue, pending)
          return Effect.onInterrupt(Deferred.await(pending.done), () =>
            Effect.sync(() => {
              pending.withdrawn = true
            }))
        })
    }
  })
