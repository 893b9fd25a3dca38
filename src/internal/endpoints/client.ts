/**
 * One call to OpenAI's API over `@effect/platform`'s `HttpClient`: the engine's request (`Endpoints`) sent with
 * the settings resolved once, a timeout per attempt, a 2xx answer decoded by the call's Schema, any other turned
 * into an `ApiError` by the engine, and the engine's retry rules applied on Effect's clock and random service.
 *
 * The API key travels only in the `Authorization` header (which `@effect/platform` redacts in spans); the engine
 * scrubs it from every text it quotes, and never repeats a value of an answer.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Random from "effect/Random"
import { Endpoints } from "openai-webhooks-engine"
import { ApiError } from "../../WebhookError.js"

/** The engine's settings, with the timeout as the Duration it was given as (for Effect's timeout and messages). */
export interface Settings extends Endpoints.Settings {
  readonly timeout: Duration.Duration
}

/** An engine failure as this edition's error. */
export const apiError = ({ message, reason, ...fields }: Endpoints.Failure): ApiError =>
  new ApiError({ reason, message, ...fields })

/** Where the answer's JSON departs from the schema, as the engine names it: by wire path and kind, never by value. */
const shapeIssues = (error: ParseResult.ParseError): ReadonlyArray<Endpoints.ShapeIssue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map(({ _tag, path }) => ({ path, missing: _tag === "Missing" }))

/** Sends `request`, decodes its answer with `decode`, and retries it as the engine's rules say. */
export const send = <A>(
  client: HttpClient.HttpClient,
  settings: Settings,
  request: Endpoints.Request,
  decode: (json: unknown) => Either.Either<A, ParseResult.ParseError>
): Effect.Effect<A, ApiError> => {
  const base = HttpClientRequest.make(request.method)(`${settings.baseUrl}${request.path}`, {
    headers: settings.headers,
    urlParams: request.query
  })
  const http = request.body === undefined ? base : HttpClientRequest.bodyUnsafeJson(base, request.body)

  const attempt: Effect.Effect<A, Endpoints.AttemptFailure> = client.execute(http).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (text) => [response, text] as const)),
    Effect.mapError((error) => Endpoints.noAnswer(settings, request, { cause: error.cause ?? error })),
    Effect.timeoutFail({
      duration: settings.timeout,
      onTimeout: () => Endpoints.noAnswer(settings, request, { within: Duration.format(settings.timeout) })
    }),
    Effect.flatMap(([response, text]) => {
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
      return Either.match(decode(json), {
        onLeft: (error) => Effect.fail(Endpoints.invalidAnswer(request, answer, shapeIssues(error))),
        onRight: Effect.succeed
      })
    })
  )

  const loop = (retry: number, unanswered: boolean): Effect.Effect<A, ApiError> =>
    Effect.catchAll(attempt, (failure) =>
      Effect.flatMap(Random.next, (random) => {
        const decision = Endpoints.decide(settings, request, failure, { retry, unanswered, random })
        if (decision._tag === "Fail") return Effect.fail(apiError(decision.failure))
        return Effect.logDebug(decision.log).pipe(
          Effect.zipRight(Effect.sleep(Duration.millis(decision.waitMillis))),
          Effect.zipRight(loop(retry + 1, unanswered || failure.reason === "Transport"))
        )
      }))

  return loop(0, false)
}
