/**
 * The lease heartbeat: the claims (inline) and leases (queued) this process holds while their handlers run, and
 * the one fiber that renews them all every `heartbeat`, so that a lease can be short (a crashed process's
 * deliveries are taken over soon) without cutting off a slow handler. It sleeps while nothing is held: a delivery
 * costs no fiber of its own.
 *
 * @internal
 */
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import type { SqlError } from "effect/sql/SqlError"
import { InboxSql } from "openai-webhooks-engine"

/**
 * A claim (inline) or a worker's lease (queued) this process holds while the handler runs. The heartbeat renews
 * it, and sets `lost` when a renewal finds that another holder has taken the delivery over: the holder must then
 * not settle the row.
 */
export interface Holding {
  readonly id: string
  readonly token: number
  lost: boolean
}

export interface Holdings {
  /** What this process holds right now. */
  readonly holding: ReadonlySet<Holding>
  /** Renews the claim or lease `token` holds on `id` at every beat, from now until {@link letGo}. */
  readonly hold: (id: string, token: number) => Holding
  /** Stops renewing `holding`. */
  readonly letGo: (holding: Holding) => void
  /** The heartbeat, for the layer to run: every `heartbeat` while something is held, renews all of it. */
  readonly beat: Effect.Effect<never>
}

/**
 * The outcome of an attempt whose claim or lease was taken over while its handler ran: not recorded, the
 * row is the new holder's. The handler was not interrupted: it ran to its end (handlers run at least
 * once anyway, and one cut off midway could leave its own work half done).
 */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{}> {
  constructor() {
    super()
    // Where the takeover was noticed tells nothing the message does not: no stack in the log line.
    this.stack = `LeaseLost: ${this.message}`
  }

  override get message(): string {
    return InboxSql.leaseLost.notRecorded
  }
}

/** The holdings, renewed with `renew` (false: the token no longer holds the delivery) every `heartbeat`. */
export const make = (
  heartbeat: Duration.Duration,
  renew: (id: string, token: number) => Effect.Effect<boolean, SqlError>
): Holdings => {
  const holding = new Set<Holding>()
  // Open while something is held: the heartbeat sleeps on it otherwise, so an idle store never wakes.
  const busy = Latch.makeUnsafe(false)
  const letGo = (held: Holding) => {
    holding.delete(held)
  }

  /**
   * One beat: renews every claim and lease held at this moment, one statement each. A renewal that finds the
   * delivery taken over marks its holding lost and says so; a database error is logged and the renewal tried
   * again at the next beat (the lease, three beats by default, outlasts a short outage).
   */
  const renewAll = Effect.suspend(() =>
    Effect.forEach(
      Array.from(holding),
      (held) =>
        Effect.matchCauseEffect(renew(held.id, held.token), {
          onSuccess: (renewed) => {
            // Not held, and let go meanwhile: its holder settled the row, or is settling it. Not a takeover.
            if (renewed || !holding.has(held)) return Effect.void
            held.lost = true
            letGo(held)
            return Effect.logWarning("taken over").pipe(Effect.annotateLogs("error", InboxSql.leaseLost.running))
          },
          onFailure: (cause) =>
            Effect.logWarning("inbox heartbeat: database error, trying again at the next beat", cause)
        }).pipe(Effect.annotateLogs({ webhook_id: held.id, attempt: held.token })),
      { discard: true }
    )
  )

  return {
    holding,
    hold: (id, token) => {
      const held: Holding = { id, token, lost: false }
      holding.add(held)
      if (holding.size === 1) busy.openUnsafe()
      return held
    },
    letGo,
    beat: Effect.forever(
      Effect.andThen(
        Effect.suspend(() => {
          if (holding.size === 0) busy.closeUnsafe()
          return busy.await
        }),
        Effect.andThen(Effect.sleep(heartbeat), renewAll)
      )
    )
  }
}
