/**
 * The `WebhookEndpoints` service: each call of OpenAI's webhook endpoint API built by the engine (`Endpoints`,
 * which holds the input to the documented limits before anything is sent), sent by `./client.ts`, its answer
 * decoded by the wire codecs of `./models.ts`.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Stream from "effect/Stream"
import * as HttpClient from "effect/http/HttpClient"
import { Endpoints } from "openai-webhooks-engine"
import type { ListParams, Options, Service } from "../../WebhookEndpoints.js"
import type { ApiError, IllegalArgumentError } from "../../WebhookError.js"
import * as Checks from "../options.js"
import * as client from "./client.js"
import * as models from "./models.js"

export class WebhookEndpoints extends Context.Service<WebhookEndpoints, Service>()(
  "effect4-openai-webhooks/WebhookEndpoints"
) {}

// Every issue, so that an InvalidResponse names each field that departs from the documented shape.
const decoder = <S extends Schema.ConstraintDecoder<unknown>>(schema: S): client.Decode<S["Type"]> =>
  Schema.decodeUnknownResult(schema, { errors: "all" })

const decodeEndpoint = decoder(models.WebhookEndpointWire)
const decodeWithSecret = decoder(models.WebhookEndpointWithSecretWire)
const decodePage = decoder(models.PageWire)
const decodeDeleted = decoder(models.DeletedWebhookEndpoint)
const decodeTest = decoder(models.TestEventResultWire)
const decodeEventTypes = decoder(models.EventTypeList)

type Built = { readonly ok: true; readonly value: Endpoints.Request } | {
  readonly ok: false
  readonly error: Endpoints.Refused
}

/** The service over a client and settings already resolved. */
export const fromSettings = (http: HttpClient.HttpClient, settings: client.Settings): Service => {
  // A request the engine refused is an ApiError before anything is sent.
  const send = <A>(built: Built, decode: client.Decode<A>): Effect.Effect<A, ApiError> =>
    built.ok ? client.send(http, settings, built.value, decode) : Effect.fail(client.apiError(built.error))

  const listPage = (params: ListParams = {}) => send(Endpoints.listPage(params), decodePage)

  return WebhookEndpoints.of({
    create: (params) => send(Endpoints.create(params), decodeWithSecret),
    retrieve: (id) => send(Endpoints.retrieve(id), decodeEndpoint),
    update: (id, params) => send(Endpoints.update(id, params), decodeEndpoint),
    listPage,
    list: ({ after, limit = Endpoints.maxPageSize } = {}) =>
      Stream.paginate(after, (cursor) =>
        Effect.flatMap(listPage({ after: cursor, limit }), (page) => {
          const next = Endpoints.nextCursor(page, cursor)
          return next.ok
            ? Effect.succeed([page.data, Option.fromUndefinedOr(next.value)] as const)
            : Effect.fail(client.apiError(next.error))
        })),
    del: (id) => send(Endpoints.del(id), decodeDeleted),
    rotateSecret: (id, params = {}) => send(Endpoints.rotateSecret(id, params), decodeWithSecret),
    test: (id, params) => send(Endpoints.test(id, params), decodeTest),
    eventTypes: Effect.map(send({ ok: true, value: Endpoints.eventTypes }, decodeEventTypes), (list) => list.data)
  })
}

/** The options resolved by the engine, the key revealed only to it, the timeout kept as a Duration. */
const resolve = (
  options: Options,
  timeout: Duration.Duration
): Result.Result<client.Settings, Endpoints.OptionProblem> => {
  const resolved = Endpoints.resolve({
    apiKey: Redacted.value(options.apiKey),
    baseUrl: options.baseUrl,
    organization: options.organization,
    project: options.project,
    timeoutMillis: Duration.toMillis(timeout),
    maxRetries: options.maxRetries
  })
  return resolved.ok ? Result.succeed({ ...resolved.value, timeout }) : Result.fail(resolved.error)
}

const defaultTimeout = Duration.millis(Endpoints.defaultTimeoutMillis)

/** The timeout given, or `Malformed` where Effect cannot read it (whether it is positive is the engine's to say). */
const timeoutOf = (options: Pick<Options, "timeout">): Result.Result<Duration.Duration, IllegalArgumentError> =>
  options.timeout === undefined
    ? Result.succeed(defaultTimeout)
    : Checks.duration("WebhookEndpoints", "timeout", options.timeout, false)

/** The service from options, checked now: a bad option is an `IllegalArgumentError` naming it. */
export const make = (options: Options): Effect.Effect<Service, IllegalArgumentError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const timeout = yield* Effect.fromResult(timeoutOf(options))
    const settings = resolve(options, timeout)
    if (Result.isFailure(settings)) {
      const { message, option, reason } = settings.failure
      return yield* Effect.fail(Checks.illegal("WebhookEndpoints", option, reason, message))
    }
    return fromSettings(yield* HttpClient.HttpClient, settings.success)
  })

/** An optional variable; set but empty counts as unset, as shells and env files often leave them. */
const optional = (name: string) =>
  Config.String(name).pipe(
    Config.option,
    Config.map((value) => Option.getOrUndefined(Option.filter(value, (text) => text !== "")))
  )

/**
 * A problem as a `ConfigError` at the variable's path, its message the engine's: never the value (the issue holds
 * no input), for the key least of all.
 */
const configError = ({ message, option }: Endpoints.OptionProblem): Config.Config<never> => {
  const issue = new SchemaIssue.InvalidValue({ message })
  return Config.fail(
    new Schema.SchemaError(
      option in Endpoints.variables
        ? new SchemaIssue.Pointer([Endpoints.variables[option as keyof typeof Endpoints.variables]], issue)
        : new SchemaIssue.InvalidValue({ message: `WebhookEndpoints: ${option}: ${message}` })
    )
  )
}

/**
 * The settings from the environment (the engine's `variables`), checked as `make` checks options; a problem is a
 * `ConfigError` naming the variable. `timeout` and `maxRetries` come from code.
 */
export const config = (options: Pick<Options, "timeout" | "maxRetries"> = {}): Config.Config<client.Settings> =>
  Config.all({
    apiKey: Config.Redacted(Endpoints.variables.apiKey),
    baseUrl: optional(Endpoints.variables.baseUrl),
    organization: optional(Endpoints.variables.organization),
    project: optional(Endpoints.variables.project)
  }).pipe(
    Config.flatMap((read) => {
      const timeout = timeoutOf(options)
      if (Result.isFailure(timeout)) {
        return configError({ option: "timeout", reason: "Malformed", message: timeout.failure.message })
      }
      const settings = resolve({ ...read, ...options }, timeout.success)
      return Result.isSuccess(settings) ? Config.succeed(settings.success) : configError(settings.failure)
    })
  )

/** The service from the environment. */
export const fromConfig = (
  options: Pick<Options, "timeout" | "maxRetries"> = {}
): Effect.Effect<Service, Config.ConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(
    config(options),
    (settings) => Effect.map(HttpClient.HttpClient, (http) => fromSettings(http, settings))
  )
