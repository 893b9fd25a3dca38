/**
 * The body reader of the platform's request (`toHttpApp`, `layerRoute`), on the engine's body-reading contract:
 * a request nobody has read is read by the engine's reader of what is underneath; a body a middleware read first
 * is taken from what `@effect/platform` keeps of it.
 *
 * @internal
 */
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Body } from "openai-webhooks-engine"

/**
 * `@effect/platform-node`: a middleware read the body with `request.arrayBuffer` or `request.stream` before
 * us, and the platform keeps none of it (it keeps what `request.text` read).
 */
export const PLATFORM_CONSUMED =
  "the request body was read before the webhook handler (a middleware read request.arrayBuffer or " +
  "request.stream), so its signature cannot be checked: leave the body of the webhook route unread, or read it " +
  "with request.text, which the platform keeps for the handlers after it"

/**
 * A sink that resumes the reading fiber with what it is told. Built here rather than as `Body.sink` of a
 * resuming callback: that would be one more closure per request, and the platform path is benchmarked.
 */
const resuming = (resume: (read: Effect.Effect<Body.Read>) => void): Body.Sink => ({
  body: (bytes) => resume(Effect.succeed({ _tag: "Body", bytes })),
  tooLarge: () => resume(Effect.succeed(Body.tooLarge)),
  unreadable: (why) => resume(Effect.succeed({ _tag: "Unreadable", why }))
})

/** Bytes, or text as its UTF-8 bytes (as `express.text()`), that the platform kept from a read before us. */
const fromKept = (
  kept: Effect.Effect<ArrayBuffer | string, unknown>,
  limit: number,
  why: (error: unknown) => string
) =>
  Effect.match(kept, {
    onFailure: (error): Body.Read => ({ _tag: "Unreadable", why: why(error) }),
    // Bytes or text: never unreadable, so no reason is needed.
    onSuccess: (value): Body.Read =>
      Body.fromValue(typeof value === "string" ? value : new Uint8Array(value), limit, "")
  })

/**
 * The platform adapter. A request nobody has read is read by the engine's reader of what is underneath:
 * on `@effect/platform-node` the Node reader (the platform's reader destroys the socket at the limit,
 * so the client would never see the 413), a web `Request` (Bun, a web handler) the web reader. A body
 * a middleware read first through the platform is taken from what the platform keeps (`request.text`,
 * and on web `request.arrayBuffer`); anything else is read by the platform's reader, bounded.
 */
export const readPlatform = (request: HttpServerRequest.HttpServerRequest, limit: number): Effect.Effect<Body.Read> => {
  const source = request.source
  if (Body.isIncomingMessage(source)) {
    if (Body.untouched(source)) {
      return Effect.async<Body.Read>((resume) => Body.readNode(source, limit, resuming(resume)))
    }
    // The platform's request.text sets the stream's encoding and keeps the text; its arrayBuffer and stream keep
    // nothing, and a second read of an ended stream would wait forever for its end.
    return source.readableEncoding === null
      ? Effect.succeed({ _tag: "Unreadable", why: PLATFORM_CONSUMED })
      : fromKept(request.text, limit, Body.readFailed)
  }
  if (typeof Request === "function" && source instanceof Request) {
    if (!source.bodyUsed && source.body?.locked !== true) {
      return Effect.async<Body.Read>((resume) => Body.readWeb(source, limit, resuming(resume)))
    }
    // The platform keeps the text and the bytes of a web request apart: whichever a middleware read. Neither,
    // when the Request was read before the platform had it.
    return fromKept(Effect.orElse(request.arrayBuffer, () => request.text), limit, () => Body.webConsumed)
  }
  if (Body.declaredOver(request.headers["content-length"], limit)) return Effect.succeed(Body.tooLarge)
  return request.arrayBuffer.pipe(
    HttpIncomingMessage.withMaxBodySize(Option.some(limit)),
    Effect.match({
      onFailure: (error): Body.Read => ({ _tag: "Unreadable", why: Body.readFailed(error) }),
      onSuccess: (buffer): Body.Read =>
        buffer.byteLength > limit ? Body.tooLarge : { _tag: "Body", bytes: new Uint8Array(buffer) }
    })
  )
}
