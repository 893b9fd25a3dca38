/**
 * The machinery of `Endpoints`: the options resolved, the requests built and held to the documented limits, the
 * answers read, the retry rules decided. `../Endpoints.ts` documents each; nothing here does any I/O.
 *
 * @internal
 */
import * as Headers from "../Headers.js"
import type {
  AttemptFailure,
  CreateParams,
  Decision,
  Failure,
  ListParams,
  Options,
  OptionProblem,
  Reason,
  Refused,
  Request,
  Settings,
  ShapeIssue,
  UpdateParams
} from "../Endpoints.js"
import * as Result from "../Result.js"

export const reasons: readonly [Reason, ...Array<Reason>] = [
  "Authentication",
  "PermissionDenied",
  "NotFound",
  "Conflict",
  "UnprocessableEntity",
  "RateLimited",
  "Server",
  "Transport",
  "InvalidResponse"
]

export const defaultBaseUrl = "https://api.openai.com/v1"

export const defaultTimeoutMillis = 30_000

export const defaultMaxRetries = 2

export const initialBackoffMillis = 500

export const maxBackoffMillis = 8_000

export const maxRetryAfterMillis = 60_000

export const maxUrlLength = 2048

export const maxNameLength = 256

export const maxPageSize = 100

export const variables = {
  apiKey: "OPENAI_API_KEY",
  baseUrl: "OPENAI_BASE_URL",
  organization: "OPENAI_ORG_ID",
  project: "OPENAI_PROJECT_ID"
} as const

// A header value cannot carry these; undici's error would then quote the value, the key.
// eslint-disable-next-line no-control-regex
const unprintable = /[\s\u0000-\u001f\u007f]/

export const resolve = (options: Options): Result.Result<Settings, OptionProblem> => {
  const key = options.apiKey.replace(/\r?\n$/, "")
  if (key === "") return Result.fail({ option: "apiKey", reason: "Malformed", message: "the API key is empty" })
  if (unprintable.test(key)) {
    return Result.fail({
      option: "apiKey",
      reason: "Malformed",
      message: "the API key contains whitespace or control characters (a copy-paste slip?)"
    })
  }
  const baseUrl = (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, "")
  const parsed = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined
  if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    return Result.fail({
      option: "baseUrl",
      reason: "Malformed",
      message: `Expected an http(s) URL such as ${defaultBaseUrl}`
    })
  }
  // fetch refuses them, and its error would quote the URL, password included.
  if (parsed.username !== "" || parsed.password !== "") {
    return Result.fail({ option: "baseUrl", reason: "Malformed", message: "Expected a URL without user:password@ in it" })
  }
  for (const option of ["organization", "project"] as const) {
    const value = options[option]
    if (value !== undefined && (value === "" || unprintable.test(value))) {
      return Result.fail({ option, reason: "Malformed", message: "Expected an ID without whitespace" })
    }
  }
  const timeoutMillis = options.timeoutMillis ?? defaultTimeoutMillis
  if (!(timeoutMillis > 0)) {
    return Result.fail({ option: "timeout", reason: "OutOfRange", message: "Expected a duration longer than zero" })
  }
  const maxRetries = options.maxRetries ?? defaultMaxRetries
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    return Result.fail({ option: "maxRetries", reason: "OutOfRange", message: "Expected a whole number, 0 or more" })
  }
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: "application/json" }
  if (options.organization !== undefined) headers["openai-organization"] = options.organization
  if (options.project !== undefined) headers["openai-project"] = options.project
  return Result.ok({
    baseUrl,
    headers,
    timeoutMillis,
    maxRetries,
    scrub: (text) => text.replaceAll(key, "<redacted>")
  })
}

const refused = (param: string, message: string): Result.Fail<Refused> =>
  Result.fail({ reason: "UnprocessableEntity", param, message: `${message} (not sent)` })

export const urlProblem = (url: unknown): string | undefined => {
  if (typeof url !== "string") return "url must be a string"
  if (url.length > maxUrlLength) return `url is ${url.length} characters; OpenAI accepts at most ${maxUrlLength}`
  if (!URL.canParse(url)) return "url is not an absolute URL"
  return new URL(url).protocol === "https:" ? undefined : "url must be https:// (OpenAI delivers to HTTPS endpoints only)"
}

export const nameProblem = (name: unknown): string | undefined => {
  if (typeof name !== "string") return "name must be a string"
  let length = 0
  for (const _ of name) length++
  return length >= 1 && length <= maxNameLength
    ? undefined
    : `name must be 1 to ${maxNameLength} characters; it is ${length}`
}

export const limitProblem = (limit: unknown): string | undefined =>
  typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= maxPageSize
    ? undefined
    : `limit must be a whole number from 1 to ${maxPageSize}`

const eventTypesProblem = (eventTypes: unknown): string | undefined =>
  Array.isArray(eventTypes) && eventTypes.every((type) => typeof type === "string")
    ? undefined
    : "event_types must be a list of event types"

export const endpointPath = (id: string, suffix = ""): Result.Result<string, Refused> =>
  typeof id !== "string" || id === "" || id === "." || id === ".."
    ? refused("id", `the endpoint ID ${id === "" ? "is empty" : `cannot be "${String(id)}"`}`)
    : Result.ok(`/webhook_endpoints/${encodeURIComponent(id)}${suffix}`)

export const create = (params: CreateParams): Result.Result<Request, Refused> => {
  const url = urlProblem(params.url)
  if (url !== undefined) return refused("url", url)
  const name = nameProblem(params.name)
  if (name !== undefined) return refused("name", name)
  const types = eventTypesProblem(params.eventTypes)
  if (types !== undefined) return refused("event_types", types)
  return Result.ok({
    method: "POST",
    path: "/webhook_endpoints",
    body: { url: params.url, name: params.name, event_types: params.eventTypes },
    idempotent: false
  })
}

export const retrieve = (id: string): Result.Result<Request, Refused> => {
  const path = endpointPath(id)
  return path.ok ? Result.ok({ method: "GET", path: path.value, idempotent: true }) : path
}

export const update = (id: string, params: UpdateParams): Result.Result<Request, Refused> => {
  const path = endpointPath(id)
  if (!path.ok) return path
  const body: Record<string, unknown> = {}
  if (params.url !== undefined) {
    const problem = urlProblem(params.url)
    if (problem !== undefined) return refused("url", problem)
    body["url"] = params.url
  }
  if (params.name !== undefined) {
    const problem = nameProblem(params.name)
    if (problem !== undefined) return refused("name", problem)
    body["name"] = params.name
  }
  if (params.eventTypes !== undefined) {
    const problem = eventTypesProblem(params.eventTypes)
    if (problem !== undefined) return refused("event_types", problem)
    body["event_types"] = params.eventTypes
  }
  return Result.ok({ method: "POST", path: path.value, body, idempotent: true })
}

export const listPage = (params: ListParams = {}): Result.Result<Request, Refused> => {
  const query: Record<string, string> = {}
  if (params.after !== undefined) {
    if (typeof params.after !== "string") return refused("after", "after must be an endpoint ID")
    query["after"] = params.after
  }
  if (params.limit !== undefined) {
    const problem = limitProblem(params.limit)
    if (problem !== undefined) return refused("limit", problem)
    query["limit"] = String(params.limit)
  }
  return Result.ok({ method: "GET", path: "/webhook_endpoints", query, idempotent: true })
}

export const del = (id: string): Result.Result<Request, Refused> => {
  const path = endpointPath(id)
  return path.ok ? Result.ok({ method: "DELETE", path: path.value, idempotent: true }) : path
}

export const rotateSecret = (
  id: string,
  params: { readonly keepOldSecretActiveFor24Hours?: boolean | undefined } = {}
): Result.Result<Request, Refused> => {
  const path = endpointPath(id, "/rotate_secret")
  if (!path.ok) return path
  const keep = params.keepOldSecretActiveFor24Hours
  if (keep !== undefined && typeof keep !== "boolean") {
    return refused("keep_old_secret_active_for_24_hours", "keep_old_secret_active_for_24_hours must be true or false")
  }
  return Result.ok({
    method: "POST",
    path: path.value,
    body: keep === undefined ? {} : { keep_old_secret_active_for_24_hours: keep },
    idempotent: false
  })
}

export const test = (id: string, params: { readonly eventType: string }): Result.Result<Request, Refused> => {
  const path = endpointPath(id, "/test")
  if (!path.ok) return path
  if (typeof params.eventType !== "string") return refused("event_type", "event_type must be an event type")
  return Result.ok({ method: "POST", path: path.value, body: { event_type: params.eventType }, idempotent: false })
}

export const eventTypes: Request = { method: "GET", path: "/webhook_event_types", idempotent: true }

export const describe = (request: Request): string => `${request.method} ${request.path}`

const statuses: ReadonlyArray<readonly [(status: number) => boolean, Reason, string]> = [
  [(status) => status === 400 || status === 422, "UnprocessableEntity", "the request was refused"],
  [(status) => status === 401, "Authentication", "the API key was refused"],
  [(status) => status === 403, "PermissionDenied", "the API key may not do this"],
  [(status) => status === 404, "NotFound", "not found"],
  [(status) => status === 409, "Conflict", "conflict"],
  [(status) => status === 429, "RateLimited", "rate limited"],
  [(status) => status >= 500, "Server", "OpenAI failed"]
]

export const reasonOf = (status: number): readonly [Reason, string] => {
  const found = statuses.find(([test]) => test(status))
  return found === undefined ? ["InvalidResponse", "an unexpected status"] : [found[1], found[2]]
}

export const errorFields = (text: string): {
  readonly message?: string | undefined
  readonly type?: string | undefined
  readonly param?: string | undefined
  readonly code?: string | undefined
} => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return {}
  }
  const error = typeof json === "object" && json !== null ? (json as { error?: unknown }).error : undefined
  if (typeof error !== "object" || error === null) return {}
  const field = (name: string) => {
    const value = (error as Record<string, unknown>)[name]
    return typeof value === "string" && value !== "" ? value : typeof value === "number" ? String(value) : undefined
  }
  return { message: field("message"), type: field("type"), param: field("param"), code: field("code") }
}

export const retryAfter = (headers: Headers.HeadersInput, now: number): number | undefined => {
  const millis = Headers.get(headers, "retry-after-ms")?.trim()
  if (millis !== undefined && /^\d+(\.\d+)?$/.test(millis)) return Number(millis)
  const value = Headers.get(headers, "retry-after")?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export const backoff = (retry: number, random: number): number =>
  Math.min(maxBackoffMillis, initialBackoffMillis * 2 ** retry) * (1 - 0.25 * random)

/** A text from outside (OpenAI's message, a transport error), one line, bounded, and scrubbed of the key. */
const clean = (settings: Settings, text: string) => {
  const line = settings.scrub(text).replace(/\s+/g, " ").trim()
  return line.length > 500 ? `${line.slice(0, 500)}...` : line
}

export const failureOf = (
  settings: Settings,
  request: Request,
  answer: { readonly status: number; readonly headers: Headers.HeadersInput; readonly text: string },
  now: number
): AttemptFailure => {
  const { status } = answer
  const [reason, summary] = reasonOf(status)
  const fields = errorFields(answer.text)
  const detail = fields.message === undefined ? "" : `: ${clean(settings, fields.message)}`
  const requestId = Headers.get(answer.headers, "x-request-id")
  const retryAfterMillis = status === 429 || status === 503 ? retryAfter(answer.headers, now) : undefined
  return {
    reason,
    status,
    message: `${describe(request)}: ${status}, ${summary}${detail}`,
    ...(requestId === undefined ? {} : { requestId }),
    ...(fields.type === undefined ? {} : { type: fields.type }),
    ...(fields.param === undefined ? {} : { param: fields.param }),
    ...(fields.code === undefined ? {} : { code: fields.code }),
    ...(retryAfterMillis === undefined ? {} : { retryAfterMillis })
  }
}

export const invalidAnswer = (
  request: Request,
  answer: { readonly status: number; readonly headers: Headers.HeadersInput },
  issues: ReadonlyArray<ShapeIssue> | undefined
): Failure => {
  const requestId = Headers.get(answer.headers, "x-request-id")
  const what = `${describe(request)}: OpenAI`
  const message = issues === undefined
    ? `${what} answered ${answer.status} with a body that is not JSON`
    : `${what}'s answer (${answer.status}) is not what its API documents: ` +
      issues.slice(0, 3).map(({ missing, path }) =>
        `${path.length === 0 ? "the body" : path.map(String).join(".")} ${
          missing ? "is missing" : "is not of the documented type"
        }`
      ).join("; ") + (issues.length > 3 ? `; and ${issues.length - 3} more` : "")
  return { reason: "InvalidResponse", status: answer.status, message, ...(requestId === undefined ? {} : { requestId }) }
}

export const deepestMessage = (u: unknown): string => {
  let found: string | undefined
  let current: unknown = u
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message !== "") found = current.message
    current = current.cause
  }
  return found ?? String(u)
}

export const noAnswer = (
  settings: Settings,
  request: Request,
  why: { readonly cause: unknown } | { readonly within: string }
): Failure => ({
  reason: "Transport",
  message: `${describe(request)}: no answer from ${settings.baseUrl}${
    "within" in why ? ` within ${why.within}` : `: ${clean(settings, deepestMessage(why.cause))}`
  }`
})

export const nextCursor = (
  page: { readonly data: ReadonlyArray<{ readonly id: string }>; readonly lastId: string | null; readonly hasMore: boolean },
  cursor: string | undefined
): Result.Result<string | undefined, Failure> => {
  if (!page.hasMore) return Result.ok(undefined)
  const next = page.lastId ?? page.data.at(-1)?.id
  return next === undefined || next === cursor
    ? Result.fail({
      reason: "InvalidResponse",
      message: "GET /webhook_endpoints: has_more is true but the page gives no new cursor to go on from"
    })
    : Result.ok(next)
}

export const notRetried =
  "The request may have reached OpenAI; not retried: check with list/retrieve before trying again"

export const decide = (
  settings: Settings,
  request: Request,
  failure: AttemptFailure,
  state: { readonly retry: number; readonly unanswered: boolean; readonly random: number }
): Decision => {
  const { retryAfterMillis, ...error } = failure
  const { random, retry, unanswered } = state
  const attempts = retry + 1
  const earlier = unanswered && error.reason === "NotFound" && request.method === "DELETE"
    ? "; an earlier attempt got no answer and may have deleted it"
    : ""
  const tried = (attempts > 1 ? ` (after ${attempts} attempts)` : "") + earlier
  const fail = (note: string): Decision => ({
    _tag: "Fail",
    failure: { ...error, message: `${error.message}${tried}${note}` }
  })
  if (retryAfterMillis !== undefined && retryAfterMillis > maxRetryAfterMillis) {
    return fail(`; OpenAI asked to wait ${Math.ceil(retryAfterMillis / 1000)} s before trying again`)
  }
  const { reason, status } = error
  const retryable = reason === "RateLimited" ||
    (reason === "Server" && (request.idempotent || status === 503)) ||
    (reason === "Transport" && request.idempotent)
  if (retry >= settings.maxRetries || !retryable) {
    const processed = !request.idempotent && (reason === "Transport" || reason === "Server")
    return fail(processed ? `. ${notRetried}` : "")
  }
  // Whole milliseconds, so that the wait logged is the wait slept.
  const waitMillis = Math.ceil(retryAfterMillis ?? backoff(retry, random))
  const after = status === undefined ? reason : `${status} ${reason}`
  return {
    _tag: "Retry",
    waitMillis,
    log: `OpenAI API: retrying ${describe(request)} in ${waitMillis} ms (retry ${retry + 1} of ${settings.maxRetries}) ` +
      `after ${after}`
  }
}
