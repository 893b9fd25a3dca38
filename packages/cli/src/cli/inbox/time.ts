/**
 * The one reading of `--since` and `--until` for the `inbox` commands: a span back from now (`90s`, `30m`,
 * `1h`, `2d`, `1w`) or an ISO 8601 date or date-time (`2026-11-29`, `2026-11-29T08:00:00Z`; without an
 * offset, a date-time is local time and a date is UTC midnight, as `Date.parse` reads them).
 */
import * as Result from "effect/Result"
import { TIME_FORMS } from "../commands.js"
import { UsageError } from "../errors.js"

/** Milliseconds per unit of a relative time. */
const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

const RELATIVE = /^(\d+)([smhdw])$/

/** ISO 8601 as `Date.parse` reads it reliably: a date, optionally a time, optionally an offset. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/

/** `Date.parse` rolls 2026-02-30 over to March 2: a day the month does not have is no date. */
const realDay = (iso: string): boolean => {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number) as [number, number, number]
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** Examples for a hint, and for the flags' descriptions: written with the flags, in `../commands.ts`. */
export const FORMS = TIME_FORMS

/**
 * The instant `input` names, `now` (ms since the epoch) being the present; or a {@link UsageError} that
 * names `flag` (`--since`), shows the input and says what is accepted.
 */
export const parse = (flag: string, input: string, now: number): Result.Result<Date, UsageError> => {
  const trimmed = input.trim()
  const relative = RELATIVE.exec(trimmed)
  const millis = relative !== null
    ? now - Number(relative[1]) * UNITS[relative[2] as keyof typeof UNITS]
    : ISO.test(trimmed) && realDay(trimmed)
    ? Date.parse(trimmed)
    : Number.NaN
  // Past ±8.64e15 ms (about 273,790 years) a Date is invalid: "99999999999w" is no time either.
  const date = new Date(millis)
  return Number.isNaN(date.getTime())
    ? Result.fail(
      new UsageError({
        message: `${flag}: ${JSON.stringify(input)} is not a time`,
        hint: `${flag} is ${FORMS}`
      })
    )
    : Result.succeed(date)
}
