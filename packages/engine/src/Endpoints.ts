/**
 * OpenAI's webhook endpoint API as data and decisions, for every edition's `WebhookEndpoints`: the options checked
 * and resolved once, each call as a request (its input held to the documented limits before anything is sent),
 * an answer's status read as a reason with OpenAI's error fields, and the retry rules as a decision. Each edition
 * sends the request with its own HTTP client, decodes a 2xx answer with its own Schema classes, and sleeps with its
 * own clock; nothing here does any I/O.
 *
 * Retry rules (OpenAI's SDKs retry alike; `create`, `rotateSecret` and `test` are not idempotent):
 * - 429, and 503 (the request was refused, not processed): retried for every call.
 * - other 5xx and `Transport` (no answer, or none within the timeout): retried for idempotent calls only. A
 *   non-idempotent request may have been processed, so its error says so instead.
 * - the wait is OpenAI's `retry-after-ms` or `retry-after` (seconds or an HTTP date) when it gives one, up to
 *   {@link maxRetryAfterMillis} (a longer one is not waited for: the error says how long OpenAI asked for);
 *   otherwise exponential from {@link initialBackoffMillis} to {@link maxBackoffMillis}, less up to 25% jitter.
 *
 * Nothing here writes the API key anywhere but the `Authorization` header: every text taken from an answer or a
 * transport error is scrubbed of it. Values from an answer are never repeated in a message: an answer may hold a
 * signing secret.
 *
 * Source: OpenAI's API reference, webhook endpoints (`/v1/webhook_endpoints`, `/v1/webhook_event_types`).
 *
 * @since 0.4.0
 */
import * as internal from "./internal/endpoints.js"

/**
 * Why a call failed, as each edition's `ApiError` says it:
 *
 * - `Authentication` (401), `PermissionDenied` (403), `NotFound` (404), `Conflict` (409), `RateLimited` (429),
 *   `Server` (5xx): OpenAI's answer.
 * - `UnprocessableEntity`: 400 or 422, or input outside the documented limits, refused before sending.
 * - `Transport`: no answer, or none within the timeout.
 * - `InvalidResponse`: an answer that is not what the API documents (a status it does not use, a body that is not
 *   JSON or not of the documented shape).
 *
 * @since 0.4.0
 * @category models
 */
export type Reason =
  | "Authentication"
  | "PermissionDenied"
  | "NotFound"
  | "Conflict"
  | "UnprocessableEntity"
  | "RateLimited"
  | "Server"
  | "Transport"
  | "InvalidResponse"

/**
 * Every {@link Reason}, in the order of the documentation: for an edition's `Schema.Literals`.
 *
 * @since 0.4.0
 * @category constants
 */
export const reasons: typeof internal.reasons = internal.reasons

/**
 * A failed call, the fields of each edition's `ApiError`: the {@link Reason}, a `message` for a person (never the
 * key, never a value of an answer), and what OpenAI said: the HTTP `status`, its error's `type`, `param` and
 * `code`, and the `x-request-id` to quote to OpenAI's support.
 *
 * @since 0.4.0
 * @category models
 */
export interface Failure {
  readonly reason: Reason
  readonly message: string
  readonly status?: number
  readonly type?: string
  readonly param?: string
  readonly code?: string
  readonly requestId?: string
}

/**
 * A {@link Failure} of one attempt, with the wait OpenAI asked for before the next (`retry-after`, in
 * milliseconds), when it gave one.
 *
 * @since 0.4.0
 * @category models
 */
export interface AttemptFailure extends Failure {
  readonly retryAfterMillis?: number | undefined
}

/**
 * The default base URL: `https://api.openai.com/v1`.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultBaseUrl: typeof internal.defaultBaseUrl = internal.defaultBaseUrl

/**
 * How long one attempt may take by default, answer included, in milliseconds: 30 seconds.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultTimeoutMillis: typeof internal.defaultTimeoutMillis = internal.defaultTimeoutMillis

/**
 * Retries after the first attempt by default: 2.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultMaxRetries: typeof internal.defaultMaxRetries = internal.defaultMaxRetries

/**
 * The first backoff, in milliseconds, when OpenAI gives no `retry-after`; it doubles on each retry.
 *
 * @since 0.4.0
 * @category constants
 */
export const initialBackoffMillis: typeof internal.initialBackoffMillis = internal.initialBackoffMillis

/**
 * The longest backoff, in milliseconds.
 *
 * @since 0.4.0
 * @category constants
 */
export const maxBackoffMillis: typeof internal.maxBackoffMillis = internal.maxBackoffMillis

/**
 * The longest `retry-after` waited for, in milliseconds (OpenAI's SDKs wait up to a minute); a longer one is handed
 * to the caller in the error's message.
 *
 * @since 0.4.0
 * @category constants
 */
export const maxRetryAfterMillis: typeof internal.maxRetryAfterMillis = internal.maxRetryAfterMillis

/**
 * OpenAI's limit on an endpoint's URL, in characters (and it must be `https://`).
 *
 * @since 0.4.0
 * @category constants
 */
export const maxUrlLength: typeof internal.maxUrlLength = internal.maxUrlLength

/**
 * OpenAI's limit on an endpoint's name, in characters (code points); at least 1.
 *
 * @since 0.4.0
 * @category constants
 */
export const maxNameLength: typeof internal.maxNameLength = internal.maxNameLength

/**
 * OpenAI's largest page of endpoints, and the page size a full listing asks for.
 *
 * @since 0.4.0
 * @category constants
 */
export const maxPageSize: typeof internal.maxPageSize = internal.maxPageSize

/**
 * The environment variables the settings come from, as OpenAI's SDKs read them (`OPENAI_API_KEY` is required).
 *
 * @since 0.4.0
 * @category constants
 */
export const variables: typeof internal.variables = internal.variables

/**
 * How to reach OpenAI's API, as plain values: each edition's `Options` with the key revealed and the timeout in
 * milliseconds.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  readonly apiKey: string
  readonly baseUrl?: string | undefined
  readonly organization?: string | undefined
  readonly project?: string | undefined
  readonly timeoutMillis?: number | undefined
  readonly maxRetries?: number | undefined
}

/**
 * The options, checked and resolved once: what every call uses as it is.
 *
 * @since 0.4.0
 * @category models
 */
export interface Settings {
  /** Without a trailing slash. */
  readonly baseUrl: string
  /** `authorization`, `accept`, and `openai-organization` and `openai-project` when given, lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly timeoutMillis: number
  readonly maxRetries: number
  /** Replaces the API key, wherever it appears in a text, with `<redacted>`. */
  readonly scrub: (text: string) => string
}

/**
 * An option that cannot be used: which one, why (without its value), and whether it is `Malformed` or
 * `OutOfRange` (the reason of an edition's `IllegalArgumentError`).
 *
 * @since 0.4.0
 * @category models
 */
export interface OptionProblem {
  readonly option: "apiKey" | "baseUrl" | "organization" | "project" | "timeout" | "maxRetries"
  readonly reason: "Malformed" | "OutOfRange"
  readonly message: string
}

/**
 * Checks the options and resolves them once. One final line break on the key (what `echo` and env files add) is
 * forgiven, as for webhook secrets; other whitespace is a copy-paste slip, refused without showing the key.
 *
 * @example
 * ```ts
 * import { Endpoints } from "openai-webhooks-engine"
 *
 * const settings = Endpoints.resolve({ apiKey: "sk-proj-...", project: "proj_123" })
 * if (settings.ok) settings.value.headers["openai-project"] // "proj_123"
 * ```
 *
 * @since 0.4.0
 * @category options
 */
export const resolve: typeof internal.resolve = internal.resolve

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

/**
 * One call of the API, ready to send: `path` is from the base URL with the ID escaped, `query` the URL parameters,
 * `body` the wire JSON (snake_case), and whether a second copy does no more than the first (see the retry rules).
 *
 * @since 0.4.0
 * @category models
 */
export interface Request {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  readonly query?: Readonly<Record<string, string>> | undefined
  readonly body?: Readonly<Record<string, unknown>> | undefined
  readonly idempotent: boolean
}

/**
 * What `create` sends, camelCase.
 *
 * @since 0.4.0
 * @category models
 */
export interface CreateParams {
  readonly url: string
  readonly name: string
  readonly eventTypes: ReadonlyArray<string>
}

/**
 * What `update` changes: only the fields given; `eventTypes` replaces the whole set.
 *
 * @since 0.4.0
 * @category models
 */
export interface UpdateParams {
  readonly url?: string | undefined
  readonly name?: string | undefined
  readonly eventTypes?: ReadonlyArray<string> | undefined
}

/**
 * Where a listing starts and how many endpoints a page holds.
 *
 * @since 0.4.0
 * @category models
 */
export interface ListParams {
  readonly after?: string | undefined
  readonly limit?: number | undefined
}

/**
 * Input outside the documented limits, refused before sending as OpenAI would refuse it: `param` is the wire field
 * (`url`, `name`, `event_types`, `limit`, `id`), and `message` ends with `(not sent)`. It never repeats the value: a
 * URL may carry a token.
 *
 * @since 0.4.0
 * @category models
 */
export interface Refused extends Failure {
  readonly reason: "UnprocessableEntity"
  readonly param: string
}

/**
 * Why an endpoint URL would be refused (at most {@link maxUrlLength} characters, absolute, `https://`), or
 * `undefined` when it is fine.
 *
 * @since 0.4.0
 * @category requests
 */
export const urlProblem: typeof internal.urlProblem = internal.urlProblem

/**
 * Why an endpoint name would be refused (1 to {@link maxNameLength} characters, counted as code points as OpenAI
 * counts them, not UTF-16 units), or `undefined` when it is fine.
 *
 * @since 0.4.0
 * @category requests
 */
export const nameProblem: typeof internal.nameProblem = internal.nameProblem

/**
 * Why a page size would be refused (a whole number from 1 to {@link maxPageSize}), or `undefined`.
 *
 * @since 0.4.0
 * @category requests
 */
export const limitProblem: typeof internal.limitProblem = internal.limitProblem

/**
 * `/webhook_endpoints/{id}`, the ID escaped. An empty ID, `.` or `..` would name another resource (the list, or a
 * parent path once the URL is normalised): refused.
 *
 * @since 0.4.0
 * @category requests
 */
export const endpointPath: typeof internal.endpointPath = internal.endpointPath

/**
 * `POST /webhook_endpoints`, its body checked. Not idempotent.
 *
 * @since 0.4.0
 * @category requests
 */
export const create: typeof internal.create = internal.create

/**
 * `GET /webhook_endpoints/{id}`.
 *
 * @since 0.4.0
 * @category requests
 */
export const retrieve: typeof internal.retrieve = internal.retrieve

/**
 * `POST /webhook_endpoints/{id}`, with only the fields given. Idempotent: setting the same fields twice leaves the
 * endpoint as setting them once.
 *
 * @since 0.4.0
 * @category requests
 */
export const update: typeof internal.update = internal.update

/**
 * `GET /webhook_endpoints?after=&limit=`: one page, newest first.
 *
 * @since 0.4.0
 * @category requests
 */
export const listPage: typeof internal.listPage = internal.listPage

/**
 * `DELETE /webhook_endpoints/{id}`. Retried like the idempotent calls (see {@link decide} for a retry that then
 * finds it gone).
 *
 * @since 0.4.0
 * @category requests
 */
export const del: typeof internal.del = internal.del

/**
 * `POST /webhook_endpoints/{id}/rotate_secret`. Not idempotent.
 *
 * @since 0.4.0
 * @category requests
 */
export const rotateSecret: typeof internal.rotateSecret = internal.rotateSecret

/**
 * `POST /webhook_endpoints/{id}/test`: OpenAI sends one more test event each time. Not idempotent.
 *
 * @since 0.4.0
 * @category requests
 */
export const test: typeof internal.test = internal.test

/**
 * `GET /webhook_event_types`: the types an endpoint may subscribe to.
 *
 * @since 0.4.0
 * @category requests
 */
export const eventTypes: typeof internal.eventTypes = internal.eventTypes

/**
 * `GET /webhook_endpoints`, `DELETE /webhook_endpoints/whe_123`: how a message names a request.
 *
 * @since 0.4.0
 * @category requests
 */
export const describe: typeof internal.describe = internal.describe

// ---------------------------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------------------------

/**
 * The {@link Reason} of a status that is not 2xx, and the words a message gives it: `InvalidResponse` for a status
 * the API does not use.
 *
 * @since 0.4.0
 * @category answers
 */
export const reasonOf: typeof internal.reasonOf = internal.reasonOf

/**
 * OpenAI's error body, `{ error: { message, type, param, code } }`, read leniently: any part may be absent, a
 * number is read as its text, and a body that is not JSON gives nothing.
 *
 * @since 0.4.0
 * @category answers
 */
export const errorFields: typeof internal.errorFields = internal.errorFields

/**
 * The wait OpenAI asks for, in milliseconds: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date
 * (from `now`, Unix milliseconds; a date past is 0). `undefined` when there is none it can read.
 *
 * @since 0.4.0
 * @category answers
 */
export const retryAfter: typeof internal.retryAfter = internal.retryAfter

/**
 * The wait before retry number `retry` (0 for the first), in milliseconds, with `random` in [0, 1) for the jitter:
 * {@link initialBackoffMillis} doubled each time up to {@link maxBackoffMillis}, less up to 25%.
 *
 * @since 0.4.0
 * @category retries
 */
export const backoff: typeof internal.backoff = internal.backoff

/**
 * The failure of an answer whose status is not 2xx: its reason, OpenAI's error fields, the request id, and for a
 * 429 or a 503 the wait OpenAI asked for. OpenAI's message is quoted scrubbed of the key (OpenAI's own 401 message
 * may repeat it).
 *
 * @since 0.4.0
 * @category answers
 */
export const failureOf: typeof internal.failureOf = internal.failureOf

/**
 * Where a 2xx answer departs from the documented shape: a wire path (`[]` for the body itself) and whether the
 * value is missing or of another type. Each edition reads these off its Schema's issues.
 *
 * @since 0.4.0
 * @category answers
 */
export interface ShapeIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly missing: boolean
}

/**
 * The failure of a 2xx answer that is not what the API documents: a body that is not JSON (`issues` undefined),
 * or the issues its decoding found, by wire path and kind (at most three named), never by value.
 *
 * @since 0.4.0
 * @category answers
 */
export const invalidAnswer: typeof internal.invalidAnswer = internal.invalidAnswer

/**
 * The deepest message of an error and its causes: for fetch, "connect ECONNREFUSED ..." rather than "fetch failed".
 *
 * @since 0.4.0
 * @category answers
 */
export const deepestMessage: typeof internal.deepestMessage = internal.deepestMessage

/**
 * The failure of an attempt that got no answer: `{ cause }`, what the HTTP client failed with (its deepest message
 * is quoted, scrubbed of the key), or `{ within }`, the timeout as the edition writes a duration (`"30s"`).
 *
 * @since 0.4.0
 * @category answers
 */
export const noAnswer: typeof internal.noAnswer = internal.noAnswer

/**
 * The cursor of the page after `page` (its `lastId`, or its last endpoint's), `undefined` on the last page, or an
 * `InvalidResponse` when `hasMore` comes without a new cursor (rather than asking for the same page forever).
 *
 * @since 0.4.0
 * @category answers
 */
export const nextCursor: typeof internal.nextCursor = internal.nextCursor

// ---------------------------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------------------------

/**
 * What a non-idempotent call's error says when it got no answer, or a 5xx other than 503.
 *
 * @since 0.4.0
 * @category retries
 */
export const notRetried: typeof internal.notRetried = internal.notRetried

/**
 * What to do after an attempt failed: `Retry` after `waitMillis` (whole milliseconds, with the debug line to log,
 * which names the request and never a value), or `Fail` with the final {@link Failure}, its message saying how
 * many attempts were made and what the caller should know.
 *
 * @since 0.4.0
 * @category models
 */
export type Decision =
  | { readonly _tag: "Retry"; readonly waitMillis: number; readonly log: string }
  | { readonly _tag: "Fail"; readonly failure: Failure }

/**
 * The retry rules (see the module) applied to the failure of attempt `retry + 1`. `unanswered`: an earlier attempt
 * got no answer, so it may have done what this one finds done (a `DELETE` then answered 404). `random` in [0, 1)
 * is the jitter, drawn by the edition from its own random service.
 *
 * @since 0.4.0
 * @category retries
 */
export const decide: typeof internal.decide = internal.decide
