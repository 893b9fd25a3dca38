/**
 * The `WebhookEndpoints` service: each call of OpenAI's webhook endpoint API, its input checked against the
 * documented limits before anything is sent, sent by `./client.ts`, its answer decoded by `./models.ts`.
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
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ListParams, Options, Service } from "../../WebhookEndpoints.js"
import { ApiError, type IllegalArgumentException } from "../../WebhookError.js"
import * as Checks from "../options.js"
import * as client from "./client.js"
import * as models from "./models.js"

export class WebhookEndpoints extends Context.Tag("effect-openai-webhooks/WebhookEndpoints")<
  WebhookEndpoints,
  Service
>() {}

/** Input outside the documented limits: refused before sending, as OpenAI would refuse it (`param` is the field). */
const refused = (param: string, message: string) =>
  new ApiError({ reason: "UnprocessableEntity", param, message: `${message} (not sent)` })

const snakeCase = (key: PropertyKey) => String(key).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** The wire JSON of a request, or the first limit it breaks, named by its wire field. */
const encoder = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encodeEither(schema)
  return (input: A): Effect.Effect<I, ApiError> =>
    Either.match(encode(input), {
      onRight: Effect.succeed,
      onLeft: (error) => {
        const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
        const param = issue === undefined ? "body" : issue.path.map(snakeCase).join(".")
        return Effect.fail(refused(param, issue?.message ?? "the request is not valid"))
      }
    })
}

const encodeCreate = encoder(models.CreateBody)
const encodeUpdate = encoder(models.UpdateBody)
const encodeList = encoder(models.ListQuery)
const encodeRotate = encoder(models.RotateSecretBody)
const encodeTest = encoder(models.TestBody)

// Every issue, so that an InvalidResponse names each field that departs from the documented shape.
const decoder = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownEither(schema, { errors: "all" })

const decodeEndpoint = decoder(models.WebhookEndpoint)
const decodeWithSecret = decoder(models.WebhookEndpointWithSecret)
const decodePage = decoder(models.Page)
const decodeDeleted = decoder(models.DeletedWebhookEndpoint)
const decodeTest = decoder(models.TestEventResult)
const decodeEventTypes = decoder(models.EventTypeList)

/**
 * `/webhook_endpoints/{id}`, the ID escaped. An empty ID, `.` or `..` would name another resource (the list, or a
 * parent path once the URL is normalised): refused.
 */
const endpointPath = (id: string, suffix = ""): Effect.Effect<string, ApiError> =>
  id === "" || id === "." || id === ".."
    ? Effect.fail(refused("id", `the endpoint ID ${id === "" ? "is empty" : `cannot be "${id}"`}`))
    : Effect.succeed(`/webhook_endpoints/${encodeURIComponent(id)}${suffix}`)

/** The service over a client and settings already resolved. */
export const fromSettings = (http: HttpClient.HttpClient, settings: client.Settings): Service => {
  const send = <A>(call: client.Call<A>) => client.send(http, settings, call)

  const listPage = (params: ListParams = {}) =>
    Effect.flatMap(encodeList(params), (query) =>
      send({
        method: "GET",
        path: "/webhook_endpoints",
        urlParams: {
          ...(query.after === undefined ? {} : { after: query.after }),
          ...(query.limit === undefined ? {} : { limit: String(query.limit) })
        },
        decode: decodePage,
        idempotent: true
      }))

  return {
    create: (params) =>
      Effect.flatMap(encodeCreate(params), (body) =>
        send({ method: "POST", path: "/webhook_endpoints", body, decode: decodeWithSecret, idempotent: false })),
    retrieve: (id) =>
      Effect.flatMap(
        endpointPath(id),
        (path) => send({ method: "GET", path, decode: decodeEndpoint, idempotent: true })
      ),
    update: (id, params) =>
      Effect.flatMap(
        Effect.zip(endpointPath(id), encodeUpdate(params)),
        // Setting the same fields twice leaves the endpoint as setting them once: idempotent.
        ([path, body]) => send({ method: "POST", path, body, decode: decodeEndpoint, idempotent: true })
      ),
    listPage,
    list: ({ after, limit = models.MAX_PAGE_SIZE } = {}) =>
      Stream.paginateChunkEffect(after, (cursor) =>
        Effect.flatMap(listPage({ after: cursor, limit }), (page) => {
          const next = page.lastId ?? page.data.at(-1)?.id
          if (page.hasMore && (next === undefined || next === cursor)) {
            return Effect.fail(
              new ApiError({
                reason: "InvalidResponse",
                message: "GET /webhook_endpoints: has_more is true but the page gives no new cursor to go on from"
              })
            )
          }
          return Effect.succeed(
            [Chunk.unsafeFromArray(page.data), page.hasMore ? Option.some(next) : Option.none()] as const
          )
        })),
    del: (id) =>
      Effect.flatMap(
        endpointPath(id),
        (path) => send({ method: "DELETE", path, decode: decodeDeleted, idempotent: true })
      ),
    rotateSecret: (id, params = {}) =>
      Effect.flatMap(
        Effect.zip(endpointPath(id, "/rotate_secret"), encodeRotate(params)),
        ([path, body]) => send({ method: "POST", path, body, decode: decodeWithSecret, idempotent: false })
      ),
    test: (id, params) =>
      Effect.flatMap(
        Effect.zip(endpointPath(id, "/test"), encodeTest(params)),
        ([path, body]) => send({ method: "POST", path, body, decode: decodeTest, idempotent: false })
      ),
    eventTypes: Effect.map(
      send({ method: "GET", path: "/webhook_event_types", decode: decodeEventTypes, idempotent: true }),
      (list) => list.data
    )
  }
}

/** The service from options, checked now: a bad option is an `IllegalArgumentException` naming it. */
export const make = (
  options: Options
): Effect.Effect<Service, IllegalArgumentException, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    // A duration Effect cannot read is Malformed here, not a throw from the resolving below.
    if (options.timeout !== undefined) yield* Checks.duration("WebhookEndpoints", "timeout", options.timeout, false)
    const settings = client.resolve(options)
    if (Either.isLeft(settings)) {
      const { message, option } = settings.left
      const reason = option === "timeout" || option === "maxRetries" ? "OutOfRange" : "Malformed"
      return yield* Effect.fail(Checks.illegal("WebhookEndpoints", option, reason, message))
    }
    return fromSettings(yield* HttpClient.HttpClient, settings.right)
  })

/** The variable each option comes from in {@link config}. */
const variables = {
  apiKey: "OPENAI_API_KEY",
  baseUrl: "OPENAI_BASE_URL",
  organization: "OPENAI_ORG_ID",
  project: "OPENAI_PROJECT_ID"
} as const

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
    apiKey: Config.redacted(variables.apiKey),
    baseUrl: optional(variables.baseUrl),
    organization: optional(variables.organization),
    project: optional(variables.project)
  }).pipe(
    Config.mapOrFail((read) =>
      Either.mapLeft(client.resolve({ ...read, ...options }), ({ message, option }) =>
        option in variables
          ? ConfigError.InvalidData([variables[option as keyof typeof variables]], message)
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
