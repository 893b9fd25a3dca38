/**
 * The mounting conformance table: requests that every mounting style of every edition (the platform's routers, the
 * fetch handler, the Node listener, behind Express or Fastify) must answer alike, with the status, body and log
 * outcome of the reply table, and the handler run or not. Each edition sends every row through each of its styles
 * on real loopback servers (`test/conformance.test.ts` at the root and in `packages/effect4`); only the wiring is
 * its own. Requests are signed here, with the engine, so that neither edition's testing kit is needed to build them.
 */
import * as Events from "../../src/Events.js"
import type { Level, Outcome } from "../../src/Reply.js"
import * as Secret from "../../src/Secret.js"
import * as Signature from "../../src/Signature.js"
import { replyOf, tooLargeLimit } from "./replies.js"

/** The secret every style is mounted with. */
export const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
/** Another secret: a delivery signed with it is rejected. */
export const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/** The body limit every style is mounted with: small, so that the limit rows are cheap. The 413 row names it. */
export const limit = tooLargeLimit
/** The handler timeout every style is mounted with, in milliseconds: only the timeout row comes near it. */
export const timeoutMillis = 2000

/**
 * What the handler every style runs does with an event, by its type; any other type succeeds. A row chooses what
 * the handler does by the type it signs.
 *
 * - `fail`: a failed Effect; `die`: a defect; `throw`: a throw instead of an Effect (user code with a bug);
 * - `hang`: an Effect that never ends (the timeout row).
 */
export type Behaviour = "fail" | "die" | "throw" | "hang"

export const behaviours: Readonly<Record<string, Behaviour>> = {
  "response.failed": "fail",
  "video.failed": "die",
  "batch.failed": "throw",
  "batch.expired": "hang"
}

/** A request of a row, as plain data: each edition turns it into a `fetch` (or a `Request`). */
export interface Request {
  readonly method: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

export interface Expected {
  readonly status: number
  readonly body: unknown
  /** The `allow` header, on a 405 only. */
  readonly allow: string | null
  /** The message of the delivery's one log line. */
  readonly outcome: Outcome
  /** Its level (the reply table's), as the engine names it: each edition maps it to its logger's label. */
  readonly level: Level
  /** Whether the handler runs. */
  readonly handled: boolean
  /** The line's `event_type`: the wire type once the body was read as an event; none before. */
  readonly eventType: string | undefined
  /** The line's `reason`: the signature's or the decoding's, on a 401 or a 400. */
  readonly reason: string | undefined
  /**
   * The line's `webhook_id`: `sent`, the request's `webhook-id` header as sent (the empty string when it is
   * empty); `none`, the word a line without one says.
   */
  readonly webhookId: "sent" | "none"
}

export interface Row {
  readonly name: string
  /** A fresh request for each style (a fresh id), signed at `nowMillis`. */
  readonly request: (nowMillis: number) => Request
  readonly expected: Expected
}

/** The answer and line of the reply table for `outcome`. */
const expected = (outcome: Outcome, handled: boolean, reason?: string, eventType?: string): Expected => {
  const row = replyOf(outcome, reason)
  return {
    status: row.status,
    body: row.body,
    allow: row.headers["allow"] ?? null,
    outcome,
    level: row.level,
    handled,
    eventType,
    reason,
    webhookId: "sent"
  }
}

const processed = (eventType: string): Expected => expected("processed", true, undefined, eventType)
const failed = (eventType: string): Expected => expected("failed", true, undefined, eventType)
const NOT_ALLOWED = expected("method_not_allowed", false)
const TOO_LARGE = expected("too_large", false)
const rejected = (reason: string): Expected => expected("rejected", false, reason)
const invalid = (reason: string, eventType?: string): Expected => expected("invalid", false, reason, eventType)
/** A line that names no delivery: `webhook_id` says `none`. */
const anonymous = (row: Expected): Expected => ({ ...row, webhookId: "none" })

const keyOf = (text: string): Secret.Key => {
  const parsed = Secret.parse(text)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.value
}

const KEY = keyOf(secret)
const OTHER_KEY = keyOf(otherSecret)

type Headers = Record<string, string>

interface Signing {
  readonly body: string
  readonly id?: string
  /** Minutes from now. */
  readonly shift?: number
  readonly key?: Secret.Key
}

/** A POST of a delivery signed as `signing` says (by the engine, as OpenAI would), its headers changed by `edit`. */
const post = (signing: Signing, edit: (headers: Headers) => Headers = (h) => h) => (nowMillis: number): Request => {
  const delivery = Signature.signDelivery({
    keys: [signing.key ?? KEY],
    body: signing.body,
    id: signing.id,
    timestamp: Math.floor(nowMillis / 1000) + (signing.shift ?? 0) * 60,
    now: nowMillis
  })
  return { method: "POST", headers: edit({ ...delivery.headers }), body: delivery.body }
}

/** OpenAI's sample of `type`, as sent. */
export const sampleBody = (type: Events.Type): string => JSON.stringify(Events.get(type).sample)

const event = (type: Events.Type, options: Omit<Signing, "body"> = {}): Signing => ({
  body: sampleBody(type),
  ...options
})

/** A valid `response.completed` body padded with JSON whitespace to exactly `size` bytes. */
const paddedTo = (size: number): string => {
  const body = sampleBody("response.completed")
  return body + " ".repeat(size - new TextEncoder().encode(body).byteLength)
}

const without = (name: string) => (headers: Headers) => {
  const { [name]: _, ...rest } = headers
  return rest
}

const emptied = (name: string) => (headers: Headers) => ({ ...headers, [name]: "" })

export const rows: ReadonlyArray<Row> = [
  { name: "a signed delivery", request: post(event("response.completed")), expected: processed("response.completed") },
  {
    name: "a signed delivery of a type this version does not know",
    request: post({ body: JSON.stringify({ id: "evt_new", created_at: 1719168000, type: "brand.new", data: {} }) }),
    expected: processed("brand.new")
  },
  {
    name: "a body of exactly the limit",
    request: post({ body: paddedTo(limit) }),
    expected: processed("response.completed")
  },
  { name: "a body one byte over the limit", request: post({ body: paddedTo(limit + 1) }), expected: TOO_LARGE },
  { name: "GET", request: () => ({ method: "GET" }), expected: anonymous(NOT_ALLOWED) },
  {
    name: "PUT of a signed delivery",
    request: (now) => ({ ...post(event("response.completed"))(now), method: "PUT" }),
    expected: NOT_ALLOWED
  },
  ...["webhook-id", "webhook-timestamp", "webhook-signature"].flatMap((header): ReadonlyArray<Row> => [
    {
      name: `${header} missing`,
      request: post(event("batch.completed"), without(header)),
      expected: header === "webhook-id" ? anonymous(rejected("MissingHeader")) : rejected("MissingHeader")
    },
    {
      name: `${header} empty`,
      request: post(event("batch.completed"), emptied(header)),
      expected: rejected("MissingHeader")
    }
  ]),
  {
    name: "a webhook-timestamp that is not a number",
    request: post(event("batch.completed"), (headers) => ({ ...headers, "webhook-timestamp": "yesterday" })),
    expected: rejected("InvalidTimestamp")
  },
  {
    name: "a delivery signed 10 minutes ago",
    request: post(event("batch.completed", { shift: -10 })),
    expected: rejected("TimestampTooOld")
  },
  {
    name: "a delivery signed 10 minutes ahead",
    request: post(event("batch.completed", { shift: 10 })),
    expected: rejected("TimestampTooNew")
  },
  {
    name: "a delivery signed with another secret",
    request: post(event("batch.completed", { key: OTHER_KEY })),
    expected: rejected("NoMatchingSignature")
  },
  {
    name: "a signature folded at its inner comma (v1, <mac>)",
    request: post(event("batch.completed"), (headers) => ({
      ...headers,
      "webhook-signature": headers["webhook-signature"]!.replace("v1,", "v1, ")
    })),
    expected: processed("batch.completed")
  },
  {
    name: "webhook-id: none",
    request: post(event("batch.completed", { id: "none" })),
    expected: processed("batch.completed")
  },
  { name: "an authentic body that is not JSON", request: post({ body: "not json" }), expected: invalid("InvalidJson") },
  {
    name: "an authentic JSON body that is not an event",
    request: post({ body: JSON.stringify({ id: "evt_bad", created_at: 1, type: "response.completed", data: {} }) }),
    expected: invalid("InvalidEvent", "response.completed")
  },
  { name: "a handler that fails", request: post(event("response.failed")), expected: failed("response.failed") },
  { name: "a handler that dies", request: post(event("video.failed")), expected: failed("video.failed") },
  { name: "a handler that throws", request: post(event("batch.failed")), expected: failed("batch.failed") },
  {
    name: "a handler that outlives the timeout",
    request: post(event("batch.expired")),
    expected: failed("batch.expired")
  }
]
