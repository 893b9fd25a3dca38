/**
 * The inbox protocol, beside its store: how a delivery is claimed, waited for, taken over and settled
 * (inline), stored (queued), and processed by the workers. The HTTP core asks for an {@link Outcome}
 * and turns it into a reply and a line; nothing here knows about HTTP.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { UnwrapWebhookEvent } from "../../WebhookEvent.js"
import * as deadline from "../deadline.js"
import * as decode from "../decode.js"
import type { Delivery } from "../signature.js"
import { type Row, type Store, WebhookInbox } from "./store.js"

/**
 * Where a delivery is, for the line of one the edge times out: the handler running, the copy waiting on
 * another copy's claim, or a statement of the store in flight.
 */
export interface Progress {
  phase: "handler" | "held" | "store"
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

const PROCESSED: Outcome = { _tag: "Processed" }
const DUPLICATE: Outcome = { _tag: "Duplicate" }
const QUEUED: Outcome = { _tag: "Queued" }

const storeFailed = (cause: Cause.Cause<unknown>): Effect.Effect<Outcome> =>
  Effect.succeed({ _tag: "StoreFailed", cause })

const utf8 = new TextDecoder()

// Holding a claim or a lease.

/**
 * A holder renewing its claim or lease found that another holder had taken the delivery over (the lease
 * expired first: this process stalled, or its database did not answer, for longer than the lease).
 */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly token: number }> {
  override get message(): string {
    return `another holder took this delivery over (attempt ${this.token}'s lease had expired): its handler ` +
      `was interrupted, and its outcome is not recorded`
  }
}

const isLost = (cause: Cause.Cause<unknown>): boolean =>
  Option.exists(Cause.failureOption(cause), (error) => error instanceof LeaseLost)

/**
 * Renews the lease `token` holds every `store.heartbeat`, until it finds the token no longer holds it:
 * then fails with {@link LeaseLost}. A database error is logged and the renewal tried again at the next
 * beat: on its own it fails nothing (the lease, three beats by default, outlasts a short outage).
 */
const heartbeat = (store: Store, id: string, token: number): Effect.Effect<never, LeaseLost> =>
  store.renew(id, token).pipe(
    Effect.catchAllCause((cause) =>
      Effect.as(Effect.logWarning("inbox heartbeat: database error, trying again at the next beat", cause), true)
    ),
    Effect.delay(store.heartbeat),
    Effect.repeat({ while: (held) => held }),
    Effect.zipRight(Effect.fail(new LeaseLost({ token })))
  )

/**
 * Runs the handler while a heartbeat renews the claim or lease `token` holds, so that a lease much
 * shorter than the handler (and so a quick takeover after a crash) never cuts off a live one. Both run
 * in fibers of their own, and the heartbeat ends with the attempt, always.
 *
 * When the heartbeat finds the delivery taken over, the handler is interrupted (its finalizers run) and
 * this fails with {@link LeaseLost}: the delivery is another holder's now, and letting this handler run
 * on would do the same work twice at once. The caller must not settle the row then (the token no longer
 * holds it anyway). When the caller is interrupted (a timeout, a shutdown), the handler is interrupted
 * and has stopped before the caller's own finalizers (which give the claim back) run.
 */
const leased = <E, R>(
  store: Store,
  id: string,
  token: number,
  handler: Effect.Effect<void, E, R>
): Effect.Effect<void, E | LeaseLost, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.fork(restore(handler)), (work) => {
      let lost = false
      const beats = Effect.catchAll(heartbeat(store, id, token), () => {
        lost = true
        return Fiber.interrupt(work)
      })
      return Effect.flatMap(Effect.fork(restore(beats)), (beating) =>
        restore(Fiber.await(work)).pipe(
          Effect.onInterrupt(() => Fiber.interrupt(work)),
          Effect.ensuring(Fiber.interrupt(beating)),
          Effect.flatMap((exit): Effect.Effect<void, E | LeaseLost> =>
            lost ? Effect.fail(new LeaseLost({ token })) : Effect.zipRight(Fiber.inheritAll(work), exit)
          )
        ))
    })
  )

/** Queued mode: store the verified delivery; a worker runs the handler. */
const enqueue = (
  store: Store,
  delivery: Delivery,
  eventType: string,
  body: Uint8Array,
  progress: Progress
): Effect.Effect<Outcome> => {
  progress.phase = "store"
  return Effect.matchCauseEffect(store.enqueue(delivery.id, eventType, delivery.timestamp, utf8.decode(body)), {
    onSuccess: (queued) => Effect.succeed(queued ? QUEUED : DUPLICATE),
    onFailure: storeFailed
  })
}

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
  handled: Effect.Effect<void, E, R>,
  wait: Duration.Duration,
  progress: Progress
): Effect.Effect<Outcome, never, R> => {
  const run = (token: number) => {
    progress.phase = "handler"
    return Effect.matchCauseEffect(
      // An interrupted handler (a timeout at the edge, a shutdown) gives its claim back too.
      Effect.onInterrupt(
        leased(store, delivery.id, token, handled),
        () => Effect.ignore(store.release(delivery.id, token, "interrupted"))
      ),
      {
        onSuccess: () => {
          progress.phase = "store"
          return Effect.matchCauseEffect(store.complete(delivery.id, token), {
            onSuccess: () => Effect.succeed(PROCESSED),
            onFailure: storeFailed
          })
        },
        // Taken over: the claim is another copy's now, not ours to give back. Answered 500 all the same: the
        // other holder may yet fail, and a 200 here would stop OpenAI's retries.
        onFailure: (cause): Effect.Effect<Outcome> =>
          isLost(cause)
            ? Effect.succeed({ _tag: "Failed", cause })
            : Effect.as(
              Effect.ignore(store.release(delivery.id, token, Cause.pretty(cause))),
              { _tag: "Failed", cause } as const
            )
      }
    )
  }
  const held: Outcome = { _tag: "Held", waited: wait }
  const attempt = (until: number): Effect.Effect<Outcome, SqlError, R> =>
    Effect.flatMap(store.claim(delivery.id, eventType, delivery.timestamp), (token) => {
      if (Option.isSome(token)) return run(token.value)
      return Effect.flatMap(store.status(delivery.id), (status) => {
        if (Option.isSome(status) && (status.value === "done" || status.value === "dead")) {
          return Effect.succeed(DUPLICATE)
        }
        // Held by a live claim: another copy here, or another instance (perhaps one that died holding it).
        progress.phase = "held"
        return Effect.flatMap(
          Clock.currentTimeMillis,
          (now) => now >= until ? Effect.succeed(held) : Effect.zipRight(Effect.sleep(WAIT_POLL), attempt(until))
        )
      })
    })
  progress.phase = "store"
  return Effect.flatMap(
    Clock.currentTimeMillis,
    (now) => Effect.catchAllCause(attempt(now + Duration.toMillis(wait)), storeFailed)
  )
}

/**
 * One verified, decoded delivery through the inbox: stored (queued) or claimed and handled (inline).
 * `handled` is the user's handler, already suspended: in queued mode, or for a duplicate, it is not
 * even called. `wait` bounds how long a copy waits on another copy's claim; `progress` follows the
 * delivery through its phases.
 */
export const process = <E, R>(
  store: Store,
  delivery: Delivery,
  eventType: string,
  body: Uint8Array,
  handled: Effect.Effect<void, E, R>,
  wait: Duration.Duration,
  progress: Progress
): Effect.Effect<Outcome, never, R> =>
  store.mode === "queued"
    ? enqueue(store, delivery, eventType, body, progress)
    : inline(store, delivery, eventType, handled, wait, progress)

// Workers.

export interface WorkerSettings<E, R> {
  readonly handle: (event: UnwrapWebhookEvent, delivery: Delivery) => Effect.Effect<void, E, R>
  readonly concurrency: number
  readonly schedule: Schedule.Schedule<unknown, unknown>
  readonly pollInterval: Duration.DurationInput
  readonly timeout: Duration.Duration | undefined
}

/**
 * The delay before attempt `attempts + 1`, or none when the schedule has ended. `Schedule.run` also
 * returns the output of the step that ends the schedule, so one more input is run than attempts made:
 * the schedule allows another attempt only if that extra step is reached.
 */
const delayAfter = (schedule: Schedule.Schedule<unknown, unknown>, attempts: number, now: number) =>
  Effect.map(
    Schedule.run(Schedule.delays(schedule), now, Array.from({ length: attempts + 1 }, (_, i) => i)),
    (delays) => delays.length > attempts ? Option.fromNullable(Array.from(delays)[attempts - 1]) : Option.none()
  )

/**
 * Background processing of queued deliveries: `concurrency` workers take due deliveries (each under a
 * lease), run the handler, and mark them done, retry them later on the schedule, or keep them as dead.
 */
export const worker = <E, R>(
  settings: WorkerSettings<E, R>
): Effect.Effect<void, never, Scope.Scope | WebhookInbox | R> =>
  Effect.gen(function*() {
    const store = yield* WebhookInbox
    const { schedule, timeout } = settings

    const attempt = (row: Row) => {
      const event = decode.decode(row.body)
      const annotations = { webhook_id: row.webhookId, event_type: row.eventType ?? "unknown", attempt: row.attempts }
      if (Either.isLeft(event)) {
        return Effect.zipRight(
          store.dead(row.webhookId, row.attempts, event.left.message),
          Effect.logError("dead").pipe(
            Effect.annotateLogs({ ...annotations, error: event.left.message, body: row.body })
          )
        )
      }
      const delivery: Delivery = { id: row.webhookId, timestamp: row.webhookTimestamp }
      // Suspended: a handler that throws instead of failing is a defect of this attempt, retried on the
      // schedule and then dead like any other, never an escape from the loop (which would leave the row
      // processing, taken again every lease, forever).
      const handled = Effect.suspend(() => settings.handle(event.right, delivery))
      const bounded = deadline.within(handled, timeout, (after) => Effect.fail(new deadline.HandlerTimeout({ after })))
      return Effect.matchCauseEffect(leased(store, row.webhookId, row.attempts, bounded), {
        onSuccess: () => Effect.zipRight(store.complete(row.webhookId, row.attempts), Effect.logInfo("processed")),
        onFailure: (cause) =>
          // Taken over: another worker has the delivery now, and settles it; this one records nothing.
          isLost(cause) ? Effect.logWarning("taken over", cause) : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.flatMap(delayAfter(schedule, row.attempts, now), (delay) =>
              Option.match(delay, {
                onNone: () =>
                  Effect.zipRight(
                    store.dead(row.webhookId, row.attempts, Cause.pretty(cause)),
                    Effect.logError("dead", cause).pipe(Effect.annotateLogs("body", row.body))
                  ),
                onSome: (delay) =>
                  Effect.zipRight(
                    store.retry(row.webhookId, row.attempts, now + Duration.toMillis(delay), Cause.pretty(cause)),
                    Effect.logWarning("failed", cause).pipe(Effect.annotateLogs("retry_in", Duration.format(delay)))
                  )
              })))
      }).pipe(
        // Stopped mid-attempt (a shutdown): due again at once, rather than after the lease.
        Effect.onInterrupt(() =>
          Effect.ignore(Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => store.retry(row.webhookId, row.attempts, now, "interrupted")
          ))
        ),
        Effect.annotateLogs(annotations)
      )
    }

    const loop = store.take.pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.sleep(settings.pollInterval),
        onSome: attempt
      })),
      Effect.catchAllCause((cause) =>
        Effect.zipRight(
          Effect.logError("inbox worker: database error, trying again", cause),
          Effect.sleep(settings.pollInterval)
        )
      ),
      Effect.forever
    )
    for (let i = 0; i < settings.concurrency; i++) yield* Effect.forkScoped(loop)
  })
