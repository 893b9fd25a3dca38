/**
 * The body reader of the platform's request (`toHttpApp`, `layerRoute`), on the engine's body-reading contract:
 * a request nobody has read is read by the engine's reader of what is underneath; a body a middleware read first
 * is taken from what `effect/http` keeps of it.
 *
 * @internal
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as ByteSize from "effect/ByteSize"
import * as Effect from "effect/Effect"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import { Body } from "openai-webhooks-engine"

/**
 * A middleware read the body before us, and the platform kept none of it: it read `request.stream` (Effect 4 keeps
 * what `request.arrayBuffer`, `request.text` and `request.json` read, on Node and on the web alike), or the request
 * was read before the platform had it.
 */
export const PLATFORM_CONSUMED =
  "the request body was read before the webhook handler (a middleware read request.stream), so its signature " +
  "cannot be checked: leave the body of the webhook route unread, or read it with request.arrayBuffer or " +
  "request.text, which the platform keeps for the handlers after it"

/**
 * A sink that resumes the reading fiber with what it is told. Built here rather than as `Body.sink` of a
 * resuming callback: that would be one more closure per request, and the platform path is benchmarked.
 */
const resuming = (resume: (read: Effect.Effect<Body.Read>) => void): Body.Sink => ({
  body: (bytes) => resume(Effect.succeed({ _tag: "Body", bytes })),
  tooLarge: () => resume(Effect.succeed(Body.tooLarge)),
  unreadable: (why) => resume(Effect.succeed({ _tag: "Unreadable", why }))
})

/**
 * What the platform kept of a body a middleware read through it: `effect/http`'s requests (Node's and the web's)
 * cache the read of `arrayBuffer` in this field, and derive `text` and `json` from it. Undefined when nobody read
 * it through the platform. (Effect 3's platform kept the text only, and said so by the stream's encoding.)
 */
const keptOf = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<ArrayBuffer, unknown> | undefined =>
  (request as { readonly arrayBufferEffect?: Effect.Effect<ArrayBuffer, unknown> }).arrayBufferEffect

/** Whether the platform's reader stopped at the limit (its `RequestParseError` of reason `BodyTooLarge`). */
const overLimit = (error: unknown): boolean =>
  typeof error === "object" && error !== null &&
  (error as { readonly reason?: { readonly reason?: unknown } }).reason?.reason === "BodyTooLarge"

/**
 * The bytes of the platform's reader, against the limit: bounded by it (`MaxBodySize`) when the read has not run
 * yet (a middleware that only touched `request.arrayBuffer`), and checked again when it had.
 */
const fromPlatform = (read: Effect.Effect<ArrayBuffer, unknown>, limit: number) =>
  read.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limit)),
    Effect.match({
      onFailure: (error): Body.Read =>
        overLimit(error) ? Body.tooLarge : { _tag: "Unreadable", why: Body.readFailed(error) },
      // Bytes: never unreadable, so no reason is needed.
      onSuccess: (buffer): Body.Read => Body.fromValue(new Uint8Array(buffer), limit, "")
    })
  )

/**
 * RFC 9110 10.1.1: a client that sent `Expect: 100-continue` waits for a `100 Continue` before it sends the body.
 * `@effect/platform-node` 4 takes Node's `checkContinue` and holds the 100 back until its own reader reads the body;
 * ours reads the Node request itself, so it sends the 100, on the response the platform holds (where
 * `NodeHttpServerRequest.toServerResponse` finds it). Not to a body declared over the limit: that is answered 413 at
 * once, and its client need not send it. (Effect 3's platform left the 100 to Node.)
 */
const continueIfAsked = (request: HttpServerRequest.HttpServerRequest, source: IncomingMessage, limit: number) => {
  const expect = source.headers.expect
  if (expect === undefined || expect.toLowerCase() !== "100-continue") return
  if (Body.declaredOver(source.headers["content-length"], limit)) return
  const held = (request as { readonly response?: ServerResponse | (() => ServerResponse) }).response
  const response = typeof held === "function" ? held() : held
  if (response !== undefined && !response.headersSent) response.writeContinue()
}

/**
 * The platform adapter. A request nobody has read is read by the engine's reader of what is underneath: on
 * `@effect/platform-node` the Node reader (which answers 413 on a connection that stays usable), a web `Request`
 * (Bun, a web handler) the web reader. A body a middleware read first through the platform is taken from what the
 * platform keeps; anything else is read by the platform's reader, bounded.
 */
export const readPlatform = (request: HttpServerRequest.HttpServerRequest, limit: number): Effect.Effect<Body.Read> => {
  const source = request.source
  const kept = keptOf(request)
  if (kept !== undefined) return fromPlatform(kept, limit)
  if (Body.isIncomingMessage(source)) {
    if (Body.untouched(source)) {
      return Effect.callback<Body.Read>((resume) => {
        continueIfAsked(request, source, limit)
        Body.readNode(source, limit, resuming(resume))
      })
    }
    return Effect.succeed({ _tag: "Unreadable", why: PLATFORM_CONSUMED })
  }
  if (typeof Request === "function" && source instanceof Request) {
    // The web reader says itself when the Request was read or locked before (Body.webConsumed).
    return Effect.callback<Body.Read>((resume) => Body.readWeb(source, limit, resuming(resume)))
  }
  if (Body.declaredOver(request.headers["content-length"], limit)) return Effect.succeed(Body.tooLarge)
  return fromPlatform(request.arrayBuffer, limit)
}
