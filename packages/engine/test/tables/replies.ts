/**
 * The reply table: for each situation, the outcome, the status, the JSON body and the headers a receiver answers
 * with, and the level of its line. The engine's replies are checked against it in `Reply.test.ts`; each edition's
 * HTTP tests take their expected answers from it.
 */
import type { Outcome } from "../../src/Reply.js"

export interface ReplyRow {
  readonly situation: string
  readonly outcome: Outcome
  /** The signature or decoding reason a 401 or 400 names. */
  readonly reason?: string
  /** The limit a 413 names, in bytes. */
  readonly limit?: number
  readonly status: number
  readonly body: unknown
  /** Headers besides content type and length. */
  readonly headers: Readonly<Record<string, string>>
  readonly level: "info" | "warning" | "error"
}

const HANDLER_ERROR = { error: { type: "HandlerError", message: "The delivery was not processed; it will be retried" } }

/** The limit of the 413 row: the conformance suite mounts every style with it. */
export const tooLargeLimit = 2048

export const signatureReasons = [
  "MissingHeader",
  "InvalidTimestamp",
  "TimestampTooOld",
  "TimestampTooNew",
  "NoMatchingSignature"
] as const

export const decodeReasons = ["InvalidJson", "InvalidEvent"] as const

export const replies: ReadonlyArray<ReplyRow> = [
  {
    situation: "handled",
    outcome: "processed",
    status: 200,
    body: { received: true },
    headers: {},
    level: "info"
  },
  {
    situation: "a copy of a delivery already handled",
    outcome: "duplicate",
    status: 200,
    body: { received: true, duplicate: true },
    headers: {},
    level: "info"
  },
  {
    situation: "stored for a worker (queued mode)",
    outcome: "queued",
    status: 200,
    body: { received: true, queued: true },
    headers: {},
    level: "info"
  },
  {
    situation: "a method other than POST",
    outcome: "method_not_allowed",
    status: 405,
    body: { error: { type: "MethodNotAllowed", message: "Webhook deliveries are POST requests" } },
    headers: { allow: "POST" },
    level: "warning"
  },
  {
    situation: `a body over a limit of ${tooLargeLimit} bytes`,
    outcome: "too_large",
    limit: tooLargeLimit,
    status: 413,
    body: { error: { type: "PayloadTooLarge", message: `The body is larger than ${tooLargeLimit} bytes` } },
    headers: {},
    level: "warning"
  },
  ...signatureReasons.map((reason): ReplyRow => ({
    situation: `a signature check that failed with ${reason}`,
    outcome: "rejected",
    reason,
    status: 401,
    body: { error: { type: "SignatureError", reason } },
    headers: {},
    level: "warning"
  })),
  ...decodeReasons.map((reason): ReplyRow => ({
    situation: `an authentic body that failed to decode with ${reason}`,
    outcome: "invalid",
    reason,
    status: 400,
    body: { error: { type: "DecodeError", reason } },
    headers: {},
    level: "error"
  })),
  {
    situation: "a handler that failed, died or timed out, or a body that could not be read",
    outcome: "failed",
    status: 500,
    body: HANDLER_ERROR,
    headers: {},
    level: "error"
  }
]

/** The row of `outcome` (and of `reason`, for `rejected` and `invalid`). */
export const replyOf = (outcome: Outcome, reason?: string): ReplyRow => {
  const row = replies.find((row) => row.outcome === outcome && (reason === undefined || row.reason === reason))
  if (row === undefined) throw new Error(`no reply row for ${outcome} ${reason ?? ""}`)
  return row
}
