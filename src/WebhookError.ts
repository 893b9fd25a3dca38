/**
 * The typed errors of this package. Each one says what went wrong in `message`, carries a `reason`
 * literal to branch on, and never contains a secret, a received signature or an expected MAC.
 *
 * Options given in code that cannot be used fail one way everywhere: the Effect or Layer given them fails
 * with an {@link IllegalArgumentException} naming the option, when it is built (never per request). Values
 * read from `Config` (`layerConfig`) fail with the `ConfigError` that names the variable.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"
import { Json, Secret, Signature } from "openai-webhooks-engine"

/**
 * Raised by `Webhooks.verify` and `Webhooks.unwrap` when a delivery cannot be shown to come from
 * OpenAI. Answer it with 401: the delivery is not authentic (or the configured secret is wrong).
 *
 * - `MissingHeader`: `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty (`header` names it).
 * - `InvalidTimestamp`: `webhook-timestamp` is not a decimal number of seconds.
 * - `TimestampTooOld` / `TimestampTooNew`: the timestamp is outside the tolerance (default 5 minutes).
 * - `NoMatchingSignature`: no `v1,` signature in `webhook-signature` matches any configured secret.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Webhooks } from "effect-openai-webhooks"
 *
 * const program = Webhooks.verify("{}", {}).pipe(
 *   Effect.catchTag("SignatureError", (error) => Effect.succeed(error.reason))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureError extends Schema.TaggedError<SignatureError>("effect-openai-webhooks/SignatureError")(
  "SignatureError",
  {
    reason: Schema.Literal(...Signature.reasons),
    message: Schema.String,
    header: Schema.optionalWith(Schema.String, { exact: true })
  }
) {}

/**
 * Raised by `Webhooks.decode` and `Webhooks.unwrap` when an authentic payload is not an event this
 * version can read. Answer it with 400 and keep the raw body: it came from OpenAI.
 *
 * - `InvalidJson`: the body is not UTF-8 JSON.
 * - `InvalidEvent`: the JSON is not an event: `path` names the first failing wire field
 *   (`data.call_id`), `eventType` the event's `type` when it has one.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("effect-openai-webhooks/DecodeError")(
  "DecodeError",
  {
    reason: Schema.Literal(...Json.reasons),
    message: Schema.String,
    eventType: Schema.optionalWith(Schema.String, { exact: true }),
    path: Schema.optionalWith(Schema.String, { exact: true })
  }
) {}

/**
 * Raised when a webhook secret is configured wrongly, when the `WebhookSecret` layer is built (never
 * per request). The message says what to fix and never shows the secret.
 *
 * - `Missing`: no secret was given.
 * - `Whitespace`: the secret has spaces or line breaks around it (a copy-paste slip); one final line
 *   break, what env files and `echo` add, is forgiven.
 * - `InvalidBase64`: after `whsec_` comes something that is not base64: characters outside the standard
 *   alphabet, a length no encoding has, padding that does not fit, or bits set after the last byte (a
 *   secret cut short). The `=` padding itself is optional.
 * - `TooShort`: the key is empty or shorter than 16 bytes.
 * - `LooksLikeSignature`: the value (or an entry of a configured list) starts with `v1,`: a signature was
 *   pasted instead of the secret.
 *
 * @since 0.1.0
 * @category errors
 */
export class SecretError extends Schema.TaggedError<SecretError>("effect-openai-webhooks/SecretError")(
  "SecretError",
  {
    reason: Schema.Literal(...Secret.reasons),
    message: Schema.String
  }
) {}

/**
 * Raised by every `WebhookEndpoints` call that does not get the answer it asked OpenAI's API for. The `message`
 * says what happened and what to do; it never contains the API key, a signing secret, or a value from the
 * response (which may hold one).
 *
 * - `Authentication` (401): the API key is missing, wrong or revoked.
 * - `PermissionDenied` (403): the key may not manage this project's webhook endpoints.
 * - `NotFound` (404): no such endpoint (in this project).
 * - `Conflict` (409): the request conflicts with the endpoint's current state.
 * - `UnprocessableEntity` (400, 422): OpenAI refused the request's content (`param` names the field); also
 *   raised before sending, with no `status`, for input outside the documented limits (url HTTPS and at most 2048
 *   characters, name 1 to 256 characters, limit 1 to 100): such a request is not sent.
 * - `RateLimited` (429): too many requests; retried (honouring `retry-after`) before this is raised.
 * - `Server` (5xx): OpenAI failed; retried before this is raised.
 * - `Transport`: no answer (the connection failed, or the per-request timeout passed). For `create`,
 *   `rotateSecret` and `test`, which are not idempotent, the request may have reached OpenAI, so it is not
 *   retried and the message says so: check with `list` or `retrieve` before trying again.
 * - `InvalidResponse`: an answer that is not what OpenAI documents (not JSON, a field missing or of another type,
 *   an unexpected status).
 *
 * `status` is the HTTP status when there was an answer; `type`, `param` and `code` are OpenAI's own error
 * fields (`{ "error": { "message", "type", "param", "code" } }`) when it gave them; `requestId` is the
 * `x-request-id` of the answer, the reference OpenAI's support asks for.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookEndpoints } from "effect-openai-webhooks"
 *
 * const program = WebhookEndpoints.retrieve("whe_123").pipe(
 *   Effect.catchTag("ApiError", (error) =>
 *     error.reason === "NotFound" ? Effect.succeed(undefined) : Effect.fail(error)
 *   )
 * )
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class ApiError extends Schema.TaggedError<ApiError>("effect-openai-webhooks/ApiError")("ApiError", {
  reason: Schema.Literal(
    "Authentication",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "UnprocessableEntity",
    "RateLimited",
    "Server",
    "Transport",
    "InvalidResponse"
  ),
  message: Schema.String,
  status: Schema.optionalWith(Schema.Int, { exact: true }),
  type: Schema.optionalWith(Schema.String, { exact: true }),
  param: Schema.optionalWith(Schema.String, { exact: true }),
  code: Schema.optionalWith(Schema.String, { exact: true }),
  requestId: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * Raised by `WebhookInbox`'s log operations (`list`, `replay`, `recover`, `discard`, `timeline`) when the
 * operation cannot be done as asked; `reason` says why:
 *
 * - `NotFound`: no delivery has this `webhook-id` (`webhookId` names it).
 * - `NotDead`: `discard` is for dead letters; this one is not dead (its status is in the message).
 * - `InProgress`: `replay` of a delivery a handler runs right now (a live claim or lease).
 * - `NoBody`: `replay` of a delivery stored before bodies were kept in inline mode.
 * - `InvalidQuery`: a `limit` out of 1 to 500, a cursor this inbox did not make, `since` after `until`, an
 *   unknown status, too many timeline buckets.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookInbox } from "effect-openai-webhooks"
 *
 * const replayed = WebhookInbox.replay("msg_123").pipe(
 *   Effect.catchTag("InboxError", (error) => error.reason === "NotFound" ? Effect.void : Effect.fail(error))
 * )
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class InboxError extends Schema.TaggedError<InboxError>("effect-openai-webhooks/InboxError")(
  "InboxError",
  {
    reason: Schema.Literal("NotFound", "NotDead", "InProgress", "NoBody", "InvalidQuery"),
    message: Schema.String,
    webhookId: Schema.optionalWith(Schema.String, { exact: true })
  }
) {}

/**
 * Raised when an option given in code cannot be used, by the Effect or Layer that was given it when it is
 * built: `WebhookHttp.layerRoute` and `makeNodeListener` (and `toWebHandler`'s layer, `toHttpApp`'s first
 * delivery: neither has a start of its own, so each delivery is answered 500 with a line saying why),
 * `WebhookInbox.make`, `layerSql`, `layerConfig` and `layerWorker`, `WebhookEndpoints.make` and `layer`.
 * It is Effect's own `IllegalArgumentException` (the same `_tag`, and `Cause.isIllegalArgumentException`
 * holds), so `Effect.catchTag("IllegalArgumentException", ...)` catches it, with two fields more:
 *
 * - `option`: the option's name as written in the options (`maxBodySize`, `heartbeat`, `inbox`, ...).
 * - `reason`:
 *   - `Malformed`: a value of the wrong form (a duration Effect cannot read, a URL that is not http(s), an
 *     empty or blank key);
 *   - `OutOfRange`: a number or a duration outside what the option accepts (a body limit of 0, a timeout
 *     of zero, a concurrency under 1);
 *   - `Conflict`: two settings that cannot work together (a `heartbeat` not shorter than the `lease`; a route
 *     that says `inbox: "queued"` on an inbox built inline).
 *
 * The `message` reads `<Module>: <option>: <what it accepts>; got <value>` and never shows a secret or a key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookHttp, WebhookSecret } from "effect-openai-webhooks"
 *
 * const listener = WebhookHttp.makeNodeListener({ handle: () => Effect.void, maxBodySize: 0 }).pipe(
 *   Effect.provide(WebhookSecret.layerConfig()),
 *   // "WebhookHttp: maxBodySize: Expected a positive whole number of bytes; got 0"
 *   Effect.catchTag("IllegalArgumentException", (error) => Effect.dieMessage(error.message))
 * )
 * ```
 *
 * @since 0.3.0
 * @category errors
 */
export class IllegalArgumentException extends Schema.TaggedError<IllegalArgumentException>(
  "effect-openai-webhooks/IllegalArgumentException"
)("IllegalArgumentException", {
  reason: Schema.Literal("Malformed", "OutOfRange", "Conflict"),
  option: Schema.String,
  message: Schema.String
}) {
  /** What makes it an Effect `IllegalArgumentException` too: set once, on the prototype. */
  declare readonly [Cause.IllegalArgumentExceptionTypeId]: Cause.IllegalArgumentExceptionTypeId
}

Object.defineProperty(IllegalArgumentException.prototype, Cause.IllegalArgumentExceptionTypeId, {
  value: Cause.IllegalArgumentExceptionTypeId
})
