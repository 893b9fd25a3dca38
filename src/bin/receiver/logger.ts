/**
 * The receiver's logger: logfmt, one line per entry (causes included, escaped), written in batches.
 *
 * Why not `Logger.logFmt`: measured on the receiver, formatting the fiber id and writing each line with
 * its own `console.log` call cost a fifth of a delivery. Lines are buffered and flushed once per turn
 * of the event loop (and at exit), so a burst of deliveries costs one write.
 */
import * as Cause from "effect/Cause"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"

const SAFE = /^[^\s"=\\]+$/

const value = (input: unknown): string => {
  const text = typeof input === "string" ? input : input instanceof Error ? input.message : JSON.stringify(input)
  return text !== undefined && SAFE.test(text) ? text : JSON.stringify(text ?? String(input))
}

const messageOf = (message: unknown): string =>
  Array.isArray(message) ? message.map((part) => (typeof part === "string" ? part : String(part))).join(" ") : String(message)

export const format = (options: Logger.Logger.Options<unknown>): string => {
  let line = `timestamp=${options.date.toISOString()} level=${options.logLevel.label} message=${value(messageOf(options.message))}`
  for (const [key, annotation] of options.annotations) line += ` ${key}=${value(annotation)}`
  if (!Cause.isEmpty(options.cause)) line += ` cause=${value(Cause.pretty(options.cause, { renderErrorCause: true }))}`
  return line + "\n"
}

/** A logfmt logger writing to `write` (default: standard output) in batches. */
export const make = (write: (chunk: string) => void = (chunk) => process.stdout.write(chunk)): Logger.Logger<unknown, void> => {
  let pending = ""
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending === "") return
    const chunk = pending
    pending = ""
    write(chunk)
  }
  process.once("exit", flush)
  return Logger.make((options) => {
    pending += format(options)
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  })
}

export const layer = Logger.replace(Logger.defaultLogger, make())

/** The logger, showing entries at `level` and above. */
export const layerLevel = (level: LogLevel.LogLevel): Layer.Layer<never> =>
  Layer.merge(layer, Logger.minimumLogLevel(level))
