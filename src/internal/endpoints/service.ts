/**
 * The `WebhookEndpoints` service: each call of OpenAI's webhook endpoint API built by the engine (`Endpoints`,
 * which holds the input to the documented limits before anything is sent), sent by `./client.ts`, its answer
 * decoded by `./models.ts`.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Endpoints, Result } from "openai-webhooks-engine"
import type { ListParams, Options, Service } from "../../WebhookEndpoints.js"
import type { ApiError, IllegalArgumentException } from "../../WebhookError.js"
import * as Checks from "../options.js"
import * as client from "./client.js"
import * as models from "./models.js"

export class WebhookEndpoints extends Context.Tag("effect-openai-webhooks/WebhookEndpoints")<
  WebhookEndpoints,
  Service
>() {}

// Every issue, so that an InvalidResponse names each field that departs from the documented shape.
const decoder = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownEither(schema, { errors: "all" })

const decodeEndpoint = decoder(models.WebhookEndpoint)
const decodeWithSecret = decoder(models.WebhookEndpointWithSecret)
const decodePage = decoder(models.Page)
const decodeDeleted = decoder(models.DeletedWebhookEndpoint)
const decodeTest = decoder(models.TestEventResult)
const decodeEventTypes = decoder(models.EventTypeList)

/** The engine's request, or the limit its input breaks (refused before sending), as an Effect. */
const request = (built: Result.Result<Endpoints.Request, Endpoints.Refused>): Effect.Effect<Endpoints.Request, ApiError> =>
  built.ok ? Effect.succeed(built.value) : Effect.fail(client.apiError(built.error))

/** The service over a client and settings already resolved. */
export const fromSettings = (http: HttpClient.HttpClient, settings: client.Settings): Service => {
  const send = <A>(
    built: Result.Result<Endpoints.Request, Endpoints.Refused>,
    decode: (json: unknown) => Either.Either<A, ParseResult.ParseError>
  ) => Effect.flatMap(request(built), (call) => client.send(http, settings, call, decode))

  const listPage = (params: ListParams = {}) => send(Endpoints.listPage(params), decodePage)

  return {
    create: (params) => send(Endpoints.create(params), decodeWithSecret),
    retrieve: (id) => send(Endpoints.retrieve(id), decodeEndpoint),
    update: (id, params) => send(Endpoints.update(id, params), decodeEndpoint),
    listPage,
    list: ({ after, limit = Endpoints.maxPageSize } = {}) =>
      Stream.paginateChunkEffect(after, (cursor) =>
        Effect.flatMap(listPage({ after: cursor, limit }), (page) => {
          const next = Endpoints.nextCursor(page, cursor)
          return next.ok
            ? Effect.succeed([Chunk.unsafeFromArray(page.data), Option.fromNullable(next.value)] as const)
            : Effect.fail(client.apiError(next.error))
        })),
    del: (id) => send(Endpoints.del(id), decodeDeleted),
    rotateSecret: (id, params = {}) => send(Endpoints.rotateSecret(id, params), decodeWithSecret),
    test: (id, params) => send(Endpoints.test(id, params), decodeTest),
    eventTypes: Effect.map(send(Result.ok(Endpoints.eventTypes), decodeEventTypes), (list) => list.data)
  }
}

/** The options resolved by the engine, the key revealed only to it, the timeout kept as a Duration. */
const resolve = (options: Options): Either.Either<client.Settings, Endpoints.OptionProblem> => {
  const timeout = Duration.decode(options.timeout ?? Endpoints.defaultTimeoutMillis)
  const resolved = Endpoints.resolve({
    apiKey: Redacted.value(options.apiKey),
    baseUrl: options.baseUrl,
    organization: options.organization,
    project: options.project,
    timeoutMillis: Duration.toMillis(timeout),
    maxRetries: options.maxRetries
  })
  return resolved.ok ? Either.right({ ...resolved.value, timeout }) : Either.left(resolved.error)
}

/** The service from options, checked now: a bad option is an `IllegalArgumentException` naming it. */
export const make = (
  options: Options
): Effect.Effect<Service, IllegalArgumentException, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    // A duration Effect cannot read is Malformed here, not a throw from the resolving below.
    if (options.timeout !== undefined) yield* Checks.duration("WebhookEndpoints", "timeout", options.timeout, false)
    const settings = resolve(options)
    if (Either.isLeft(settings)) {
      const { message, option, reason } = settings.left
      return yield* Effect.fail(Checks.illegal("WebhookEndpoints", option, reason, message))
    }
    return fromSettings(yield* HttpClient.HttpClient, settings.right)
  })

/** An optional variable; set but empty counts as unset, as shells and env files often leave them. */
const optional = (name: string) =>
  Config.string(name).pipe(
    Config.option,
    Config.map(Option.filter((value) => value !== "")),
    Config.map(Option.getOrUndefined)
  )

/**
 * The settings from the environment (see `variables`), checked as `make` checks options; a problem is a
 * `ConfigError` naming the variable. `timeout` and `maxRetries` come from code.
 */
export const config = (
  options: Pick<Options, "timeout" | "maxRetries"> = {}
): Config.Config<client.Settings> =>
  Config.all({
    apiKey: Config.redacted(Endpoints.variables.apiKey),
    baseUrl: optional(Endpoints.variables.baseUrl),
    organization: optional(Endpoints.variables.organization),
    project: optional(Endpoints.variables.project)
  }).pipe(
    Config.mapOrFail((read) =>
      Either.mapLeft(resolve({ ...read, ...options }), ({ message, option }) =>
        option in Endpoints.variables
          ? ConfigError.InvalidData([Endpoints.variables[option as keyof typeof Endpoints.variables]], message)
          : ConfigError.InvalidData([], `WebhookEndpoints: ${option}: ${message}`))
    )
  )

/** The service from the environment. */
export const fromConfig = (
  options: Pick<Options, "timeout" | "maxRetries"> = {}
): Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(
    config(options),
    (settings) => Effect.map(HttpClient.HttpClient, (http) => fromSettings(http, settings))
  )
