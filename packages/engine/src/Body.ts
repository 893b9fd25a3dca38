/**
 * The body-reading contract: from whatever a mounting style holds (a `node:http` request, a web `Request`, or what
 * a framework's body parser left: bytes, a `Buffer`, a string) to the raw bytes a webhook signature covers,
 * bounded by a limit. Every reader answers through one {@link Sink}, exactly once, and never throws or rejects.
 *
 * Why raw bytes: Standard Webhooks signs `${id}.${timestamp}.` followed by the body exactly as sent, so a body a
 * parser turned into an object can no longer be checked; the messages here say how to mount the handler instead.
 *
 * @since 0.3.0
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http"

/**
 * The default limit, in bytes: OpenAI's payloads are small, and a megabyte leaves room while bounding what one
 * request can cost.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultLimit = 1024 * 1024

/**
 * What a reader found, said exactly once.
 *
 * @since 0.3.0
 * @category models
 */
export interface Sink {
  /** The raw body, at most the limit. */
  readonly body: (bytes: Uint8Array) => void
  /** The body is over the limit (said as soon as that is known, before the rest is read). */
  readonly tooLarge: () => void
  /** The raw bytes cannot be had (someone read them first, or reading failed): `why` says how to fix it. */
  readonly unreadable: (why: string) => void
}

/**
 * What a reader found, as a value: for adapters that resume a computation with it rather than take callbacks.
 *
 * @since 0.3.0
 * @category models
 */
export type Read =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Unreadable"; readonly why: string }

/**
 * The one {@link Read} of a body over the limit, shared.
 *
 * @since 0.3.0
 * @category constructors
 */
export const tooLarge: Read = { _tag: "TooLarge" }

/**
 * A {@link Sink} that hands what it is told to `done` as a {@link Read}.
 *
 * @since 0.3.0
 * @category constructors
 */
export const sink = (done: (read: Read) => void): Sink => ({
  body: (bytes) => done({ _tag: "Body", bytes }),
  tooLarge: () => done(tooLarge),
  unreadable: (why) => done({ _tag: "Unreadable", why })
})

/**
 * Node: a framework's body parser ran before the handler and read the stream to its end. What it left in
 * `req.body` decides: bytes (`express.raw()`) or text (`express.text()`) are the body; anything else is a parsed
 * value whose bytes are gone, answered with this.
 *
 * @since 0.3.0
 * @category messages
 */
export const nodeConsumed =
  "the request body was read by a body parser before the webhook handler (express.json(), Fastify's JSON " +
  "parser, ...), so its signature cannot be checked: on Express, mount the handler before express.json(), or " +
  "give its route express.raw({ type: \"application/json\" }) or express.text({ type: \"application/json\" }); " +
  "on Fastify, register the route in a plugin whose content-type parser leaves the body unread: " +
  "scope.addContentTypeParser(\"*\", (request, payload, done) => done(null))"

/**
 * Web: a middleware read the `Request` (`request.json()`, `request.text()`) or locked its stream before the
 * handler.
 *
 * @since 0.3.0
 * @category messages
 */
export const webConsumed =
  "the request body was read before the webhook handler (a middleware called request.json(), request.text() or " +
  "locked its stream), so its signature cannot be checked: leave the body of the webhook route unread, or give the " +
  "middleware request.clone()"

/**
 * Reading the body failed part-way (the client went away, the stream errored): `error` is what it failed with.
 *
 * @since 0.3.0
 * @category messages
 */
export const readFailed = (error: unknown): string =>
  `the request body could not be read (${error instanceof Error ? error.message : String(error)}): OpenAI will retry`

/**
 * Whether a declared `content-length` is over `limit`: then the request can be refused before any byte is read
 * (a receiver also asks it before it answers `Expect: 100-continue`). A missing or malformed value is not over:
 * the bytes are counted as they come.
 *
 * @since 0.3.0
 * @category predicates
 */
export const declaredOver = (value: string | null | undefined, limit: number): boolean => {
  if (value === null || value === undefined) return false
  const length = Number(value)
  return Number.isSafeInteger(length) && length > limit
}

const encoder = new TextEncoder()

/** Bytes as they are, a string as its UTF-8 bytes (what `express.text()` decoded and OpenAI's SDK verifies). */
const bytesOf = (value: unknown): Uint8Array | undefined =>
  value instanceof Uint8Array ? value : typeof value === "string" ? encoder.encode(value) : undefined

/**
 * A body held as a value (bytes, a `Buffer`, or a string, taken as its UTF-8 bytes) against the limit: any other
 * value is `Unreadable` with `why`.
 *
 * @since 0.3.0
 * @category constructors
 */
export const fromValue = (value: unknown, limit: number, why: string): Read => {
  const bytes = bytesOf(value)
  if (bytes === undefined) return { _tag: "Unreadable", why }
  return bytes.byteLength > limit ? tooLarge : { _tag: "Body", bytes }
}

/** {@link fromValue}, told to a sink. */
const valueTo = (value: unknown, limit: number, sink: Sink, why: string): void => {
  const bytes = bytesOf(value)
  if (bytes === undefined) return sink.unreadable(why)
  return bytes.byteLength > limit ? sink.tooLarge() : sink.body(bytes)
}

/** Collects chunks up to the limit. */
class Chunks {
  private readonly chunks: Array<Uint8Array> = []
  size = 0
  constructor(readonly limit: number) {}
  /** False once the body passes the limit; the chunks are dropped then. */
  add(chunk: Uint8Array): boolean {
    this.size += chunk.byteLength
    if (this.size > this.limit) {
      this.chunks.length = 0
      return false
    }
    this.chunks.push(chunk)
    return true
  }
  bytes(): Uint8Array {
    // Usually one chunk: a small body arrives whole.
    if (this.chunks.length === 1) return this.chunks[0]!
    const bytes = new Uint8Array(this.size)
    let at = 0
    for (const chunk of this.chunks) {
      bytes.set(chunk, at)
      at += chunk.byteLength
    }
    return bytes
  }
}

/**
 * Whether `u` is a `node:http` request (an `IncomingMessage`, or a framework's request built on one).
 *
 * @since 0.3.0
 * @category predicates
 */
export const isIncomingMessage = (u: unknown): u is IncomingMessage =>
  typeof u === "object" && u !== null && typeof (u as IncomingMessage).on === "function" &&
  typeof (u as IncomingMessage).headers === "object" && "readableEnded" in u

/**
 * Whether nobody has touched the body of a `node:http` request: no reader attached, nothing read, not ended.
 *
 * @since 0.3.0
 * @category predicates
 */
export const untouched = (request: IncomingMessage): boolean =>
  !request.readableDidRead && request.readableFlowing === null && !request.readableEnded

/** The requests a server answered itself before their body ended. */
const abandoned = new WeakSet<IncomingMessage>()

/**
 * Marks `request` as answered by the server itself before its body ended (a request timeout: NodeServer's 408):
 * when the rest of its body arrives meanwhile, {@link readNode} says nothing, as for a client that went away. The
 * sender was told the delivery failed, so no handler may run for it.
 *
 * @since 0.4.0
 * @category readers
 */
export const abandon = (request: IncomingMessage): void => {
  abandoned.add(request)
}

/**
 * Reads a `node:http` request. One a body parser read to its end is taken from what it left in `req.body`
 * (bytes, a `Buffer` or a string; anything else is {@link nodeConsumed}). A declared `content-length` over the
 * limit is `tooLarge` before any byte is read. Over the limit, `tooLarge` is said at once (before the rest
 * arrives) and the rest is read and dropped: destroying the request would destroy the socket, and the client would
 * never see the 413. Node drains whatever is still unread once the response ends, so a keep-alive connection stays
 * usable. A request that fails (the client went away) says nothing: nobody is left to answer. Nor does one the
 * server has {@link abandon}ed (answered 408 before its body ended): its handler would run for a delivery its sender
 * was told failed.
 *
 * @since 0.3.0
 * @category readers
 */
export const readNode = (request: IncomingMessage, limit: number, sink: Sink): void => {
  if (request.readableEnded) return valueTo((request as { readonly body?: unknown }).body, limit, sink, nodeConsumed)
  if (declaredOver(request.headers["content-length"], limit)) return sink.tooLarge()
  const chunks = new Chunks(limit)
  let over = false
  request.on("data", (chunk: Uint8Array) => {
    if (over) return
    if (!chunks.add(chunk)) {
      over = true
      sink.tooLarge()
    }
  })
  request.on("end", () => {
    if (!over && !abandoned.has(request)) sink.body(chunks.bytes())
  })
  request.on("error", () => {
    over = true
  })
}

/**
 * Reads a web `Request`. A body already read or locked is {@link webConsumed}; a stream that fails is
 * `unreadable` ({@link readFailed}); a declared `content-length` over the limit is `tooLarge` at once, and a
 * stream that passes the limit is cancelled and `tooLarge`. A request without a body is an empty body.
 *
 * @since 0.3.0
 * @category readers
 */
export const readWeb = (request: Request, limit: number, sink: Sink): void => {
  if (request.bodyUsed || request.body?.locked === true) return sink.unreadable(webConsumed)
  if (declaredOver(request.headers.get("content-length"), limit)) {
    request.body?.cancel().catch(() => undefined)
    return sink.tooLarge()
  }
  if (request.body === null) return sink.body(new Uint8Array(0))
  let reader: ReadableStreamDefaultReader<Uint8Array>
  try {
    reader = request.body.getReader()
  } catch {
    return sink.unreadable(webConsumed)
  }
  const chunks = new Chunks(limit)
  const next = (): void => {
    reader.read().then(({ done, value }) => {
      if (done) return sink.body(chunks.bytes())
      if (!chunks.add(value)) {
        reader.cancel().catch(() => undefined)
        return sink.tooLarge()
      }
      next()
    }, (error: unknown) => sink.unreadable(readFailed(error)))
  }
  next()
}

/**
 * How a callback-style mounting reaches into its request: the method, the headers, the body.
 *
 * @since 0.3.0
 * @category models
 */
export interface Source<Request, Headers> {
  readonly method: (request: Request) => string | undefined
  readonly headers: (request: Request) => Headers
  readonly read: (request: Request, limit: number, sink: Sink) => void
}

/**
 * A `node:http` request ({@link readNode}).
 *
 * @since 0.3.0
 * @category sources
 */
export const node: Source<IncomingMessage, IncomingHttpHeaders> = {
  method: (request) => request.method,
  headers: (request) => request.headers,
  read: readNode
}

/**
 * A web `Request` ({@link readWeb}).
 *
 * @since 0.3.0
 * @category sources
 */
export const web: Source<Request, Headers> = {
  method: (request) => request.method,
  headers: (request) => request.headers,
  read: readWeb
}
