/**
 * What the webhook endpoint answered, per minute, for the last hour: every outcome of the deliveries counter
 * (`processed`, `queued`, `duplicate`, `rejected`, `invalid`, `failed`, `too_large`, `method_not_allowed`), so
 * that "OpenAI says our endpoint fails" can be answered from the page, including for what the inbox never stores
 * (a 401 or a 400 is answered before anything is kept).
 *
 * Read from the counters every mounting style already increments (each edition's `WebhookHttp.deliveries`),
 * sampled once a second by one timer: the delivery path does no work for it. A minute's count is what the counters
 * gained during it, to within the second of a sample. In memory only (a restart starts an empty hour; several
 * instances each count their own).
 *
 * @internal
 */

const MINUTE = 60_000
const MINUTES = 60
export const SAMPLE_MS = 1_000

/** One count of the deliveries counter, as both editions read it. */
export interface Count {
  readonly outcome: string
  readonly count: number
}

/** What the API's `answers` route answers. */
export interface Answers {
  readonly bucketMs: number
  /** When counting began (ISO 8601), or null before it did. */
  readonly since: string | null
  /** The last hour's minutes with any answer, oldest first. */
  readonly minutes: ReadonlyArray<{ readonly start: string; readonly counts: Readonly<Record<string, number>> }>
}

/** The endpoint's answers per minute, counted from `totals` (the counters' current counts). */
export interface Traffic {
  /** Starts the sampler, once: the counts begin now. Its timer is `unref`'d, never keeping a process alive. */
  readonly start: () => void
  /** Adds what the counters gained since the last sample to the current minute; forgets minutes past the hour. */
  readonly sample: () => void
  /** Samples, then the last hour's minutes with any answer, oldest first, and since when counted. */
  readonly read: () => Answers
}

/** A counter of the endpoint's answers. `now` (ms since the epoch) is the clock, `Date.now` unless a test's. */
export const make = (totals: () => Iterable<Count>, now: () => number = Date.now): Traffic => {
  const minutes: Array<{ readonly start: number; readonly counts: Record<string, number> }> = []
  let last: Map<string, number> | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let since: number | undefined

  const sums = (): Map<string, number> => {
    const sums = new Map<string, number>()
    for (const { count, outcome } of totals()) sums.set(outcome, (sums.get(outcome) ?? 0) + count)
    return sums
  }

  const sample = (): void => {
    const current = sums()
    const start = Math.floor(now() / MINUTE) * MINUTE
    if (last !== undefined) {
      let minute = minutes[minutes.length - 1]
      for (const [outcome, total] of current) {
        const gained = total - (last.get(outcome) ?? 0)
        if (gained <= 0) continue
        if (minute === undefined || minute.start !== start) {
          minute = { start, counts: {} }
          minutes.push(minute)
        }
        minute.counts[outcome] = (minute.counts[outcome] ?? 0) + gained
      }
    }
    last = current
    while (minutes.length > 0 && minutes[0]!.start <= start - MINUTES * MINUTE) minutes.shift()
  }

  return {
    start: () => {
      if (since !== undefined) return
      since = now()
      sample()
      timer = setInterval(sample, SAMPLE_MS)
      ;(timer as { unref?: () => void }).unref?.()
    },
    sample,
    read: () => {
      sample()
      return {
        bucketMs: MINUTE,
        since: since === undefined ? null : new Date(since).toISOString(),
        minutes: minutes.map(({ counts, start }) => ({ start: new Date(start).toISOString(), counts: { ...counts } }))
      }
    }
  }
}
