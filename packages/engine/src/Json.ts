/**
 * JSON from outside: the pre-checks of a payload before any schema sees it (UTF-8 text, JSON, an object with a
 * string `type`), how deep it may nest, and walks over it whose recursion is bounded whatever the input.
 *
 * Why bounded: `JSON.parse` accepts any nesting (100,000 levels of `[` parse in milliseconds), but a recursive walk
 * over such a value overflows the stack at a few thousand levels and dies with a `RangeError`: Effect's
 * `Inspectable.formatUnknown` (which ParseResult's formatters call on the value they reject), `JSON.stringify`,
 * `String(event)`. The walks here recurse at most as deep as their bound; a cycle is cut there like any deep value.
 *
 * @since 0.3.0
 */
import type { Problem as ProblemOf, Result } from "./Result.js"
import { fail, ok } from "./Result.js"

/**
 * How many levels of arrays and objects JSON kept as it came may nest: the `data` of an event of a type this
 * version does not know. Like serde_json's default recursion limit; OpenAI's payloads nest a few levels.
 *
 * @since 0.3.0
 * @category constants
 */
export const maxDepth = 128

/**
 * Whether `value` nests arrays and objects more than `levels` deep (`1` and `"a"` nest 0 levels, `[]` and `{}` 1,
 * `[[1]]` 2). Visits at most `levels + 1` levels.
 *
 * @since 0.3.0
 * @category bounded walks
 */
export const deeperThan = (value: unknown, levels: number): boolean => {
  if (typeof value !== "object" || value === null) return false
  if (levels <= 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (deeperThan(value[i], levels - 1)) return true
    return false
  }
  for (const key in value) {
    if (hasOwn.call(value, key) && deeperThan((value as Record<string, unknown>)[key], levels - 1)) return true
  }
  return false
}

const hasOwn = Object.prototype.hasOwnProperty

/**
 * A wire path as each edition's `DecodeError.path` writes it: `["data", "sip_headers", 1, "value"]` is
 * `data.sip_headers[1].value`; the empty path (the whole payload) is `undefined`.
 *
 * @since 0.4.0
 * @category paths
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string | undefined => {
  let out = ""
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  return out === "" ? undefined : out
}

/**
 * `value` written as Effect's `Inspectable.formatUnknown` writes a JSON value (`[1,"a"]`, `{"id":[]}`), at most
 * `max` characters: a longer text is cut to `max - 1` characters and `…`. Builds at most about `max` characters
 * and recurses at most `max` levels, however deep, wide or long the value: a preview of a value from outside for
 * an error message.
 *
 * @since 0.3.0
 * @category bounded walks
 */
export const preview = (value: unknown, max: number): string => {
  let out = ""
  // Each call writes at least one character before it recurses, so the recursion is at most `max` deep.
  const write = (v: unknown): void => {
    if (out.length > max) return
    if (typeof v === "string") {
      // The first max + 1 code units are all the text can show.
      out += JSON.stringify(v.length > max ? v.slice(0, max + 1) : v)
    } else if (Array.isArray(v)) {
      out += "["
      for (let i = 0; i < v.length && out.length <= max; i++) {
        if (i > 0) out += ","
        write(v[i])
      }
      out += "]"
    } else if (typeof v === "object" && v !== null) {
      out += "{"
      let first = true
      for (const key in v) {
        if (out.length > max) break
        if (!hasOwn.call(v, key)) continue
        if (!first) out += ","
        first = false
        out += `${JSON.stringify(key.length > max ? key.slice(0, max + 1) : key)}:`
        write((v as Record<string, unknown>)[key])
      }
      out += "}"
    } else {
      out += String(v)
    }
  }
  write(value)
  if (out.length <= max) return out
  const end = isHighSurrogate(out.charCodeAt(max - 2)) ? max - 2 : max - 1
  return `${out.slice(0, end)}…`
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff

// The pre-checks of a payload.

/**
 * Why a payload is not an event: `InvalidJson` (not UTF-8 text, or not JSON) or `InvalidEvent` (JSON, but not an
 * event of its type). Each edition's `DecodeError` declares its `reason` field with {@link reasons}.
 *
 * @since 0.4.0
 * @category models
 */
export type Reason = (typeof reasons)[number]

/**
 * Every {@link Reason}: the literals of each edition's `DecodeError`, written once.
 *
 * @since 0.4.0
 * @category models
 */
export const reasons = ["InvalidJson", "InvalidEvent"] as const

/**
 * Why a payload is not an event, before any schema: `InvalidJson` (not UTF-8 text, or not JSON) or `InvalidEvent`
 * (JSON, but not an object, or its `type` is not a string: then `path` is `"type"`). The reasons and messages of
 * each edition's `DecodeError`.
 *
 * @since 0.3.0
 * @category models
 */
export interface Problem extends ProblemOf<Reason> {
  /** The wire path of the value at fault, where there is one. */
  readonly path?: string
}

/**
 * A JSON object with a string `type`: what an event's schema is chosen by.
 *
 * @since 0.3.0
 * @category models
 */
export interface EventJson {
  readonly type: string
  readonly [key: string]: unknown
}

// Fatal: a body that is not UTF-8 is refused, not read with replacement characters. The BOM is dropped, as
// `TextDecoder` does by default.
const utf8 = new TextDecoder("utf-8", { fatal: true })

/** A problem found while parsing, told apart from any JSON value by its class. */
class Failed {
  constructor(readonly problem: Problem) {}
}
const failed = (problem: Problem): Failed => new Failed(problem)

const notUtf8: Problem = { reason: "InvalidJson", message: "The payload is not valid UTF-8 text" }

/**
 * The JSON value of a payload, or a {@link Failed} (which `JSON.parse` never makes): no Result in between, so that
 * {@link parseEvent} builds one per payload.
 */
const valueOf = (payload: string | Uint8Array): unknown => {
  let text: string
  if (typeof payload === "string") {
    text = payload
  } else {
    try {
      text = utf8.decode(payload)
    } catch {
      return failed(notUtf8)
    }
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    return failed({ reason: "InvalidJson", message: `The payload is not valid JSON: ${(error as Error).message}` })
  }
}


/** Why parsed JSON is not an event, or undefined when it can be one. */
const notEvent = (json: unknown): Problem | undefined => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return {
      reason: "InvalidEvent",
      message: `The payload is not an event: expected a JSON object, got ${describe(json)}`
    }
  }
  const type = (json as { readonly type?: unknown }).type
  if (typeof type !== "string") {
    return {
      reason: "InvalidEvent",
      message: `The payload is not an event: "type" should be a string, got ${describe(type)}`,
      path: "type"
    }
  }
  return undefined
}

/**
 * A payload's JSON: its bytes decoded as UTF-8 (strictly: invalid UTF-8 is `InvalidJson`), or the string as it
 * is, then `JSON.parse`d (a syntax error is `InvalidJson`, with the parser's message). Any JSON value: see
 * {@link event} for the shape of an event.
 *
 * @since 0.3.0
 * @category pre-checks
 */
export const parse = (payload: string | Uint8Array): Result<unknown, Problem> => {
  const json = valueOf(payload)
  return json instanceof Failed ? fail(json.problem) : ok(json)
}

/**
 * Whether parsed JSON can be an event: an object (not an array, not null) whose `type` is a string; else
 * `InvalidEvent` saying what it got instead (`null`, `an array`, `nothing`, or the JavaScript type).
 *
 * @since 0.3.0
 * @category pre-checks
 */
export const event = (json: unknown): Result<EventJson, Problem> => {
  const problem = notEvent(json)
  return problem === undefined ? ok(json as EventJson) : fail(problem)
}

/**
 * {@link parse} then {@link event}: a payload's event JSON, or why it is not one. The one check a body goes through
 * before the schema of its `type`.
 *
 * @since 0.3.0
 * @category pre-checks
 */
export const parseEvent = (payload: string | Uint8Array): Result<EventJson, Problem> => {
  const json = valueOf(payload)
  if (json instanceof Failed) return fail(json.problem)
  const problem = notEvent(json)
  return problem === undefined ? ok(json as EventJson) : fail(problem)
}

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : value === undefined ? "nothing" : typeof value
