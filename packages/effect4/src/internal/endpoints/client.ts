/**
 * One call to OpenAI's API over Effect 4's `HttpClient` (`effect/http`): the engine's request (`Endpoints`) sent
 * with the settings resolved once, a timeout per attempt, a 2xx answer decoded by the call's Schema, any other
 * turned into an `ApiError` by the engine, and the engine's retry rules applied on Effect's clock and random
 * service.
 *
 * The API key travels only in the `Authorization` header (which `effect/http` redacts in spans); the engine scrubs
 * it from every text it quotes, and never repeats a value of an answer.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { Endpoints } from "openai-webhooks-engine"
import { ApiError } from "../../WebhookError.js"

/** The engine's settings, with the timeout as the Duration it was given as (for Effect's timeout and messages). */
export interface Settings extends Endpoints.Settings {
  readonly timeout: Duration.Duration
}

/** An engine failure as this edition's error. */
export const apiError = ({ message, reason, ...fields }: Endpoints.Failure): ApiError =>
  new ApiError({ reason, message, ...fields })

const MISSING = "MissingKey"

// Each leaf by its kind alone: the default messages quote the value, and an answer may hold a signing secret.
const formatter = SchemaIssue.makeFormatterStandardSchemaV1({ leafHook: (issue) => issue._tag })

/** Where the answer's JSON departs from the schema, as the engine names it: by wire path and kind, never by value. */
const shapeIssues = (error: Schema.SchemaError): ReadonlyArray<Endpoints.ShapeIssue> =>
  formatter(error.issue).issues.map(({ message, path }) => ({
    path: (path ?? []).map((key) => typeof key === "object" ? key.key : key),
    missing: message === MISSING
  }))

/** Decodes a 2xx answer's JSON; `Schema.decodeUnknownResult(codec, { errors: "all" })` of the call's wire codec. */
export type Decode<A> = (json: unknown) => Result.Result<A, Schema.SchemaError>

/** Sends `request`, decodes its answer with `decode`, and retries it as the engine's rules say. */
export const send = <A>(
  client: HttpClient.HttpClient,
  settings: Settings,
  request: Endpoints.Request,
  decode: Decode<A>
): Effect.Effect<A, ApiError> => {
  const base = HttpClientRequest.make(request.method)(`${settings.baseUrl}${request.path}`, {
    headers: settings.headers,
    urlParams: request.query
  })
  const http = request.body === undefined ? base : HttpClientRequest.bodyJsonUnsafe(base, request.body)
  const within = Duration.format(settings.timeout)

  const attempt: Effect.Effect<A, Endpoints.AttemptFailure> = client.execute(http).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => [response, text] as const)),
    Effect.mapError((error) => Endpoints.noAnswer(settings, request, { cause: error.cause ?? error })),
    Effect.timeoutOrElse({
      duration: settings.timeout,
      orElse: () => Effect.fail(Endpoints.noAnswer(settings, request, { within }))
    }),
    Effect.flatMap(([response, text]): Effect.Effect<A, Endpoints.AttemptFailure> => {
      const answer = { status: response.status, headers: response.headers, text }
      if (response.status < 200 || response.status >= 300) {
        return Effect.flatMap(
          Clock.currentTimeMillis,
          (now) => Effect.fail(Endpoints.failureOf(settings, request, answer, now))
        )
      }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Effect.fail(Endpoints.invalidAnswer(request, answer, undefined))
      }
      const decoded = decode(json)
      return Result.isSuccess(decoded)
        ? Effect.succeed(decoded.success)
        : Effect.fail(Endpoints.invalidAnswer(request, answer, shapeIssues(decoded.failure)))
    })
  )

  const loop = (retry: number, unanswered: boolean): Effect.Effect<A, ApiError> =>
    Effect.catch(attempt, (failure) =>
      Effect.flatMap(Random.next, (random) => {
        const decision = Endpoints.decide(settings, request, failure, { retry, unanswered, random })
        if (decision._tag === "Fail") return Effect.fail(apiError(decision.failure))
        return Effect.logDebug(decision.log).pipe(
          Effect.andThen(Effect.sleep(Duration.millis(decision.waitMillis))),
          Effect.andThen(loop(retry + 1, unanswered || failure.reason === "Transport"))
        )
      }))

  return loop(0, false)
}
