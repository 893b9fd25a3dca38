/**
 * One call to OpenAI's API over `@effect/platform`'s `HttpClient`: the request built from settings resolved once,
 * a timeout per attempt, the answer decoded or turned into an `ApiError`, and retries with backoff where a second
 * attempt cannot do harm.
 *
 * Retry rules (OpenAI's SDKs retry alike; `create`, `rotateSecret` and `test` are not idempotent):
 * - 429, and 503 (the request was refused, not processed): retried for every call.
 * - other 5xx and `Transport` (no answer, or none within the timeout): retried for idempotent calls only. A
 *   non-idempotent request may have been processed, so its error says so instead.
 * - the wait is OpenAI's `retry-after-ms` or `retry-after` (seconds or an HTTP date) when it gives one, up to
 *   {@link MAX_RETRY_AFTER_MILLIS} (a longer one is not waited for: the error says how long OpenAI asked
 *   for); otherwise exponential from {@link INITIAL_BACKOFF_MILLIS} to {@link MAX_BACKOFF_MILLIS}, less up to 25%
 *   jitter.
 *
 * Nothing here writes the API key anywhere: it travels only in the `Authorization` header (which
 * `@effect/platform` redacts in spans), and every text taken from an answer or a transport error is scrubbed of
 * it. Values from an answer are never repeated in a message: an answer may hold a signing secret.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import type { Options } from "../../WebhookEndpoints.js"
import { ApiError } from "../../WebhookError.js"

export const DEFAULT_BASE_URL = "https://api.openai.com/v1"
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.seconds(30)
export const DEFAULT_MAX_RETRIES = 2
export const INITIAL_BACKOFF_MILLIS = 500
export const MAX_BACKOFF_MILLIS = 8_000
/** OpenAI's SDKs wait for a `retry-after` of up to a minute; a longer one is handed to the caller. */
export const MAX_RETRY_AFTER_MILLIS = 60_000

/** The options, checked and turned into what every call uses as it is. */
export interface Settings {
  readonly baseUrl: string
  readonly headers: Headers.Headers
  readonly timeout: Duration.Duration
  readonly maxRetries: number
  /** Replaces the API key, wherever it appears in a text, with `<redacted>`. */
  readonly scrub: (text: string) => string
}

/** An option that cannot be used: which one (its name in `Options`), and why, without its value. */
export interface Problem {
  readonly option: keyof Options
  readonly message: string
}

// A header value cannot carry these; undici's error would then quote the value, the key.
// eslint-disable-next-line no-control-regex
const unprintable = /[\s\u0000-\u001f\u007f]/

/**
 * Checks the options and resolves them once. One final line break on the key (what `echo` and env files add) is
 * forgiven, as for webhook secrets; other whitespace is a copy-paste slip, refused without showing the key.
 */
export const resolve = (options: Options): Either.Either<Settings, Problem> => {
  const raw = Redacted.value(options.apiKey)
  const key = raw.replace(/\r?\n$/, "")
  if (key === "") return Either.left({ option: "apiKey", message: "the API key is empty" })
  if (unprintable.test(key)) {
    return Either.left({
      option: "apiKey",
      message: "the API key contains whitespace or control characters (a copy-paste slip?)"
    })
  }
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "")
  const parsed = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined
  if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    return Either.left({ option: "baseUrl", message: `Expected an http(s) URL such as ${DEFAULT_BASE_URL}` })
  }
  // fetch refuses them, and its error would quote the URL, password included.
  if (parsed.username !== "" || parsed.password !== "") {
    return Either.left({ option: "baseUrl", message: "Expected a URL without user:password@ in it" })
  }
  for (const option of ["organization", "project"] as const) {
    const value = options[option]
    if (value !== undefined && (value === "" || unprintable.test(value))) {
      return Either.left({ option, message: "Expected an ID without whitespace" })
    }
  }
  const timeout = Duration.decode(options.timeout ?? DEFAULT_TIMEOUT)
  if (!Duration.greaterThan(timeout, Duration.zero)) {
    return Either.left({ option: "timeout", message: "Expected a duration longer than zero" })
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    return Either.left({ option: "maxRetries", message: "Expected a whole number, 0 or more" })
  }
  const headers = Headers.fromInput({
    authorization: `Bearer ${key}`,
    accept: "application/json",
    ...(options.organization === undefined ? {} : { "openai-organization": options.organization }),
    ...(options.project === undefined ? {} : { "openai-project": options.project })
  })
  return Either.right({
    baseUrl,
    headers,
    timeout,
    maxRetries,
    scrub: (text) => text.replaceAll(key, "<redacted>")
  })
}

/** One call of the API. */
export interface Call<A> {
  readonly method: "GET" | "POST" | "DELETE"
  /** From the base URL, with the ID already escaped: `/webhook_endpoints/whe_123`. */
  readonly path: string
  readonly urlParams?: Readonly<Record<string, string>> | undefined
  /** The wire JSON to send. */
  readonly body?: unknown
  /** Decodes the answer's JSON. */
  readonly decode: (json: unknown) => Either.Either<A, ParseResult.ParseError>
  /** Whether a second copy of the request does no more than the first: if not, see the retry rules above. */
  readonly idempotent: boolean
}

/** An attempt's failure: the error, and what the retry rules need to know about it. */
interface Failure {
  readonly error: ApiError
  /** OpenAI's `retry-after`, in milliseconds, when it gave one. */
  readonly retryAfter?: number | undefined
}

const NOT_RETRIED = "The request may have reached OpenAI; not retried: check with list/retrieve before trying again"

const reasons: ReadonlyArray<readonly [(status: number) => boolean, ApiError["reason"], string]> = [
  [(status) => status === 400 || status === 422, "UnprocessableEntity", "the request was refused"],
  [(status) => status === 401, "Authentication", "the API key was refused"],
  [(status) => status === 403, "PermissionDenied", "the API key may not do this"],
  [(status) => status === 404, "NotFound", "not found"],
  [(status) => status === 409, "Conflict", "conflict"],
  [(status) => status === 429, "RateLimited", "rate limited"],
  [(status) => status >= 500, "Server", "OpenAI failed"]
]

const reasonOf = (status: number): readonly [ApiError["reason"], string] => {
  const found = reasons.find(([test]) => test(status))
  return found === undefined ? ["InvalidResponse", "an unexpected status"] : [found[1], found[2]]
}

/** OpenAI's error body, `{ error: { message, type, param, code } }`, read leniently: any part may be absent. */
const errorFields = (text: string) => {
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

/** Where the answer's JSON departs from the schema, by wire path and kind, never by value. */
const describeParseError = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issues.slice(0, 3).map(({ _tag, path }) => {
    const where = path.length === 0 ? "the body" : path.join(".")
    return `${where} ${_tag === "Missing" ? "is missing" : "is not of the documented type"}`
  }).join("; ") + (issues.length > 3 ? `; and ${issues.length - 3} more` : "")
}

/** A text from outside (OpenAI's message, a transport error), one line, bounded, and scrubbed of the key. */
const clean = (settings: Settings, text: string) => {
  const line = settings.scrub(text).replace(/\s+/g, " ").trim()
  return line.length > 500 ? `${line.slice(0, 500)}...` : line
}

/** The deepest message of an error and its causes: for fetch, "connect ECONNREFUSED ..." rather than "fetch failed". */
const transportCause = (u: unknown): string => {
  const messages: Array<string> = []
  let current: unknown = u
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message !== "") messages.push(current.message)
    current = current.cause
  }
  return messages.at(-1) ?? String(u)
}

/** The wait OpenAI asks for, in milliseconds: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export const retryAfter = (headers: Headers.Headers, now: number): number | undefined => {
  const millis = headers["retry-after-ms"]
  if (millis !== undefined && /^\d+(\.\d+)?$/.test(millis.trim())) return Number(millis.trim())
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The wait before retry number `retry` (0 for the first), with `random` in [0, 1) for the jitter. */
export const backoff = (retry: number, random: number): number =>
  Math.min(MAX_BACKOFF_MILLIS, INITIAL_BACKOFF_MILLIS * 2 ** retry) * (1 - 0.25 * random)

/** Whether the retry rules (above) let this failure be retried. */
const retryable = (failure: Failure, idempotent: boolean): boolean => {
  const { reason, status } = failure.error
  if (reason === "RateLimited") return true
  if (reason === "Server") return idempotent || status === 503
  return reason === "Transport" && idempotent
}

const mayHaveBeenProcessed = (failure: Failure, idempotent: boolean): boolean =>
  !idempotent && (failure.error.reason === "Transport" || failure.error.reason === "Server")

const withMessage = (error: ApiError, message: string): ApiError => {
  const { code, param, reason, requestId, status, type } = error
  return new ApiError({
    reason,
    message,
    ...(status === undefined ? {} : { status }),
    ...(type === undefined ? {} : { type }),
    ...(param === undefined ? {} : { param }),
    ...(code === undefined ? {} : { code }),
    ...(requestId === undefined ? {} : { requestId })
  })
}

/** Sends `call` and retries it as the rules above say. */
export const send = <A>(
  client: HttpClient.HttpClient,
  settings: Settings,
  call: Call<A>
): Effect.Effect<A, ApiError> => {
  const what = `${call.method} ${call.path}`
  const request = HttpClientRequest.make(call.method)(`${settings.baseUrl}${call.path}`, {
    headers: settings.headers,
    urlParams: call.urlParams
  })
  const withBody = call.body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, call.body)

  const transport = (why: string): Failure => ({
    error: new ApiError({ reason: "Transport", message: `${what}: no answer from ${settings.baseUrl}${why}` })
  })

  const answer = (response: HttpClientResponse.HttpClientResponse, text: string, now: number) => {
    const status = response.status
    const requestId = response.headers["x-request-id"]
    const ids = requestId === undefined ? {} : { requestId }
    if (status >= 200 && status < 300) {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Either.left<Failure>({
          error: new ApiError({
            reason: "InvalidResponse",
            status,
            ...ids,
            message: `${what}: OpenAI answered ${status} with a body that is not JSON`
          })
        })
      }
      return Either.mapLeft(call.decode(json), (error): Failure => ({
        error: new ApiError({
          reason: "InvalidResponse",
          status,
          ...ids,
          message: `${what}: OpenAI's answer (${status}) is not what its API documents: ${describeParseError(error)}`
        })
      }))
    }
    const [reason, summary] = reasonOf(status)
    const fields = errorFields(text)
    const detail = fields.message === undefined ? "" : `: ${clean(settings, fields.message)}`
    const after = status === 429 || status === 503 ? retryAfter(response.headers, now) : undefined
    return Either.left<Failure>({
      retryAfter: after,
      error: new ApiError({
        reason,
        status,
        message: `${what}: ${status}, ${summary}${detail}`,
        ...ids,
        ...(fields.type === undefined ? {} : { type: fields.type }),
        ...(fields.param === undefined ? {} : { param: fields.param }),
        ...(fields.code === undefined ? {} : { code: fields.code })
      })
    })
  }

  const attempt: Effect.Effect<A, Failure> = client.execute(withBody).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => [response, text] as const)),
    Effect.mapError((error) => transport(`: ${clean(settings, transportCause(error.cause ?? error))}`)),
    Effect.timeoutFail({
      duration: settings.timeout,
      onTimeout: () => transport(` within ${Duration.format(settings.timeout)}`)
    }),
    Effect.flatMap(([response, text]) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Either.match(answer(response, text, now), {
        onLeft: Effect.fail,
        onRight: Effect.succeed
      }))
    )
  )

  // `unanswered`: an earlier attempt got no answer, so it may have done what this one finds done (a DELETE).
  const loop = (retry: number, unanswered: boolean): Effect.Effect<A, ApiError> =>
    Effect.catchAll(attempt, (failure) => {
      const attempts = retry + 1
      const earlier = unanswered && failure.error.reason === "NotFound" && call.method === "DELETE"
        ? "; an earlier attempt got no answer and may have deleted it"
        : ""
      const tried = (attempts > 1 ? ` (after ${attempts} attempts)` : "") + earlier
      if (failure.retryAfter !== undefined && failure.retryAfter > MAX_RETRY_AFTER_MILLIS) {
        const seconds = Math.ceil(failure.retryAfter / 1000)
        return Effect.fail(withMessage(
          failure.error,
          `${failure.error.message}${tried}; OpenAI asked to wait ${seconds} s before trying again`
        ))
      }
      if (retry >= settings.maxRetries || !retryable(failure, call.idempotent)) {
        const note = mayHaveBeenProcessed(failure, call.idempotent) ? `. ${NOT_RETRIED}` : ""
        return Effect.fail(withMessage(failure.error, `${failure.error.message}${tried}${note}`))
      }
      return Effect.gen(function*() {
        // Whole milliseconds, so that the wait logged is the wait slept.
        const wait = Math.ceil(failure.retryAfter ?? backoff(retry, yield* Random.next))
        const after = failure.error.status === undefined
          ? failure.error.reason
          : `${failure.error.status} ${failure.error.reason}`
        yield* Effect.logDebug(
          `OpenAI API: retrying ${what} in ${wait} ms (retry ${retry + 1} of ${settings.maxRetries}) ` +
            `after ${after}`
        )
        yield* Effect.sleep(Duration.millis(wait))
        return yield* loop(retry + 1, unanswered || failure.error.reason === "Transport")
      })
    })

  return loop(0, false)
}
