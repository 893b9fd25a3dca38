/**
 * What the HTTP core answers, and the one renderer per target (a Node `ServerResponse`, a web
 * `Response`, the platform's `HttpServerResponse`), each fed by the same {@link Reply}.
 *
 * @internal
 */
import type { ServerResponse } from "node:http"
import * as Headers from "@effect/platform/Headers"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"

/** What happened to a delivery, in one word: the log message, the span attribute and the metric tag. */
export type Outcome =
  | "processed"
  | "duplicate"
  | "queued"
  | "rejected"
  | "invalid"
  | "failed"
  | "too_large"
  | "method_not_allowed"

/** The status, body and headers of an answer. */
export interface Answer {
  readonly status: number
  readonly body: string
  /** Computed once per answer: content type and length, and any others (`allow` for a 405). */
  readonly headers: Readonly<Record<string, string>>
}

/** A delivery's answer, with its outcome. */
export interface Reply extends Answer {
  readonly outcome: Outcome
}

/** A small JSON answer, built once and shared: the one place a JSON body gets its type and length. */
export const jsonAnswer = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Answer => {
  const body = JSON.stringify(value)
  return {
    status,
    body,
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers }
  }
}

/** A JSON reply. Replies are built once (per mount, or per reason) and shared by every delivery. */
export const json = (status: number, outcome: Outcome, value: unknown): Reply => ({
  ...jsonAnswer(status, value, status === 405 ? { allow: "POST" } : {}),
  outcome
})

/** Node: answers once; a response already answered or a connection gone is left alone. */
export const toNode = (response: ServerResponse, reply: Answer): void => {
  if (response.headersSent || response.destroyed) return
  response.writeHead(reply.status, reply.headers).end(reply.body)
}

/** Web: the `Response` of a fetch handler. */
export const toWeb = (reply: Reply): Response =>
  new Response(reply.body, { status: reply.status, headers: reply.headers })

/** Headers the platform sets itself from the body. */
const BODY_HEADERS = new Set(["content-type", "content-length"])

/** The platform response of each reply, built on its first use: replies are shared, and so is what they render to. */
const platformResponses = new WeakMap<Reply, HttpServerResponse.HttpServerResponse>()

/**
 * The platform: its body sets content type and length; the other headers (`allow`) go as they are. A
 * response is immutable, so one per reply serves every delivery: building it (its headers, the body
 * encoded to bytes) is work per request that can be done once.
 */
export const toPlatform = (reply: Reply): HttpServerResponse.HttpServerResponse => {
  let response = platformResponses.get(reply)
  if (response === undefined) {
    let headers = Headers.empty
    for (const name in reply.headers) {
      if (!BODY_HEADERS.has(name)) headers = Headers.set(headers, name, reply.headers[name]!)
    }
    response = HttpServerResponse.text(reply.body, {
      status: reply.status,
      contentType: reply.headers["content-type"]!,
      headers
    })
    platformResponses.set(reply, response)
  }
  return response
}
