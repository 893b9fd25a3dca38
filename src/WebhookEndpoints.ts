/**
 * Manage your webhook endpoints through OpenAI's API: create one (and get its signing secret), list, retrieve,
 * update and delete them, rotate a secret (keeping the old one active for 24 hours, for a rotation without
 * downtime), ask OpenAI to send a test event, and list the event types an endpoint may subscribe to.
 *
 * The service is built on `@effect/platform`'s `HttpClient`, which you provide (`FetchHttpClient.layer`,
 * `NodeHttpClient.layerUndici`, ...). Every call fails with one error, `WebhookError.ApiError`, whose `reason`
 * says what happened. Calls are retried with backoff on 429, 5xx and transport errors (at most `maxRetries`
 * times, honouring `retry-after`), except that `create`, `rotateSecret` and `test`, which are not idempotent, are
 * retried only on 429 and 503 (refused, not processed), and never after a timeout or a lost connection: their
 * error then says the request may have reached OpenAI.
 *
 * A signing secret is a `Redacted`: it does not print, log or serialise (`String`, `util.inspect`,
 * `JSON.stringify`, Effect's loggers all show `<redacted>`); `Redacted.value` reads it. The API key never
 * appears in an error, a log line or a span.
 *
 * Source: OpenAI's API reference, webhook endpoints (`/v1/webhook_endpoints`, `/v1/webhook_event_types`).
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 * import { WebhookEndpoints } from "effect-openai-webhooks"
 *
 * const program = Effect.gen(function*() {
 *   const endpoint = yield* WebhookEndpoints.create({
 *     url: "https://example.com/webhooks/openai",
 *     name: "production",
 *     eventTypes: ["response.completed", "batch.completed"]
 *   })
 *   // Store it now: OpenAI shows it only here and after a rotation.
 *   yield* storeSecret(Redacted.value(endpoint.signingSecret))
 * })
 *
 * declare const storeSecret: (secret: string) => Effect.Effect<void>
 *
 * // OPENAI_API_KEY, and OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID when set.
 * const EndpointsLive = WebhookEndpoints.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
 * Effect.runPromise(Effect.provide(program, EndpointsLive))
 * ```
 *
 * @since 0.2.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { Endpoints } from "openai-webhooks-engine"
import * as models from "./internal/endpoints/models.js"
import * as internal from "./internal/endpoints/service.js"
import type { ApiError, IllegalArgumentException } from "./WebhookError.js"

/**
 * A webhook endpoint, as OpenAI's API answers it. Fields are camelCase; `Schema.encode` gives back OpenAI's JSON
 * (`event_types`, `signing_secret_hint`, `created_at`, `updated_at`); keys OpenAI adds are ignored.
 *
 * - `id`: `whe_...`.
 * - `eventTypes`: the event types it receives (see {@link eventTypes} for those it may subscribe to).
 * - `signingSecretHint`: a hint of the current secret, to tell secrets apart; `null` when OpenAI gives none.
 * - `createdAt`, `updatedAt`: Unix timestamps in seconds, as on the wire and as `WebhookEvent`'s `createdAt`
 *   (`new Date(endpoint.createdAt * 1000)` for a `Date`); `updatedAt` is absent when OpenAI leaves it out.
 *
 * @since 0.2.0
 * @category models
 */
export const WebhookEndpoint: typeof models.WebhookEndpoint = models.WebhookEndpoint

/**
 * @since 0.2.0
 * @category models
 */
export type WebhookEndpoint = models.WebhookEndpoint

/**
 * A {@link WebhookEndpoint} with its signing secret, `whsec_...`: what {@link create} and {@link rotateSecret}
 * answer, the only times OpenAI shows the secret. `signingSecret` is a `Redacted<string>`: it shows as
 * `<redacted>` in `String`, `util.inspect`, `JSON.stringify` and logs; read it with `Redacted.value` to store it
 * or to give it to your receiver (`OPENAI_WEBHOOK_SECRET`, `WebhookSecret.layer`).
 *
 * @since 0.2.0
 * @category models
 */
export const WebhookEndpointWithSecret: typeof models.WebhookEndpointWithSecret = models.WebhookEndpointWithSecret

/**
 * @since 0.2.0
 * @category models
 */
export type WebhookEndpointWithSecret = models.WebhookEndpointWithSecret

/**
 * One page of endpoints, newest first: `data`, the cursors `firstId` and `lastId` (`null` on an empty page), and
 * `hasMore`. Pass `lastId` as `after` for the next page, or let {@link list} follow them.
 *
 * @since 0.2.0
 * @category models
 */
export const Page: typeof models.Page = models.Page

/**
 * @since 0.2.0
 * @category models
 */
export type Page = models.Page

/**
 * What {@link del} answers: `{ id, deleted }`.
 *
 * @since 0.2.0
 * @category models
 */
export const DeletedWebhookEndpoint: typeof models.DeletedWebhookEndpoint = models.DeletedWebhookEndpoint

/**
 * @since 0.2.0
 * @category models
 */
export type DeletedWebhookEndpoint = models.DeletedWebhookEndpoint

/**
 * What {@link test} answers: `webhookEndpointId`, `eventType`, and how the endpoint answered OpenAI's test
 * delivery: `statusCode` (its HTTP status) and `success`.
 *
 * @since 0.2.0
 * @category models
 */
export const TestEventResult: typeof models.TestEventResult = models.TestEventResult

/**
 * @since 0.2.0
 * @category models
 */
export type TestEventResult = models.TestEventResult

/**
 * An event type: the ones this version knows autocomplete, and any other string is accepted (OpenAI adds types
 * before this package knows them; {@link eventTypes} asks OpenAI for the current list).
 *
 * @since 0.2.0
 * @category models
 */
export type EventTypeInput = models.EventTypeInput

/**
 * What {@link create} sends. Checked before sending (an `ApiError` `UnprocessableEntity` with `param`, and no
 * request): `url` is `https://` and at most 2048 characters; `name` is 1 to 256 characters.
 *
 * @since 0.2.0
 * @category models
 */
export interface CreateParams {
  /** Where OpenAI delivers: HTTPS, at most 2048 characters. */
  readonly url: string
  /** 1 to 256 characters. */
  readonly name: string
  /** The event types the endpoint receives. */
  readonly eventTypes: ReadonlyArray<EventTypeInput>
}

/**
 * What {@link update} changes: only the fields given. `eventTypes` replaces the whole set. The same limits as
 * {@link CreateParams}.
 *
 * @since 0.2.0
 * @category models
 */
export interface UpdateParams {
  readonly url?: string | undefined
  readonly name?: string | undefined
  /** The new set of event types: it replaces the old one, it does not add to it. */
  readonly eventTypes?: ReadonlyArray<EventTypeInput> | undefined
}

/**
 * Where a listing starts and how many endpoints a page holds.
 *
 * @since 0.2.0
 * @category models
 */
export interface ListParams {
  /** Start after this endpoint ID (a page's `lastId`). Default: from the newest. */
  readonly after?: string | undefined
  /** Endpoints per page, 1 to 100. Default: OpenAI's (20) for {@link listPage}, 100 for {@link list}. */
  readonly limit?: number | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface RotateSecretParams {
  /**
   * Keep the old secret active for 24 hours: meanwhile each delivery carries a signature for each secret, so a
   * receiver holding either verifies it. Default `false`: the old secret stops at once, and a receiver that holds
   * only the old one rejects every delivery from then on.
   */
  readonly keepOldSecretActiveFor24Hours?: boolean | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface TestParams {
  /** The type of the test event OpenAI sends. */
  readonly eventType: EventTypeInput
}

/**
 * The calls of OpenAI's webhook endpoint API. Every one fails with an {@link ApiError}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** `POST /webhook_endpoints`. Not idempotent: see the module's retry rules. */
  readonly create: (params: CreateParams) => Effect.Effect<WebhookEndpointWithSecret, ApiError>
  /** `GET /webhook_endpoints/{id}`. */
  readonly retrieve: (id: string) => Effect.Effect<WebhookEndpoint, ApiError>
  /** `POST /webhook_endpoints/{id}`. */
  readonly update: (id: string, params: UpdateParams) => Effect.Effect<WebhookEndpoint, ApiError>
  /** Every endpoint, newest first, following the cursor page by page as the stream is read. */
  readonly list: (params?: ListParams) => Stream.Stream<WebhookEndpoint, ApiError>
  /** `GET /webhook_endpoints?after=&limit=`: one page. */
  readonly listPage: (params?: ListParams) => Effect.Effect<Page, ApiError>
  /** `DELETE /webhook_endpoints/{id}` (`delete` is a reserved word, as for `HttpClient.del`). */
  readonly del: (id: string) => Effect.Effect<DeletedWebhookEndpoint, ApiError>
  /** `POST /webhook_endpoints/{id}/rotate_secret`. Not idempotent. */
  readonly rotateSecret: (id: string, params?: RotateSecretParams) => Effect.Effect<WebhookEndpointWithSecret, ApiError>
  /** `POST /webhook_endpoints/{id}/test`. Not idempotent. */
  readonly test: (id: string, params: TestParams) => Effect.Effect<TestEventResult, ApiError>
  /** `GET /webhook_event_types`: the event types an endpoint may subscribe to. */
  readonly eventTypes: Effect.Effect<ReadonlyArray<string>, ApiError>
}

/**
 * The service's tag.
 *
 * @since 0.2.0
 * @category tags
 */
export const WebhookEndpoints: typeof internal.WebhookEndpoints = internal.WebhookEndpoints

/**
 * @since 0.2.0
 * @category tags
 */
export type WebhookEndpoints = internal.WebhookEndpoints

/**
 * How to reach OpenAI's API.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** An OpenAI API key (`sk-...`) allowed to manage the project's webhooks. */
  readonly apiKey: Redacted.Redacted<string>
  /** Default: `https://api.openai.com/v1`. */
  readonly baseUrl?: string | undefined
  /** Sent as `OpenAI-Organization`. */
  readonly organization?: string | undefined
  /** Sent as `OpenAI-Project`. */
  readonly project?: string | undefined
  /** How long one attempt may take, answer included; past it, it is a `Transport` error. Default: 30 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retries after the first attempt, under the module's rules. Default: 2. */
  readonly maxRetries?: number | undefined
}

/**
 * The service from options, checked now: an empty key or one with whitespace in it (never shown), a base URL
 * that is not http(s), a timeout of zero or a negative `maxRetries` is an `IllegalArgumentException` naming the
 * option.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: (
  options: Options
) => Effect.Effect<Service, IllegalArgumentException, HttpClient.HttpClient> = internal.make

/**
 * The service from options (see {@link make}).
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer, Redacted } from "effect"
 * import { WebhookEndpoints } from "effect-openai-webhooks"
 *
 * declare const apiKey: Redacted.Redacted<string>
 *
 * const EndpointsLive = WebhookEndpoints.layer({ apiKey, project: "proj_123", timeout: "10 seconds" }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<WebhookEndpoints, IllegalArgumentException, HttpClient.HttpClient> =>
  Layer.effect(internal.WebhookEndpoints, internal.make(options))

/**
 * The service from the environment, as OpenAI's SDKs read it: `OPENAI_API_KEY` (required, redacted),
 * `OPENAI_BASE_URL` (default `https://api.openai.com/v1`), `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID` (a variable set
 * to the empty string counts as unset). A missing or unusable value is a `ConfigError` naming the variable.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { WebhookEndpoints } from "effect-openai-webhooks"
 *
 * const EndpointsLive = WebhookEndpoints.layerConfig({ maxRetries: 4 }).pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Pick<Options, "timeout" | "maxRetries"> = {}
): Layer.Layer<WebhookEndpoints, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(internal.WebhookEndpoints, internal.fromConfig(options))

/**
 * The default of {@link Options}' `baseUrl`: `https://api.openai.com/v1`.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultBaseUrl: string = Endpoints.defaultBaseUrl

/**
 * @deprecated Use {@link defaultBaseUrl}; this name goes in the next release.
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_BASE_URL: string = defaultBaseUrl

/**
 * Creates an endpoint: the answer holds its signing secret, which OpenAI shows only now. Not idempotent: after a
 * timeout or a lost connection it is not retried, and its error says to check with {@link list} first.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { WebhookEndpoints } from "effect-openai-webhooks"
 *
 * const program = WebhookEndpoints.create({
 *   url: "https://example.com/webhooks/openai",
 *   name: "production",
 *   eventTypes: ["response.completed"]
 * }).pipe(Effect.map((endpoint) => Redacted.value(endpoint.signingSecret)))
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const create = (params: CreateParams): Effect.Effect<WebhookEndpointWithSecret, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.create(params))

/**
 * Retrieves one endpoint (without its secret: OpenAI keeps only a hint).
 *
 * @since 0.2.0
 * @category accessors
 */
export const retrieve = (id: string): Effect.Effect<WebhookEndpoint, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.retrieve(id))

/**
 * Changes an endpoint's `url`, `name` or `eventTypes` (which replaces the whole set).
 *
 * @since 0.2.0
 * @category accessors
 */
export const update = (id: string, params: UpdateParams): Effect.Effect<WebhookEndpoint, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.update(id, params))

/**
 * Every endpoint, newest first, as a `Stream` that asks for the next page (`after` the last ID, while
 * `has_more`) only as it is read.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import { WebhookEndpoints } from "effect-openai-webhooks"
 *
 * const urls = WebhookEndpoints.list().pipe(
 *   Stream.map((endpoint) => endpoint.url),
 *   Stream.runCollect
 * )
 * ```
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = (params?: ListParams): Stream.Stream<WebhookEndpoint, ApiError, WebhookEndpoints> =>
  Stream.unwrap(Effect.map(internal.WebhookEndpoints, (service) => service.list(params)))

/**
 * One page of endpoints, newest first.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listPage = (params?: ListParams): Effect.Effect<Page, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.listPage(params))

/**
 * Deletes an endpoint: OpenAI stops delivering to it. Retried like the idempotent calls; a retry after an
 * attempt that got no answer may find it gone (`NotFound`, and the message says an earlier attempt may have
 * deleted it).
 *
 * @since 0.2.0
 * @category accessors
 */
export const del = (id: string): Effect.Effect<DeletedWebhookEndpoint, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.del(id))

/**
 * Gives an endpoint a new signing secret; the answer holds it. With `keepOldSecretActiveFor24Hours`, the old one
 * stays active for 24 hours and each delivery carries a signature for each: give your receivers both
 * (`OPENAI_WEBHOOK_SECRET="<new> <old>"`, or `WebhookSecret.layer([newSecret, oldSecret])`), then drop the old
 * one. Without it, the old secret stops at once. Not idempotent.
 *
 * @since 0.2.0
 * @category accessors
 */
export const rotateSecret = (
  id: string,
  params?: RotateSecretParams
): Effect.Effect<WebhookEndpointWithSecret, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.rotateSecret(id, params))

/**
 * Asks OpenAI to send the endpoint a test event of a type, and answers how the endpoint answered. Not
 * idempotent: each call sends one more event.
 *
 * @since 0.2.0
 * @category accessors
 */
export const test = (id: string, params: TestParams): Effect.Effect<TestEventResult, ApiError, WebhookEndpoints> =>
  Effect.flatMap(internal.WebhookEndpoints, (service) => service.test(id, params))

/**
 * The event types an endpoint may subscribe to, as OpenAI lists them now (it may know types this version does
 * not).
 *
 * @since 0.2.0
 * @category accessors
 */
export const eventTypes: Effect.Effect<ReadonlyArray<string>, ApiError, WebhookEndpoints> = Effect.flatMap(
  internal.WebhookEndpoints,
  (service) => service.eventTypes
)
