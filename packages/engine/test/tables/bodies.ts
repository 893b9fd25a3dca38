/**
 * The body-reading contract as rows: sizes around a limit (declared with `content-length` or sent chunked), the
 * values a framework's body parser leaves, requests whose body was read first, and declared lengths. The engine's
 * readers run them in `Body.test.ts`; each edition runs the size rows through its own mounting styles.
 */

/** The limit every size row is measured against, in bytes. */
export const limit = 1024

/** What a reader should find. */
export type Expected =
  | { readonly _tag: "Body" }
  | { readonly _tag: "TooLarge" }
  /** `why` includes this text. */
  | { readonly _tag: "Unreadable"; readonly why: string }

export const body: Expected = { _tag: "Body" }
export const tooLarge: Expected = { _tag: "TooLarge" }

/** How a size row's body is sent: with its `content-length`, or as a stream of {@link chunkSize} chunks. */
export type Transfer = "content-length" | "chunked"

/** Small enough that a body over the limit passes it mid-stream, not in its first chunk. */
export const chunkSize = 256

export interface SizeRow {
  readonly name: string
  /** Bytes of the body. */
  readonly size: number
  readonly transfer: Transfer
  readonly expected: Expected
}

const sized = (name: string, size: number, expected: Expected): ReadonlyArray<SizeRow> => [
  { name: `${name}, with content-length`, size, transfer: "content-length", expected },
  { name: `${name}, chunked`, size, transfer: "chunked", expected }
]

export const sizes: ReadonlyArray<SizeRow> = [
  ...sized("an empty body", 0, body),
  ...sized("a body one byte under the limit", limit - 1, body),
  ...sized("a body of exactly the limit", limit, body),
  ...sized("a body one byte over the limit", limit + 1, tooLarge),
  ...sized("a body of 4 times the limit", 4 * limit, tooLarge)
]

/** `size` bytes of printable ASCII, different at every position mod 64, so that a dropped or moved chunk shows. */
export const bytesOfSize = (size: number): Uint8Array => {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = 0x30 + (i % 64)
  return bytes
}

/** `bytes` as a stream of {@link chunkSize} chunks (a fetch or a `Request` sends it without a length). */
export const chunkedStream = (bytes: Uint8Array): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += chunkSize) controller.enqueue(bytes.slice(i, i + chunkSize))
      controller.close()
    }
  })

/** Part of `Body.nodeConsumed`: the message says how to mount the handler on Express and Fastify. */
export const nodeConsumedSays = "read by a body parser before the webhook handler"
/** Part of `Body.webConsumed`: the message says to leave the body unread or clone the request. */
export const webConsumedSays = "request.clone()"

const consumed: Expected = { _tag: "Unreadable", why: nodeConsumedSays }

export interface ValueRow {
  readonly name: string
  /** What a framework left in `req.body` after reading the stream to its end. */
  readonly value: () => unknown
  readonly expected: Expected
  /** The bytes of a body found. */
  readonly bytes?: ReadonlyArray<number>
}

const utf8 = (text: string): ReadonlyArray<number> => [...new TextEncoder().encode(text)]

/** Within {@link limit} by its length (600 characters), over it by its UTF-8 bytes (1,200). */
const wide = "\u00e9".repeat(600)

export const values: ReadonlyArray<ValueRow> = [
  {
    name: "bytes (express.raw())",
    value: () => new Uint8Array(utf8("{\"a\":1}")),
    expected: body,
    bytes: utf8("{\"a\":1}")
  },
  {
    name: "a Buffer (Fastify's parseAs: \"buffer\")",
    value: () => Buffer.from("{}"),
    expected: body,
    bytes: utf8("{}")
  },
  {
    name: "a string, taken as its UTF-8 bytes (express.text())",
    value: () => "{\"id\":\"resp_\u00e9\u6f22\ud83d\ude00\"}",
    expected: body,
    bytes: utf8("{\"id\":\"resp_\u00e9\u6f22\ud83d\ude00\"}")
  },
  { name: "an empty string", value: () => "", expected: body, bytes: [] },
  {
    name: "a string within the limit by its length, over it by its UTF-8 bytes",
    value: () => wide,
    expected: tooLarge
  },
  { name: "bytes over the limit", value: () => new Uint8Array(limit + 1), expected: tooLarge },
  {
    name: "a parsed object (express.json())",
    value: () => ({ type: "response.completed" }),
    expected: consumed
  },
  { name: "nothing (a parser that kept nothing)", value: () => undefined, expected: consumed },
  { name: "an ArrayBuffer (not a view: not taken)", value: () => new ArrayBuffer(2), expected: consumed }
]

export interface ConsumedRow {
  readonly name: string
  /** Reads (or locks) the body of a web `Request` before the handler does. */
  readonly consume: (request: Request) => Promise<unknown>
}

export const consumedWeb: ReadonlyArray<ConsumedRow> = [
  { name: "request.json()", consume: (request) => request.json() },
  { name: "request.text()", consume: (request) => request.text() },
  { name: "request.arrayBuffer()", consume: (request) => request.arrayBuffer() },
  { name: "a reader that locked the stream", consume: async (request) => request.body?.getReader() }
]

export interface DeclaredRow {
  /** The `content-length` header's value, or none. */
  readonly value: string | null | undefined
  /** Whether it declares more than {@link limit}. */
  readonly over: boolean
}

export const declared: ReadonlyArray<DeclaredRow> = [
  { value: undefined, over: false },
  { value: null, over: false },
  { value: "0", over: false },
  { value: String(limit), over: false },
  { value: String(limit + 1), over: true },
  { value: "1048576", over: true },
  // Not a length: counted as the bytes come, not refused up front.
  { value: "", over: false },
  { value: "many", over: false },
  { value: "-1", over: false },
  { value: "1025.5", over: false },
  { value: "9007199254740993", over: false }
]
