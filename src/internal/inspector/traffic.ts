/**
 * What the webhook endpoint answered, per minute, for the last hour: every outcome of the deliveries counter
 * (`processed`, `queued`, `duplicate`, `rejected`, `invalid`, `failed`, `too_large`, `method_not_allowed`), so
 * that "OpenAI says our endpoint fails" can be answered from the page, including for what the inbox never stores
 * (a 401 or a 400 is answered before anything is kept).
 *
 * Read from the counters every mounting style already increments (`WebhookHttp.deliveries`), sampled once a
 * second by one timer per process: the delivery path does no work for it. A minute's count is what the counters
 * gained during it, to within the second of a sample. Process-wide, like the counters; in memory only (a restart
 * starts an empty hour; several instances each count their own).
 */
import { unsafeDeliveries } from "../http.js"

const MINUTE = 60_000
const MINUTES = 60
const SAMPLE_MS = 1_000

/** One minute's counts by outcome, the minute as its start in ms since the epoch. */
export interface Minute {
  readonly start: number
  readonly counts: Record<string, number>
}

const minutes: Array<Minute> = []
let last: Map<string, number> | undefined
let timer: ReturnType<typeof setInterval> | undefined
let since: Date | undefined

const totals = (): Map<string, number> => {
  const sums = new Map<string, number>()
  for (const { count, outcome } of unsafeDeliveries()) sums.set(outcome, (sums.get(outcome) ?? 0) + count)
  return sums
}

/** Adds what the counters gained since the last sample to the current minute, and forgets minutes past the hour. */
const sample = (): void => {
  const now = totals()
  const start = Math.floor(Date.now() / MINUTE) * MINUTE
  if (last !== undefined) {
    let minute = minutes[minutes.length - 1]
    for (const [outcome, total] of now) {
      const gained = total - (last.get(outcome) ?? 0)
      if (gained <= 0) continue
      if (minute === undefined || minute.start !== start) {
        minute = { start, counts: {} }
        minutes.push(minute)
      }
      minute.counts[outcome] = (minute.counts[outcome] ?? 0) + gained
    }
  }
  last = now
  while (minutes.length > 0 && minutes[0]!.start <= start - MINUTES * MINUTE) minutes.shift()
}

/**
 * Starts the process's sampler, once: the counts begin now. The timer is `unref`'d, so that it never keeps a
 * process alive.
 */
export const start = (): void => {
  if (timer !== undefined) return
  since = new Date()
  sample()
  timer = setInterval(sample, SAMPLE_MS)
  ;(timer as { unref?: () => void }).unref?.()
}

/** The last hour's minutes with any answer, oldest first (up to the moment of the call), and since when counted. */
export const read = (): {
  readonly bucketMs: number
  readonly since: string | null
  readonly minutes: ReadonlyArray<{ readonly start: string; readonly counts: Readonly<Record<string, number>> }>
} => {
  sample()
  return {
    bucketMs: MINUTE,
    since: since === undefined ? null : since.toISOString(),
    minutes: minutes.map(({ counts, start }) => ({ start: new Date(start).toISOString(), counts: { ...counts } }))
  }
}
