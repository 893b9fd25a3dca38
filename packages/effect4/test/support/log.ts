/**
 * Every line a test's effects log, with its annotations and cause, and a way to wait for some: the inbox says
 * each attempt's outcome, a takeover, a lost file in a line.
 */
import { Cause, Effect, Logger, References } from "effect"

export interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly cause: string
}

export type Log = ReturnType<typeof observe>

/** A logger that keeps every line (and prints none), as a layer, with what it kept. */
export const observe = () => {
  const lines: Array<Line> = []
  const waiters = new Set<() => void>()
  const logger = Logger.make(({ cause, fiber, logLevel, message }) => {
    lines.push({
      level: logLevel,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: { ...fiber.getRef(References.CurrentLogAnnotations) },
      cause: cause.reasons.length === 0 ? "" : Cause.pretty(cause)
    })
    for (const waiter of waiters) waiter()
  })
  const count = (...messages: ReadonlyArray<string>) => lines.filter((line) => messages.includes(line.message)).length
  /** Resumes once `n` lines say one of `messages`. */
  const waitFor = (n: number, ...messages: ReadonlyArray<string>) =>
    Effect.callback<void>((resume) => {
      const check = () => {
        if (count(...messages) < n) return
        waiters.delete(check)
        resume(Effect.void)
      }
      waiters.add(check)
      check()
      return Effect.sync(() => waiters.delete(check))
    })
  return { lines, layer: Logger.layer([logger]), waitFor, count }
}
