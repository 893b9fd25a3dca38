/**
 * The platform's renderer of the engine's replies: each `Reply` as an `HttpServerResponse`, built once.
 *
 * @internal
 */
import * as Headers from "effect/http/Headers"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { Reply } from "openai-webhooks-engine"

/** Headers the platform sets itself from the body. */
const BODY_HEADERS = new Set(["content-type", "content-length"])

/** The platform response of each reply, built on its first use: replies are shared, and so is what they render to. */
const platformResponses = new WeakMap<Reply.Answer, HttpServerResponse.HttpServerResponse>()

/**
 * The platform: its body sets content type and length; the other headers (`allow`) go as they are. A
 * response is immutable, so one per reply serves every delivery: building it (its headers, the body
 * encoded to bytes) is work per request that can be done once.
 */
export const toPlatform = (reply: Reply.Answer): HttpServerResponse.HttpServerResponse => {
  let response = platformResponses.get(reply)
  if (response === undefined) {
    const headers: Record<string, string> = {}
    for (const name in reply.headers) {
      if (!BODY_HEADERS.has(name)) headers[name] = reply.headers[name]!
    }
    response = HttpServerResponse.text(reply.body, {
      status: reply.status,
      contentType: reply.headers["content-type"]!,
      headers: Headers.fromInput(headers)
    })
    platformResponses.set(reply, response)
  }
  return response
}
