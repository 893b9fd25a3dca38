/**
 * The one body reader: from whatever a mounting style holds (a Node request, a web `Request`, the
 * platform's request, or what a framework's body parser left) to the raw bytes the signature covers,
 * bounded by a limit. Every reader answers through the same {@link Sink}, exactly once.
 *
 * @internal
 */
import type { IncomingMessage } from "node:http"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Headers as headers } from "openai-webhooks-engine"

/** What a reader found, said exactly once. */
export interface Sink {
  /** The raw body, at most the limit. */
  readonly body: (bytes: Uint8Array) => void
  /** The body is over the limit (said as soon as that is known, before the rest is read). */
  readonly tooLarge: () => void
  /** The raw bytes cannot be had (someone read them first, or reading failed): `why` says how to fix it. */
  readonly unreadable: (why: string) => void
}

/**
 * Node: a framework's body parser ran before us. What it left in `req.body` decides: bytes
 * (`express.raw()`) or text (`express.text()`) are the body; anything else is a parsed value whose
 * bytes are gone.
 */
export const NODE_CONSUMED =
  "the request body was read by a body parser before the webhook handler (express.json(), Fastify's JSON " +
  "parser, ...), so its signature cannot be checked: on Express, mount the handler before express.json(), or " +
  "give its route express.raw({ type: \"application/json\" }) or express.text({ type: \"application/json\" }); " +
  "on Fastify, register the route in a plugin whose content-type parser leaves the body unread: " +
  "scope.addContentTypeParser(\"*\", (request, payload, done) => done(null))"

/** Web: a middleware read the `Request` (or locked its stream) before us. */
export const WEB_CONSUMED =
  "the request body was read before the webhook handler (a middleware called request.json(), request.text() or " +
  "locked its stream), so its signature cannot be checked: leave the body of the webhook route unread, or give the " +
  "middleware request.clone()"

/**
 * `@effect/platform-node`: a middleware read the body with `request.arrayBuffer` or `request.stream` before
 * us, and the platform keeps none of it (it keeps what `request.text` read).
 */
export const PLATFORM_CONSUMED =
  "the request body was read before the webhook handler (a middleware read request.arrayBuffer or " +
  "request.stream), so its signature cannot be checked: leave the body of the webhook route unread, or read it " +
  "with request.text, which the platform keeps for the handlers after it"

const unreadable = (error: unknown) =>
  `the request body could not be read (${error instanceof Error ? error.message : String(error)}): OpenAI will retry`

/**
 * A declared `content-length` over the limit: the request can be refused before any byte is read (the
 * receiver also asks it before it answers `Expect: 100-continue`).
 */
export const declaredOver = (value: string | null | undefined, limit: number): boolean => {
  if (value === null || value === undefined) return false
  const length = Number(value)
  return Number.isSafeInteger(length) && length > limit
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
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size)
  }
}

/**
 * A value a framework left as the body: bytes as they are, a string as its UTF-8 bytes (what
 * `express.text()` decodes and OpenAI's SDK verifies), anything else unreadable with `why`.
 */
const fromValue = (value: unknown, limit: number, sink: Sink, why: string): void => {
  const bytes = value instanceof Uint8Array ? value : typeof value === "string" ? Buffer.from(value, "utf8") : undefined
  if (bytes === undefined) return sink.unreadable(why)
  return bytes.byteLength > limit ? sink.tooLarge() : sink.body(bytes)
}

export const isIncomingMessage = (u: unknown): u is IncomingMessage =>
  typeof u === "object" && u !== null && typeof (u as IncomingMessage).on === "function" &&
  typeof (u as IncomingMessage).headers === "object" && "readableEnded" in u

/**
 * The Node adapter. Over the limit, `tooLarge` is said at once (before the rest arrives) and the rest is
 * read and dropped: destroying the request would destroy the socket, and the client would never see the
 * 413. Node drains whatever is still unread once the response ends, so a keep-alive connection stays usable.
 */
export const readNode = (request: IncomingMessage, limit: number, sink: Sink): void => {
  // A body parser (Express, Fastify) read the stream to its end: what it left in req.body is all there is.
  if (request.readableEnded) return fromValue((request as { readonly body?: unknown }).body, limit, sink, NODE_CONSUMED)
  if (declaredOver(request.headers["content-length"], limit)) return sink.tooLarge()
  const chunks = new Chunks(limit)
  let over = false
  request.on("data", (chunk: Buffer) => {
    if (over) return
    if (!chunks.add(chunk)) {
      over = true
      sink.tooLarge()
    }
  })
  request.on("end", () => {
    if (!over) sink.body(chunks.bytes())
  })
  request.on("error", () => {
    // The client went away: nobody is left to answer.
    over = true
  })
}

/**
 * The web adapter. Never rejects: a body already read or locked, and a stream that fails, are
 * `unreadable`; over the limit, the stream is cancelled.
 */
export const readWeb = (request: Request, limit: number, sink: Sink): void => {
  if (request.bodyUsed || request.body?.locked === true) return sink.unreadable(WEB_CONSUMED)
  if (declaredOver(request.headers.get("content-length"), limit)) {
    request.body?.cancel().catch(() => undefined)
    return sink.tooLarge()
  }
  if (request.body === null) return sink.body(new Uint8Array(0))
  let reader: ReadableStreamDefaultReader<Uint8Array>
  try {
    reader = request.body.getReader()
  } catch {
    return sink.unreadable(WEB_CONSUMED)
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
    }, (error: unknown) => sink.unreadable(unreadable(error)))
  }
  next()
}

/** How a callback-style mounting reaches into its request: the method, the headers, the body. */
export interface Source<Request> {
  readonly method: (request: Request) => string | undefined
  readonly headers: (request: Request) => headers.HeadersInput
  readonly read: (request: Request, limit: number, sink: Sink) => void
}

export const node: Source<IncomingMessage> = {
  method: (request) => request.method,
  headers: (request) => request.headers,
  read: readNode
}

export const web: Source<Request> = {
  method: (request) => request.method,
  headers: (request) => request.headers,
  read: readWeb
}

/** What the platform adapter found, as a value. */
export type Read =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Unreadable"; readonly why: string }

const TOO_LARGE: Read = { _tag: "TooLarge" }

const asRead = (resume: (read: Effect.Effect<Read>) => void): Sink => ({
  body: (bytes) => resume(Effect.succeed({ _tag: "Body", bytes })),
  tooLarge: () => resume(Effect.succeed(TOO_LARGE)),
  unreadable: (why) => resume(Effect.succeed({ _tag: "Unreadable", why }))
})

/** A Node request whose body nobody has touched: no reader attached, nothing read, not ended. */
const untouched = (request: IncomingMessage): boolean =>
  !request.readableDidRead && request.readableFlowing === null && !request.readableEnded

/** Bytes, or text as its UTF-8 bytes (as `express.text()`), that the platform kept from a read before us. */
const fromKept = (
  kept: Effect.Effect<ArrayBuffer | string, unknown>,
  limit: number,
  why: (error: unknown) => string
) =>
  Effect.match(kept, {
    onFailure: (error): Read => ({ _tag: "Unreadable", why: why(error) }),
    onSuccess: (value): Read => {
      const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : new Uint8Array(value)
      return bytes.byteLength > limit ? TOO_LARGE : { _tag: "Body", bytes }
    }
  })

/**
 * The platform adapter. A request nobody has read is read by the lean adapter of what is underneath:
 * on `@effect/platform-node` the Node adapter (the platform's reader destroys the socket at the limit,
 * so the client would never see the 413), a web `Request` (Bun, a web handler) the web adapter. A body
 * a middleware read first through the platform is taken from what the platform keeps (`request.text`,
 * and on web `request.arrayBuffer`); anything else is read by the platform's reader, bounded.
 */
export const readPlatform = (request: HttpServerRequest.HttpServerRequest, limit: number): Effect.Effect<Read> => {
  const source = request.source
  if (isIncomingMessage(source)) {
    if (untouched(source)) return Effect.async<Read>((resume) => readNode(source, limit, asRead(resume)))
    // The platform's request.text sets the stream's encoding and keeps the text; its arrayBuffer and stream keep
    // nothing, and a second read of an ended stream would wait forever for its end.
    return source.readableEncoding === null
      ? Effect.succeed({ _tag: "Unreadable", why: PLATFORM_CONSUMED })
      : fromKept(request.text, limit, unreadable)
  }
  if (typeof Request === "function" && source instanceof Request) {
    if (!source.bodyUsed && source.body?.locked !== true) {
      return Effect.async<Read>((resume) => readWeb(source, limit, asRead(resume)))
    }
    // The platform keeps the text and the bytes of a web request apart: whichever a middleware read. Neither,
    // when the Request was read before the platform had it.
    return fromKept(Effect.orElse(request.arrayBuffer, () => request.text), limit, () => WEB_CONSUMED)
  }
  if (declaredOver(request.headers["content-length"], limit)) return Effect.succeed(TOO_LARGE)
  return request.arrayBuffer.pipe(
    HttpIncomingMessage.withMaxBodySize(Option.some(limit)),
    Effect.match({
      onFailure: (error): Read => ({ _tag: "Unreadable", why: unreadable(error) }),
      onSuccess: (buffer): Read =>
        buffer.byteLength > limit ? TOO_LARGE : { _tag: "Body", bytes: new Uint8Array(buffer) }
    })
  )
}
