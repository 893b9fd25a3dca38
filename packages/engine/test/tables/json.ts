/**
 * The JSON pre-check as rows: payloads (text or bytes) and what `Json.parseEvent` finds, with the reason, message
 * and path of each edition's `DecodeError` for those it refuses. Invalid UTF-8, JSON that is not an object or
 * whose `type` is not a string, and nesting far past any stack: the pre-check parses without recursing.
 */

export type Expected =
  | { readonly ok: true; readonly type: string }
  | {
    readonly ok: false
    readonly reason: "InvalidJson" | "InvalidEvent"
    /** The whole message, or its beginning when the rest is the JSON parser's own words (they differ by runtime). */
    readonly message: string
    readonly exact: boolean
    readonly path?: string
  }

export interface JsonRow {
  readonly name: string
  readonly payload: string | Uint8Array
  readonly expected: Expected
}

/** The text of `shape` nested `depth` levels around `0`: `[[0]]`, `{"a":{"a":0}}`, `[{"k":[0]}]`. */
export const nested = (shape: "array" | "object" | "mixed", depth: number): string => {
  if (shape === "array") return "[".repeat(depth) + "0" + "]".repeat(depth)
  if (shape === "object") return "{\"a\":".repeat(depth) + "0" + "}".repeat(depth)
  const open: Array<string> = []
  const close: Array<string> = []
  for (let level = 0; level < depth; level++) {
    open.push(level % 2 === 0 ? "[" : "{\"k\":")
    close.push(level % 2 === 0 ? "]" : "}")
  }
  return open.join("") + "0" + close.reverse().join("")
}

const bytes = (...values: ReadonlyArray<number | string>): Uint8Array =>
  new Uint8Array(values.flatMap((v) => typeof v === "string" ? [...new TextEncoder().encode(v)] : [v]))

const NOT_UTF8 = "The payload is not valid UTF-8 text"
const NOT_JSON = "The payload is not valid JSON: "

const typed = (type: string): Expected => ({ ok: true, type })
const notUtf8: Expected = { ok: false, reason: "InvalidJson", message: NOT_UTF8, exact: true }
const notJson: Expected = { ok: false, reason: "InvalidJson", message: NOT_JSON, exact: false }
const notObject = (got: string): Expected => ({
  ok: false,
  reason: "InvalidEvent",
  message: `The payload is not an event: expected a JSON object, got ${got}`,
  exact: true
})
const typeNot = (got: string): Expected => ({
  ok: false,
  reason: "InvalidEvent",
  message: `The payload is not an event: "type" should be a string, got ${got}`,
  exact: true,
  path: "type"
})

export const json: ReadonlyArray<JsonRow> = [
  {
    name: "an event envelope",
    payload: "{\"type\":\"response.completed\",\"id\":\"evt_1\"}",
    expected: typed("response.completed")
  },
  {
    name: "an event envelope as bytes",
    payload: bytes("{\"type\":\"batch.completed\"}"),
    expected: typed("batch.completed")
  },
  {
    name: "multi-byte UTF-8 in a value",
    payload: bytes("{\"type\":\"x\",\"n\":\"\u00e9\u6f22\ud83d\ude00\"}"),
    expected: typed("x")
  },
  { name: "whitespace around the object", payload: " \n{\"type\":\"x\"}\t ", expected: typed("x") },
  {
    name: "a UTF-8 byte order mark before bytes (dropped by the decoder)",
    payload: bytes(0xef, 0xbb, 0xbf, "{\"type\":\"x\"}"),
    expected: typed("x")
  },
  { name: "a byte order mark before text (kept, and not JSON)", payload: "\ufeff{\"type\":\"x\"}", expected: notJson },
  {
    name: "a type nobody knows (the pre-check does not judge types)",
    payload: "{\"type\":\"\"}",
    expected: typed("")
  },
  {
    name: "data nested 100,000 levels (parsed without recursion; the schema bounds it later)",
    payload: `{"type":"x","data":${nested("mixed", 100_000)}}`,
    expected: typed("x")
  },
  // Not UTF-8.
  { name: "a lone 0xff byte", payload: bytes("{\"type\":\"x\",\"a\":\"", 0xff, "\"}"), expected: notUtf8 },
  { name: "a sequence cut short", payload: bytes("{\"type\":\"", 0xe6, 0xbc, "\"}"), expected: notUtf8 },
  { name: "an overlong encoding of /", payload: bytes("{\"type\":\"", 0xc0, 0xaf, "\"}"), expected: notUtf8 },
  {
    name: "a UTF-16 surrogate encoded as UTF-8",
    payload: bytes("{\"type\":\"", 0xed, 0xa0, 0x80, "\"}"),
    expected: notUtf8
  },
  { name: "UTF-16 text", payload: bytes(0xff, 0xfe, "{", 0, "}", 0), expected: notUtf8 },
  // Not JSON.
  { name: "text that is not JSON", payload: "not json", expected: notJson },
  { name: "an empty body", payload: "", expected: notJson },
  { name: "an object cut short", payload: "{\"id\": \"evt_cut\", \"type\": \"response.comp", expected: notJson },
  { name: "a trailing comma", payload: "{\"type\":\"x\",}", expected: notJson },
  { name: "two objects", payload: "{\"type\":\"x\"}{\"type\":\"y\"}", expected: notJson },
  // Not an object.
  { name: "null", payload: "null", expected: notObject("null") },
  { name: "an array", payload: "[{\"type\":\"x\"}]", expected: notObject("an array") },
  { name: "a number", payload: "1", expected: notObject("number") },
  { name: "a string", payload: "\"response.completed\"", expected: notObject("string") },
  { name: "a boolean", payload: "true", expected: notObject("boolean") },
  { name: "an array nested 100,000 levels", payload: nested("array", 100_000), expected: notObject("an array") },
  // No string type.
  { name: "an object without type", payload: "{}", expected: typeNot("nothing") },
  { name: "a numeric type", payload: "{\"type\":1}", expected: typeNot("number") },
  { name: "a null type", payload: "{\"type\":null}", expected: typeNot("null") },
  { name: "an array type", payload: "{\"type\":[\"x\"]}", expected: typeNot("an array") },
  {
    name: "a type nested 100,000 levels",
    payload: `{"type":${nested("object", 100_000)}}`,
    expected: typeNot("object")
  }
]

export interface DepthRow {
  readonly name: string
  readonly text: string
  /** Levels of arrays and objects. */
  readonly depth: number
}

/** Values whose nesting `Json.deeperThan` measures: around its bound, and far past it. */
export const depths: ReadonlyArray<DepthRow> = [
  { name: "a number", text: "1", depth: 0 },
  { name: "a string", text: "\"a\"", depth: 0 },
  { name: "an empty array", text: "[]", depth: 1 },
  { name: "an empty object", text: "{}", depth: 1 },
  { name: "an array in an array", text: "[[1]]", depth: 2 },
  { name: "a wide shallow array with one deep item last", text: `[1,2,3,${nested("array", 5)}]`, depth: 6 },
  ...[127, 128, 129, 3_000, 100_000].flatMap((depth) =>
    (["array", "object", "mixed"] as const).map((shape): DepthRow => ({
      name: `${depth} levels of ${shape}s`,
      text: nested(shape, depth),
      depth
    }))
  )
]
