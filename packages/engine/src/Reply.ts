/**
 * What a webhook receiver answers, and what it says about each delivery: the outcome vocabulary, the reply of each
 * outcome (status, small JSON body, headers, built once), the renderers for `node:http` and the web `Response`,
 * and the names and bounds of a delivery's log line, span and metric. Each edition renders the same replies and
 * logs the same words; none of it depends on how the delivery was run.
 *
 * | situation | outcome | status |
 * |---|---|---|
 * | handled | `processed` | 200 |
 * | a copy of a delivery already handled | `duplicate` | 200 |
 * | stored for a worker (queued mode) | `queued` | 200 |
 * | method other than POST | `method_not_allowed` | 405 (with `allow: POST`) |
 * | body over the limit | `too_large` | 413 |
 * | signature check failed | `rejected` | 401 |
 * | authentic but undecodable | `invalid` | 400 |
 * | the handler failed, died or timed out; the body could not be read | `failed` | 500 (OpenAI retries) |
 *
 * @since 0.3.0
 */
import type { ServerResponse } from "node:http"

/**
 * What happened to a delivery, in one word: the message of its log line, its span's `openai.webhook.outcome` and
 * its metric's `outcome` tag.
 *
 * @since 0.3.0
 * @category models
 */
export type Outcome =
  | "processed"
  | "duplicate"
  | "queued"
  | "rejected"
  | "invalid"
  | "failed"
  | "too_large"
  | "method_not_allowed"

/**
 * Every {@link Outcome}, in the order of the table above.
 *
 * @since 0.3.0
 * @category constants
 */
export const outcomes: ReadonlyArray<Outcome> = [
  "processed",
  "duplicate",
  "queued",
  "method_not_allowed",
  "too_large",
  "rejected",
  "invalid",
  "failed"
]

/**
 * A log level, as each edition's logger names it.
 *
 * @since 0.3.0
 * @category models
 */
export type Level = "info" | "warning" | "error"

/**
 * The level of each outcome's line: what went as expected is `info`; what a sender got wrong (a wrong method, a
 * body too large, a bad signature) `warning`; what loses or delays an event (authentic but undecodable, the
 * handler failed) `error`.
 *
 * @since 0.3.0
 * @category constants
 */
export const levels: Readonly<Record<Outcome, Level>> = {
  processed: "info",
  duplicate: "info",
  queued: "info",
  rejected: "warning",
  invalid: "error",
  failed: "error",
  too_large: "warning",
  method_not_allowed: "warning"
}

/**
 * The status, body and headers of an answer.
 *
 * @since 0.3.0
 * @category models
 */
export interface Answer {
  readonly status: number
  readonly body: string
  /** Computed once per answer: content type and length, and any others (`allow` for a 405). */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * A delivery's answer, with its outcome.
 *
 * @since 0.3.0
 * @category models
 */
export interface Reply extends Answer {
  readonly outcome: Outcome
}

const encoder = new TextEncoder()

/**
 * A small JSON answer, to be built once and shared: the one place a JSON body gets its `content-type` and
 * `content-length` (in bytes); `headers` adds others.
 *
 * @since 0.3.0
 * @category constructors
 */
export const jsonAnswer = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Answer => {
  const body = JSON.stringify(value)
  return {
    status,
    body,
    headers: {
      "content-type": "application/json",
      "content-length": String(encoder.encode(body).byteLength),
      ...headers
    }
  }
}

const reply = (
  status: number,
  outcome: Outcome,
  value: unknown,
  headers?: Readonly<Record<string, string>>
): Reply => ({ ...jsonAnswer(status, value, headers), outcome })

/**
 * 200 `{"received":true}`: handled.
 *
 * @since 0.3.0
 * @category replies
 */
export const processed: Reply = reply(200, "processed", { received: true })

/**
 * 200 `{"received":true,"duplicate":true}`: a copy of a delivery already handled.
 *
 * @since 0.3.0
 * @category replies
 */
export const duplicate: Reply = reply(200, "duplicate", { received: true, duplicate: true })

/**
 * 200 `{"received":true,"queued":true}`: stored, a worker will handle it.
 *
 * @since 0.3.0
 * @category replies
 */
export const queued: Reply = reply(200, "queued", { received: true, queued: true })

/**
 * 405 with `allow: POST`: deliveries are POST requests.
 *
 * @since 0.3.0
 * @category replies
 */
export const methodNotAllowed: Reply = reply(405, "method_not_allowed", {
  error: { type: "MethodNotAllowed", message: "Webhook deliveries are POST requests" }
}, { allow: "POST" })

/**
 * 500: the delivery was not processed (the handler failed, died or timed out, or its body could not be read);
 * OpenAI retries it. The body says no more: the line says why.
 *
 * @since 0.3.0
 * @category replies
 */
export const failed: Reply = reply(500, "failed", {
  error: { type: "HandlerError", message: "The delivery was not processed; it will be retried" }
})

/**
 * 413 naming the limit, in bytes: build it once per limit.
 *
 * @since 0.3.0
 * @category replies
 */
export const tooLarge = (limit: number): Reply =>
  reply(413, "too_large", { error: { type: "PayloadTooLarge", message: `The body is larger than ${limit} bytes` } })

/** Replies by reason: the reasons are closed sets of literals, so each is built once. */
const byReason = (status: number, outcome: Outcome, type: string) => {
  const built = new Map<string, Reply>()
  return (reason: string): Reply => {
    let found = built.get(reason)
    if (found === undefined) {
      found = reply(status, outcome, { error: { type, reason } })
      built.set(reason, found)
    }
    return found
  }
}

/**
 * 401 `{"error":{"type":"SignatureError","reason":...}}`: the signature check's reason (`MissingHeader`,
 * `InvalidTimestamp`, `TimestampTooOld`, `TimestampTooNew`, `NoMatchingSignature`), never its message, which may
 * say more than a sender should learn. Built once per reason.
 *
 * @since 0.3.0
 * @category replies
 */
export const rejected: (reason: string) => Reply = byReason(401, "rejected", "SignatureError")

/**
 * 400 `{"error":{"type":"DecodeError","reason":...}}`: authentic but undecodable (`InvalidJson`, `InvalidEvent`).
 * Built once per reason.
 *
 * @since 0.3.0
 * @category replies
 */
export const invalid: (reason: string) => Reply = byReason(400, "invalid", "DecodeError")

/**
 * Writes `answer` to a `node:http` response, once: a response already answered, or whose connection is gone, is
 * left alone.
 *
 * @since 0.3.0
 * @category renderers
 */
export const toNode = (response: ServerResponse, answer: Answer): void => {
  if (response.headersSent || response.destroyed) return
  response.writeHead(answer.status, answer.headers).end(answer.body)
}

/**
 * `answer` as a web `Response`, for a fetch-style handler.
 *
 * @since 0.3.0
 * @category renderers
 */
export const toWeb = (answer: Answer): Response =>
  new Response(answer.body, { status: answer.status, headers: answer.headers })

// The log line, the span and the metric of a delivery.

/**
 * The annotations (structured fields) of a delivery's log line, by what they hold. `webhookId` and `eventType` are
 * on every line of a delivery, the handler's own lines too; `reason` and `error` on the lines of a rejected,
 * invalid or failed delivery; `body` on an invalid one's (and a dead letter's); `attempt` and `retryIn` on a
 * queued delivery's attempts.
 *
 * @since 0.3.0
 * @category log
 */
export const fields = {
  webhookId: "webhook_id",
  eventType: "event_type",
  reason: "reason",
  error: "error",
  body: "body",
  attempt: "attempt",
  retryIn: "retry_in"
} as const

/**
 * The `webhook_id` of a delivery that has none.
 *
 * @since 0.3.0
 * @category log
 */
export const noId = "none"

/**
 * What the workers of queued mode log for an attempt, beside `processed` and `failed` (which they share with the
 * edge: `failed` at `warning` when a retry is scheduled): `dead` (`error`) when the delivery is kept as a dead
 * letter, `takenOver` (`warning`) when another worker took it over meanwhile.
 *
 * @since 0.3.0
 * @category log
 */
export const attempts = { dead: "dead", takenOver: "taken over" } as const

/**
 * The span around a delivery and its attributes.
 *
 * @since 0.3.0
 * @category log
 */
export const span = {
  name: "openai.webhook",
  id: "openai.webhook.id",
  outcome: "openai.webhook.outcome",
  eventType: "openai.webhook.event_type",
  /** A worker attempt's number (1 for the first), on its own `openai.webhook` span. @since 0.4.0 */
  attempt: "openai.webhook.attempt"
} as const

/**
 * The deliveries counter: its name, description and tags. `event_type` is a type the catalogue knows, `unknown`
 * for any other (so a sender cannot grow the series) and `none` for a delivery without one.
 *
 * @since 0.3.0
 * @category log
 */
export const metric = {
  name: "openai_webhook_deliveries_total",
  description: "OpenAI webhook deliveries received, by outcome and event type",
  tags: ["outcome", "event_type"] as const,
  unknownType: "unknown",
  noType: "none"
} as const

/**
 * The `event_type` tag of a delivery's count: its type if `known`, else `unknown`; `none` without one.
 *
 * @since 0.3.0
 * @category log
 */
export const metricEventType = (eventType: string | undefined, known: (type: string) => boolean): string =>
  eventType === undefined ? metric.noType : known(eventType) ? eventType : metric.unknownType

/**
 * How much of a wire `type` is logged (and kept in the span and the inbox): OpenAI's types are a few dozen
 * characters.
 *
 * @since 0.3.0
 * @category log
 */
export const maxLoggedType = 200

/**
 * How many bytes of an undecodable body its line keeps: every payload OpenAI sends fits whole, and a hostile one
 * (a megabyte of nesting) does not flood the log.
 *
 * @since 0.3.0
 * @category log
 */
export const maxLoggedBody = 64 * 1024

/**
 * `text` if at most `max` characters, else its first `max` and how many more there were.
 *
 * @since 0.3.0
 * @category log
 */
export const shortened = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`

/**
 * A wire `type` as logged: {@link shortened} to {@link maxLoggedType}.
 *
 * @since 0.3.0
 * @category log
 */
export const loggedType = (type: string): string => shortened(type, maxLoggedType)

const utf8 = new TextDecoder()

/**
 * A body as its line keeps it: its text (invalid UTF-8 replaced), the first {@link maxLoggedBody} bytes of a
 * longer one and how many more bytes there were.
 *
 * @since 0.3.0
 * @category log
 */
export const loggedBody = (bytes: Uint8Array): string =>
  bytes.byteLength <= maxLoggedBody
    ? utf8.decode(bytes)
    : `${utf8.decode(bytes.subarray(0, maxLoggedBody))}... (${bytes.byteLength - maxLoggedBody} more bytes)`

/**
 * Where a delivery had got to when its time ran out: the handler running, the copy waiting on another copy's
 * claim (inbox, inline mode), or a statement of the inbox's database in flight.
 *
 * @since 0.3.0
 * @category models
 */
export type Phase = "handler" | "held" | "store"

/**
 * The `error` of the `failed` line of a delivery answered 500 after `within` (a duration as the edition writes it,
 * `10s`), by where it had got to.
 *
 * @since 0.3.0
 * @category log
 */
export const unfinished = (phase: Phase, within: string): string => {
  switch (phase) {
    case "handler":
      return `the handler did not finish within ${within}: it was interrupted and answered 500, so OpenAI will retry`
    case "held":
      return `the delivery is held by another instance's claim (or another copy in this one) that did not end within ` +
        `${within}: answered 500, so OpenAI will retry it once the claim is done or its lease has expired`
    case "store":
      return `the inbox's database did not answer within ${within}: answered 500, so OpenAI will retry`
  }
}

/**
 * The `error` of the `failed` line of a delivery whose inbox statement failed.
 *
 * @since 0.3.0
 * @category log
 */
export const storeFailed = "the inbox's database failed: OpenAI will retry"

/**
 * The `error` of the `failed` line of a request the receiver's own code could not handle (a bug, a broken adapter).
 *
 * @since 0.3.0
 * @category log
 */
export const crashed = "the request could not be handled: OpenAI will retry"
