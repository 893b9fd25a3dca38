/**
 * What every edition's `WebhookEndpoints` must do alike (`Endpoints`): each status OpenAI may answer and its reason,
 * input outside the documented limits refused before sending (the wire field and the message), the retry rules
 * against scripted answers, and options refused when the service is built. The engine runs them through `Endpoints`; each edition through its service against
 * the loopback API of `../support/openai-api.ts`.
 */
import type { OptionProblem, Reason } from "../../src/Endpoints.js"
import type { Scripted } from "../support/openai-api.js"

/** A status and the reason an `ApiError` gives it. */
export const statuses: ReadonlyArray<readonly [number, Reason]> = [
  [400, "UnprocessableEntity"],
  [401, "Authentication"],
  [403, "PermissionDenied"],
  [404, "NotFound"],
  [409, "Conflict"],
  [422, "UnprocessableEntity"],
  [429, "RateLimited"],
  [500, "Server"],
  [502, "Server"],
  [503, "Server"],
  [418, "InvalidResponse"]
]

/** One call of the service, named by its function, with the arguments a user gives it. */
export type Call =
  | { readonly _tag: "create"; readonly url: string; readonly name: string; readonly eventTypes: ReadonlyArray<string> }
  | {
    readonly _tag: "update"
    readonly id: string
    readonly url?: string
    readonly name?: string
    readonly eventTypes?: ReadonlyArray<string>
  }
  | { readonly _tag: "listPage"; readonly limit?: number }
  | { readonly _tag: "list"; readonly limit: number }
  | { readonly _tag: "retrieve"; readonly id: string }
  | { readonly _tag: "del"; readonly id: string }
  | { readonly _tag: "rotateSecret"; readonly id: string; readonly keepOldSecretActiveFor24Hours?: boolean }
  | { readonly _tag: "test"; readonly id: string; readonly eventType: string }
  | { readonly _tag: "eventTypes" }

/** A call whose input breaks a documented limit: refused, `UnprocessableEntity`, `param` the wire field, nothing sent. */
export interface Refusal {
  readonly name: string
  readonly call: Call
  readonly param: string
  readonly message: RegExp
}

const created = { url: "https://example.com/webhooks/openai", name: "production", eventTypes: ["response.completed"] }

export const refusals: ReadonlyArray<Refusal> = [
  {
    name: "a URL that is not https",
    call: { _tag: "create", ...created, url: "http://example.com/hook" },
    param: "url",
    message: /url must be https/
  },
  {
    name: "a URL of 2049 characters",
    call: { _tag: "create", ...created, url: `https://example.com/${"a".repeat(2048 - 20 + 1)}` },
    param: "url",
    message: /2049 characters; OpenAI accepts at most 2048/
  },
  {
    name: "a URL that is not one (without repeating it: it may carry a token)",
    call: { _tag: "update", id: "whe_1", url: "example.com/token=abc" },
    param: "url",
    message: /^url is not an absolute URL \(not sent\)$/
  },
  { name: "an empty name", call: { _tag: "create", ...created, name: "" }, param: "name", message: /it is 0/ },
  {
    name: "a name of 257 characters",
    call: { _tag: "update", id: "whe_1", name: "n".repeat(257) },
    param: "name",
    message: /1 to 256 characters; it is 257/
  },
  ...[0, 101, 1.5].flatMap((limit): ReadonlyArray<Refusal> => [
    {
      name: `a page of ${limit}`,
      call: { _tag: "listPage", limit },
      param: "limit",
      message: /limit must be a whole number from 1 to 100/
    },
    { name: `a listing by pages of ${limit}`, call: { _tag: "list", limit }, param: "limit", message: /from 1 to 100/ }
  ]),
  { name: "an empty ID", call: { _tag: "retrieve", id: "" }, param: "id", message: /the endpoint ID is empty/ },
  { name: "the ID ..", call: { _tag: "del", id: ".." }, param: "id", message: /cannot be "\.\."/ },
  { name: "the ID .", call: { _tag: "rotateSecret", id: "." }, param: "id", message: /cannot be "\."/ }
]

/** Input at the limits, accepted: a URL of exactly 2048 characters, a name of 256 code points (312 UTF-16 units). */
export const atTheLimits = {
  ...created,
  url: `https://example.com/${"a".repeat(2048 - 20)}`,
  name: "é".repeat(200) + "😀".repeat(56)
} as const

/** Options refused when the service is built: the option named, its reason, and the start of the message. */
export interface RefusedOption {
  readonly options: {
    readonly apiKey: string
    readonly baseUrl?: string
    readonly project?: string
    readonly timeoutMillis?: number
    readonly maxRetries?: number
  }
  readonly option: OptionProblem["option"]
  readonly reason: OptionProblem["reason"]
  readonly message: string
}

/** A key shaped as OpenAI's; no message may hold it. */
export const apiKey = "sk-proj-Xq3vT9LmN2pR7sK4wY8zB1cD5fG6hJ0aEndpointsTestKey"

export const refusedOptions: ReadonlyArray<RefusedOption> = [
  { options: { apiKey: "" }, option: "apiKey", reason: "Malformed", message: "the API key is empty" },
  { options: { apiKey: `${apiKey} ` }, option: "apiKey", reason: "Malformed", message: "the API key contains whitespace" },
  {
    options: { apiKey: `${apiKey}\n\n` },
    option: "apiKey",
    reason: "Malformed",
    message: "the API key contains whitespace"
  },
  {
    options: { apiKey, baseUrl: "ftp://example.com" },
    option: "baseUrl",
    reason: "Malformed",
    message: "Expected an http(s) URL"
  },
  { options: { apiKey, baseUrl: "api.openai.com" }, option: "baseUrl", reason: "Malformed", message: "Expected an http(s) URL" },
  {
    options: { apiKey, baseUrl: "https://user:hunter2@proxy.example.com/v1" },
    option: "baseUrl",
    reason: "Malformed",
    message: "Expected a URL without user:password@"
  },
  { options: { apiKey, project: "" }, option: "project", reason: "Malformed", message: "Expected an ID" },
  {
    options: { apiKey, timeoutMillis: 0 },
    option: "timeout",
    reason: "OutOfRange",
    message: "Expected a duration longer than zero"
  },
  { options: { apiKey, maxRetries: -1 }, option: "maxRetries", reason: "OutOfRange", message: "Expected a whole number" },
  { options: { apiKey, maxRetries: 1.5 }, option: "maxRetries", reason: "OutOfRange", message: "Expected a whole number" }
]

/**
 * A call against answers scripted on the loopback API, and what the retry rules make of them: each retry the
 * service announces (a debug line, its wait within bounds when given; the runner moves the clock by that wait and
 * checks that nothing was sent a millisecond before it), then how many requests were made and how the call ended.
 */
export interface RetryRow {
  readonly name: string
  readonly call: Call
  /** The answers of the first requests, in order; the later ones are the API's own. */
  readonly answers: ReadonlyArray<Scripted>
  readonly maxRetries?: number
  readonly retries: ReadonlyArray<{ readonly announced: string; readonly wait?: readonly [number, number] }>
  readonly requests: number
  /** The error's reason and what its message says, or `undefined`: the call succeeds. */
  readonly fails?: { readonly reason: Reason; readonly message: ReadonlyArray<string> }
}

const NOT_RETRIED = "The request may have reached OpenAI; not retried: check with list/retrieve before trying again"
const createCall: Call = { _tag: "create", ...created }

export const retries: ReadonlyArray<RetryRow> = [
  {
    name: "waits the retry-after of a 429 (seconds) on the clock, then retries",
    call: { _tag: "eventTypes" },
    answers: [{ status: 429, retryAfter: "2" }],
    retries: [{ announced: "retrying GET /webhook_event_types in 2000 ms (retry 1 of 2) after 429 RateLimited" }],
    requests: 2
  },
  {
    name: "waits a retry-after-ms in milliseconds",
    call: { _tag: "listPage" },
    answers: [{ status: 503, headers: { "retry-after-ms": "1500" } }],
    retries: [{ announced: "in 1500 ms (retry 1 of 2) after 503 Server" }],
    requests: 2
  },
  {
    name: "does not wait a retry-after longer than a minute: the error says how long OpenAI asked for",
    call: { _tag: "eventTypes" },
    answers: [{ status: 429, retryAfter: "120" }],
    retries: [],
    requests: 1,
    fails: { reason: "RateLimited", message: ["OpenAI asked to wait 120 s before trying again"] }
  },
  {
    name: "retries 5xx on idempotent calls with exponential backoff and jitter, then succeeds",
    call: { _tag: "listPage" },
    answers: [{ status: 500 }, { status: 502 }],
    retries: [{ announced: "after 500 Server", wait: [375, 500] }, { announced: "after 502 Server", wait: [750, 1000] }],
    requests: 3
  },
  {
    name: "gives up after maxRetries, saying how many attempts it made",
    call: { _tag: "listPage" },
    answers: [{ status: 503, retryAfter: "1" }, { status: 503, retryAfter: "1" }, { status: 503, retryAfter: "1" }],
    retries: [{ announced: "(retry 1 of 2) after 503 Server" }, { announced: "(retry 2 of 2) after 503 Server" }],
    requests: 3,
    fails: { reason: "Server", message: ["(after 3 attempts)"] }
  },
  {
    name: "never retries with maxRetries 0",
    call: { _tag: "listPage" },
    answers: [{ status: 503 }],
    maxRetries: 0,
    retries: [],
    requests: 1,
    fails: { reason: "Server", message: ["GET /webhook_endpoints: 503, OpenAI failed"] }
  },
  ...[
    ["create", createCall],
    ["rotateSecret", { _tag: "rotateSecret", id: "whe_1", keepOldSecretActiveFor24Hours: true }],
    ["test", { _tag: "test", id: "whe_1", eventType: "response.completed" }]
  ].map(([name, call]): RetryRow => ({
    name: `${name} is not retried on a 500: the request may have been processed, and the error says so`,
    call: call as Call,
    answers: [{ status: 500 }],
    retries: [],
    requests: 1,
    fails: { reason: "Server", message: [NOT_RETRIED] }
  })),
  {
    name: "create is retried on a 429 and on a 503 (refused, not processed)",
    call: createCall,
    answers: [{ status: 429, retryAfter: "1" }, { status: 503, retryAfter: "1" }],
    retries: [{ announced: "after 429 RateLimited" }, { announced: "after 503 Server" }],
    requests: 3
  },
  {
    name: "a 404 is an answer, not a failure to retry",
    call: { _tag: "retrieve", id: "whe_gone" },
    answers: [],
    retries: [],
    requests: 1,
    fails: { reason: "NotFound", message: ["GET /webhook_endpoints/whe_gone: 404, not found"] }
  }
]
