/**
 * The receiver's logger: logfmt, one line per entry (causes included, escaped), written in batches.
 *
 * Why not `Logger.logFmt`: measured on the receiver, formatting the fiber id and writing each line with
 * its own `console.log` call cost a fifth of a delivery. Lines are buffered and flushed once per turn
 * of the event loop (and at exit), so a burst of deliveries costs one write. Per line, the work that repeats is
 * done once: the timestamp per millisecond, each message's quoting per message, and a printable-ASCII value (a
 * webhook-id, an event type) is checked by a loop over its code units rather than a Unicode expression.
 */
import * as Cause from "effect/Cause"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as References from "effect/References"

/** Unquoted only when nothing in it could end the value or the line, or drive a terminal. */
const SAFE = /^[^\s"=\\\p{Cc}]+$/u

/** C1 controls (U+0080 to U+009F) and DEL, which `JSON.stringify` leaves raw; a terminal acts on some. */
const RAW_CONTROLS = /[\u007f-\u009f]/g

const quote = (text: string): string =>
  JSON.stringify(text).replace(RAW_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** Annotations come from the wire too (a webhook-id, a body): whatever they hold, one line comes out. */
const textOf = (input: unknown): string => {
  if (typeof input === "string") return input
  if (input instanceof Error) return input.message
  try {
    return JSON.stringify(input) ?? String(input)
  } catch {
    // Cyclic, or deeper than the stack (String() of a deep array recurses too).
    return Object.prototype.toString.call(input)
  }
}

/**
 * Whether `text` may go unquoted ({@link SAFE}), looked at one code unit at a time while it is printable ASCII (a
 * webhook-id, an event type: every delivery's), by the expression past that.
 */
const isSafe = (text: string): boolean => {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // " = \ and anything outside "!" to "~" (space, controls, DEL, all of non-ASCII) decide by the expression.
    if (code <= 0x20 || code >= 0x7f || code === 0x22 || code === 0x3d || code === 0x5c) {
      return code >= 0x7f && SAFE.test(text)
    }
  }
  return true
}

const value = (input: unknown): string => {
  const text = textOf(input)
  return isSafe(text) ? text : quote(text)
}

const messageOf = (message: unknown): string =>
  Array.isArray(message)
    ? message.length === 1 && typeof message[0] === "string"
      ? message[0]
      : message.map((part) => (typeof part === "string" ? part : String(part))).join(" ")
    : String(message)

/**
 * Messages as written, kept: most lines say one of a few words (`processed`, `duplicate`), so each is checked and
 * quoted once. Bounded, since a message may carry an id too: past the bound, the others are written as they come.
 */
const messages = new Map<string, string>()
const MESSAGES_KEPT = 256

const messageValue = (message: unknown): string => {
  const text = messageOf(message)
  let written = messages.get(text)
  if (written === undefined) {
    written = value(text)
    if (messages.size < MESSAGES_KEPT) messages.set(text, written)
  }
  return written
}

/** The last timestamp written, and its millisecond: lines of one turn of the event loop share most of them. */
let stampedAt = Number.NaN
let stamp = ""

const timestamp = (date: Date): string => {
  const at = date.getTime()
  if (at !== stampedAt) {
    stampedAt = at
    stamp = date.toISOString()
  }
  return stamp
}

/** Each level as the lines write it: the labels of Effect 3, which the receiver has always logged (`level=INFO`). */
const LABELS: { readonly [Level in LogLevel.LogLevel]: string } = {
  All: "ALL",
  Fatal: "FATAL",
  Error: "ERROR",
  Warn: "WARN",
  Info: "INFO",
  Debug: "DEBUG",
  Trace: "TRACE",
  None: "OFF"
}

/** One entry, as Effect 4's logger gets it (`Logger.Options` is one), without its fiber's annotations. */
export interface Entry {
  readonly date: Date
  readonly logLevel: LogLevel.LogLevel
  readonly message: unknown
  readonly cause: Cause.Cause<unknown>
}

/** One line: `entry` and the `annotations` of the fiber that logged it (given apart: no object made per line). */
export const format = (entry: Entry, annotations: Readonly<Record<string, unknown>>): string => {
  let line = `timestamp=${timestamp(entry.date)} level=${LABELS[entry.logLevel]} message=${messageValue(entry.message)}`
  for (const key in annotations) line += ` ${key}=${value(annotations[key])}`
  if (entry.cause.reasons.length > 0) line += ` cause=${value(Cause.pretty(entry.cause))}`
  return line + "\n"
}

/** A logfmt logger writing to `write` (default: standard output) in batches. */
export const make = (
  write: (chunk: string) => void = (chunk) => process.stdout.write(chunk)
): Logger.Logger<unknown, void> => {
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
    pending += format(options, options.fiber.getRef(References.CurrentLogAnnotations))
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  })
}

/** The logfmt logger instead of Effect's default one. */
export const layer: Layer.Layer<never> = Logger.layer([make()])

/** The logger, showing entries at `level` and above. */
export const layerLevel = (level: LogLevel.LogLevel): Layer.Layer<never> =>
  Layer.merge(layer, Layer.succeed(References.MinimumLogLevel, level))
