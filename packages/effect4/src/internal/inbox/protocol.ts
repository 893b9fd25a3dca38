/**
 * The inbox protocol, beside its store: how a delivery is claimed, waited for, taken over and settled
 * (inline), stored (queued), and processed by the workers. The HTTP core asks for an {@link Outcome}
 * and turns it into a reply and a line; nothing here knows about HTTP.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Latch from "effect/Latch"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql, Reply, type Signature } from "openai-webhooks-engine"
import type { Handler } from "../../Webhooks.js"
import * as deadline from "../deadline.js"
import * as decode from "../decode.js"
import * as tracing from "../tracing.js"
import type { AttemptOutcome } from "./log.js"
import { type Holding, LeaseLost, type Row, type Store, WebhookInbox } from "./store.js"

type Delivery = Signature.Delivery

/**
 * Where a delivery is, reported as it goes to the edge that handed it over, for the line of one the edge times
 * out: the handler running, the copy waiting on another copy's claim, or a statement of the store in flight.
 * Written here only; nothing here reads it. The edge tells a delivery that it timed out by interrupting it as
 * {@link deadline.timeoutId}: the interrupted attempt is then recorded `timed_out`, not `interrupted`.
 */
export interface Progress {
  phase: Reply.Phase
}

/** What became of a delivery that reached the inbox. */
export type Outcome =
  | { readonly _tag: "Processed" }
  | { readonly _tag: "Duplicate" }
  | { readonly _tag: "Queued" }
  /** The handler failed, died or was interrupted; the claim is given back for OpenAI's retry. */
  | { readonly _tag: "Failed"; readonly cause: Cause.Cause<unknown> }
  /** Another copy's claim (here or in another instance) held for longer than this copy could wait. */
  | { readonly _tag: "Held"; readonly waited: Duration.Duration }
  | { readonly _tag: "StoreFailed"; readonly cause: Cause.Cause<unknown> }
  /** The store cannot key on its `webhook-id` (the engine's `InboxSql.idTooLong`): refused before any write. */
  | { readonly _tag: "Invalid"; readonly reason: string; readonly message: string }

const PROCESSED: Outcome = { _tag: "Processed" }
const DUPLICATE: Outcome = { _tag: "Duplicate" }
const QUEUED: Outcome = { _tag: "Queued" }

const storeFailed = (cause: Cause.Cause<unknown>): Effect.Effect<Outcome> =>
  Effect.succeed({ _tag: "StoreFailed", cause })

/**
 * `outcome`, an answer that stops OpenAI's retries (processed, duplicate, queued), once what the store committed
 * for it is on disk: never a 200 that a power loss could undo.
 */
const durably = (store: Store, outcome: Outcome): Effect.Effect<Outcome> =>
  Effect.matchCauseEffect(store.durable, { onSuccess: () => Effect.succeed(outcome), onFailure: storeFailed })

const utf8 = new TextDecoder()
const encoder = new TextEncoder()

/** The error an attempt the edge's timeout interrupted is recorded with. */
const timedOut = (after: Duration.Duration): string => new deadline.HandlerTimeout({ after }).message

/**
 * How an attempt that did not succeed ended, from its cause: `timed_out` when the worker's timer stopped
 * it, `interrupted` when it was interrupted otherwise, else `failed`.
 */
const outcomeOf = (cause: Cause.Cause<unknown>): Exclude<AttemptOutcome, "processed"> => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure) && failure.value instanceof deadline.HandlerTimeout) return "timed_out"
  return Cause.hasInterruptsOnly(cause) ? "interrupted" : "failed"
}

/** Queued mode: store the verified delivery; a worker runs the handler. */
const enqueue = (
  store: Store,
  delivery: Delivery,
  eventType: string,
  body: Uint8Array,
  progress: Progress
): Effect.Effect<Outcome> => {
  progress.phase = "store"
  // Kept with the row: the worker's attempts link their spans to this request's (see `tracing.ts`).
  return Effect.withFiber((fiber) =>
    Effect.matchCauseEffect(
      store.enqueue(
        delivery.id,
        eventType,
        delivery.timestamp,
        utf8.decode(body),
        tracing.traceparentOf(fiber.context)
      ),
      { onSuccess: (queued) => durably(store, queued ? QUEUED : DUPLICATE), onFailure: storeFailed }
    )
  )
}

/**
 * The claim or lease `token` holds on `id`, held while a handler runs: `during` has the store's heartbeat
 * renew it from the handler's start; `end` stops that, before the row is settled (so that a renewal after
 * the settling is not taken for a takeover), and says whether a renewal found it taken over meanwhile:
 * then the row is another holder's, not to be settled.
 */
const hold = (store: Store, id: string, token: number) => {
  let holding: Holding | undefined
  return {
    during: <A, E, R>(handler: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        holding = store.hold(id, token)
        return handler
      }),
    end: (): boolean => {
      if (holding === undefined) return false
      store.letGo(holding)
      return holding.lost
    }
  }
}

/**
 * Taken over while the handler ran: the claim is another copy's now, not ours to settle or give back.
 * Answered 500 all the same: the other holder may yet fail, and a 200 here would stop OpenAI's retries.
 */
const LOST: Effect.Effect<Outcome> = Effect.sync(() => ({ _tag: "Failed", cause: Cause.fail(new LeaseLost()) }))

/** How often a copy waiting for another copy's outcome looks at the inbox. */
const WAIT_POLL = Duration.millis(50)

/** How long a copy waits for another copy's outcome when the handler has no timeout. */
export const DEFAULT_WAIT = Duration.seconds(10)

/**
 * Inline mode: claim, run, mark done. A copy that finds the id claimed by a live copy waits for that
 * copy's outcome rather than answering 200 at once: if it answered 200 and the first copy then failed,
 * OpenAI would stop retrying and the event would be lost. While it waits it keeps trying to claim, so
 * it takes over as soon as the other copy fails or its lease expires.
 */
const inline = <E, R>(
  store: Store,
  delivery: Delivery,
  eventType: string,
  body: string,
  handled: Effect.Effect<void, E, R>,
  timeout: Duration.Duration | undefined,
  progress: Progress
): Effect.Effect<Outcome, never, R> => {
  const wait = timeout ?? DEFAULT_WAIT
  const run = (token: number) => {
    progress.phase = "handler"
    const holding = hold(store, delivery.id, token)
    return Effect.matchCauseEffect(
      Effect.onInterrupt(
        holding.during(handled),
        // An interrupted handler (a timeout at the edge, a shutdown) gives its claim back too, if it still holds it.
        (interruptors) => {
          if (holding.end()) return Effect.void
          return Effect.ignore(
            timeout !== undefined && deadline.isTimeout(interruptors)
              ? store.release(delivery.id, token, timedOut(timeout), "timed_out")
              : store.release(delivery.id, token, "interrupted", "interrupted")
          )
        }
      ),
      {
        onSuccess: () => {
          if (holding.end()) return LOST
          progress.phase = "store"
          return Effect.matchCauseEffect(store.complete(delivery.id, token), {
            onSuccess: (settled) => settled ? durably(store, PROCESSED) : LOST,
            onFailure: storeFailed
          })
        },
        onFailure: (cause) => {
          if (holding.end()) return LOST
          return Effect.as(
            Effect.ignore(store.release(delivery.id, token, Cause.pretty(cause), outcomeOf(cause))),
            { _tag: "Failed", cause } as const
          )
        }
      }
    )
  }
  const held: Outcome = { _tag: "Held", waited: wait }
  const attempt = (until: number): Effect.Effect<Outcome, SqlError, R> =>
    Effect.flatMap(store.claim(delivery.id, eventType, delivery.timestamp, body), (token) => {
      if (Option.isSome(token)) return run(token.value)
      return Effect.flatMap(store.status(delivery.id), (status) => {
        if (Option.isSome(status) && (status.value === "done" || status.value === "dead")) {
          // Durably: the copy that made it done may still be waiting for its own sync.
          return durably(store, DUPLICATE)
        }
        // Held by a live claim: another copy here, or another instance (perhaps one that died holding it).
        progress.phase = "held"
        return Effect.flatMap(
          Clock.currentTimeMillis,
          (now) => now >= until ? Effect.succeed(held) : Effect.andThen(Effect.sleep(WAIT_POLL), attempt(until))
        )
      })
    })
  progress.phase = "store"
  return Effect.flatMap(
    Clock.currentTimeMillis,
    (now) => Effect.catchCause(attempt(now + Duration.toMillis(wait)), storeFailed)
  )
}

/**
 * One verified, decoded delivery through the inbox: stored (queued) or claimed and handled (inline).
 * `handled` is the user's handler, already suspended: in queued mode, or for a duplicate, it is not
 * even called. `timeout` is the edge's (undefined without one): it bounds how long a copy waits on another
 * copy's claim (else {@link DEFAULT_WAIT}), and names the time of an attempt it interrupts. The delivery
 * reports its phases to `progress`. A `webhook-id` the store cannot key on is `Invalid`, and nothing is written.
 */
export const process = <E, R>(
  store: Store,
  delivery: Delivery,
  eventType: string,
  body: Uint8Array,
  handled: Effect.Effect<void, E, R>,
  timeout: Duration.Duration | undefined,
  progress: Progress
): Effect.Effect<Outcome, never, R> => {
  // Before any write, on every database: an id PostgreSQL cannot index would fail there at every retry.
  const tooLong = InboxSql.idTooLong(delivery.id)
  if (tooLong !== undefined) {
    return Effect.succeed({ _tag: "Invalid", reason: tooLong.reason, message: tooLong.message })
  }
  return store.mode === "queued"
    ? enqueue(store, delivery, eventType, body, progress)
    : inline(store, delivery, eventType, utf8.decode(body), handled, timeout, progress)
}

// Workers.

export interface WorkerSettings<E, R> {
  readonly handle: Handler<E, R>
  readonly concurrency: number
  readonly schedule: Schedule.Schedule<unknown, unknown>
  readonly pollInterval: Duration.Input
  readonly timeout: Duration.Duration | undefined
}

/**
 * The delay before attempt `attempts + 1`, or none when the schedule has ended: the schedule stepped once per
 * failed attempt (inputs 0, 1, ...), from `now`; the delay of the last step, if it allowed one more. (Effect 4 has
 * no `Schedule.run`; `Schedule.toStep` is the same stepping, one call an input.)
 */
const delayAfter = (schedule: Schedule.Schedule<unknown, unknown>, attempts: number, now: number) =>
  Effect.flatMap(Schedule.toStep(schedule), (step) =>
    Effect.gen(function*() {
      let delay: Duration.Duration | undefined
      for (let i = 0; i < attempts; i++) {
        const next = yield* Effect.exit(step(now, i))
        if (Exit.isFailure(next)) return Option.none<Duration.Duration>()
        delay = next.value[1]
      }
      return Option.fromNullishOr(delay)
    }))

/** What a worker logs when the database fails it: the delivery is tried again (taken again, or after its lease). */
const DATABASE_ERROR = "inbox worker: database error, trying again"

/**
 * Background processing of queued deliveries: up to `concurrency` attempts run at once, each under a lease.
 * One taker fills the free slots: it leases as many due deliveries as there are free slots in one statement
 * and starts an attempt of each, which runs the handler and marks the delivery done, retries it later on the
 * schedule, or keeps it as dead. After a take that filled every slot it takes again as soon as a slot frees
 * (more may be due); after one that found fewer, it looks again after `pollInterval`.
 */
export const worker = <E, R>(
  settings: WorkerSettings<E, R>
): Effect.Effect<void, never, Scope.Scope | WebhookInbox | R> =>
  Effect.gen(function*() {
    const store = yield* WebhookInbox
    const { schedule, timeout } = settings
    // The attempts' timeouts run on the workers' Clock, as their schedule and their polls do.
    const timer = yield* deadline.clockTimer

    // The words and fields of the edge's lines (the engine's Reply): an attempt that fails and will be retried
    // is `failed` at warning level; one the schedule gives up on, or that cannot be decoded, is `dead`.
    const F = Reply.fields
    const attempt = (row: Row) => {
      const event = decode.decode(row.body)
      const annotations = {
        [F.webhookId]: row.webhookId,
        [F.eventType]: row.eventType ?? "unknown",
        [F.attempt]: row.attempts
      }
      if (Result.isFailure(event)) {
        // As the edge's `invalid` line: the reason, the error and the body (shortened as there).
        const error = event.failure
        return Effect.andThen(
          store.dead(row.webhookId, row.attempts, error.message, "failed"),
          Effect.logError(Reply.attempts.dead).pipe(
            Effect.annotateLogs({
              ...annotations,
              [F.reason]: error.reason,
              [F.error]: error.message,
              [F.body]: Reply.loggedBody(encoder.encode(row.body))
            })
          )
        )
      }
      const delivery: Delivery = { id: row.webhookId, timestamp: row.webhookTimestamp }
      // Suspended: a handler that throws instead of failing is a defect of this attempt, retried on the
      // schedule and then dead like any other, never an escape from the loop (which would leave the row
      // processing, taken again every lease, forever).
      const handled = Effect.suspend(() => settings.handle(event.success, delivery))
      // The attempt's own span, the handler's spans under it, linked to the request that queued it.
      const bounded = tracing.span(
        deadline.within(handled, timeout, (after) => Effect.fail(new deadline.HandlerTimeout({ after })), timer),
        Reply.span.name,
        {
          kind: "consumer",
          root: true,
          links: tracing.linksTo(row.traceparent),
          attributes: {
            [Reply.span.id]: row.webhookId,
            [Reply.span.eventType]: decode.eventTypeOf(event.success),
            [Reply.span.attempt]: row.attempts
          }
        }
      )
      const holding = hold(store, row.webhookId, row.attempts)
      /**
       * Records the attempt's outcome with `settle` and logs `line`; or, taken over meanwhile, neither: the
       * delivery is another worker's. The heartbeat said so if it found out first; else the settling says so.
       */
      const settled = (settle: Effect.Effect<boolean, SqlError>, line: Effect.Effect<void>) =>
        holding.end() ? Effect.void : Effect.flatMap(
          settle,
          (done) =>
            done
              ? line
              : Effect.annotateLogs(Effect.logWarning(Reply.attempts.takenOver), F.error, new LeaseLost().message)
        )
      // Interruptible inside only: the attempt starts uninterruptible (forked so by the taker, see below), and
      // its row is given back on interruption from the first instruction on.
      return Effect.matchCauseEffect(
        holding.during(bounded),
        {
          onSuccess: () => settled(store.complete(row.webhookId, row.attempts), Effect.logInfo("processed")),
          onFailure: (cause) => {
            const outcome = outcomeOf(cause)
            return Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.flatMap(delayAfter(schedule, row.attempts, now), (delay) =>
                Option.match(delay, {
                  onNone: () =>
                    settled(
                      store.dead(row.webhookId, row.attempts, Cause.pretty(cause), outcome),
                      Effect.logError(Reply.attempts.dead, cause).pipe(
                        Effect.annotateLogs(F.body, Reply.loggedBody(encoder.encode(row.body)))
                      )
                    ),
                  onSome: (delay) =>
                    settled(
                      store.retry(
                        row.webhookId,
                        row.attempts,
                        now + Duration.toMillis(delay),
                        Cause.pretty(cause),
                        outcome
                      ),
                      Effect.logWarning("failed", cause).pipe(Effect.annotateLogs(F.retryIn, Duration.format(delay)))
                    )
                })))
          }
        }
      ).pipe(
        Effect.interruptible,
        // Stopped mid-attempt (a shutdown): due again at once, rather than after the lease.
        Effect.onInterrupt(() =>
          Effect.ignore(settled(
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              store.retry(row.webhookId, row.attempts, now, "interrupted", "interrupted")),
            Effect.void
          ))
        ),
        Effect.annotateLogs(annotations)
      )
    }

    const { concurrency } = settings
    // Attempts running; the taker waits on `freed` while they fill every slot, and each one ending opens it.
    let busy = 0
    const freed = yield* Latch.make(false)
    const slotFreed = Effect.suspend(() => {
      busy--
      return freed.open
    })
    const slotFree = Effect.suspend(() => {
      if (busy < concurrency) return Effect.void
      freed.closeUnsafe()
      return freed.await
    })
    // Closed with the layer's scope after the taker has stopped (finalizers run last first): it interrupts
    // every running attempt, which gives its row back, and waits for them.
    const running = yield* FiberSet.make<void, never>()
    // The taker runs untraced (an idle poll is no trace: its take was a root span, 4 a second per process); the
    // attempts it forks are traced as the layer was.
    const traced = yield* References.TracerEnabled
    const start = (row: Row) =>
      Effect.suspend(() => {
        busy++
        return FiberSet.run(
          running,
          attempt(row).pipe(
            Effect.withTracerEnabled(traced),
            // A settle the database failed: the row is taken again once its lease expires. (Uninterruptible
            // here, so an interruption reaches this too: it has said what it did already.)
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError(DATABASE_ERROR, cause)
            ),
            Effect.ensuring(slotFreed)
          )
        )
      })
    const lookAgain = Effect.sleep(settings.pollInterval)
    /** Rows taken that no attempt will run: pending again and due now, their attempt recorded `interrupted`. */
    const giveBack = (rows: ReadonlyArray<Row>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.forEach(
          rows,
          (row) => Effect.ignore(store.retry(row.webhookId, row.attempts, now, "interrupted", "interrupted")),
          { concurrency: "unbounded", discard: true }
        ))

    const takeDue = Effect.andThen(
      slotFree,
      // The take itself and the start of the rows it returns are uninterruptible: none is left processing,
      // unheld until its lease expires, by a shutdown. Interrupting the statement would not undo it: PostgreSQL
      // may have leased the rows (committed) before the cancel arrives, and the rows are then lost to this process
      // with its result. A shutdown waits for the one statement instead, and gives back what it took.
      Effect.uninterruptibleMask((restore) => {
        const free = concurrency - busy
        return Effect.matchCauseEffect(store.take(free), {
          onFailure: (cause) => restore(Effect.andThen(Effect.logError(DATABASE_ERROR, cause), lookAgain)),
          onSuccess: (rows) =>
            // Whether a shutdown interrupted the taker meanwhile: a step into the interruptible region fails then
            // (Effect 4 tells a fiber's pending interruption no other way), and what follows still runs.
            Effect.flatMap(Effect.exit(restore(Effect.void)), (stopping) =>
              Exit.isFailure(stopping)
                // Stopping: the rows go back, due now, without a handler started only to be cut short.
                ? giveBack(rows)
                : Effect.andThen(
                  Effect.forEach(rows, start, { discard: true }),
                  // Fewer due than free slots: nothing more is due now.
                  rows.length < free ? restore(lookAgain) : Effect.void
                ))
        })
      })
    )
    yield* Effect.forkScoped(Effect.withTracerEnabled(Effect.forever(takeDue), false))
  })
