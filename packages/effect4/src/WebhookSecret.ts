/**
 * The secret (or secrets, while you rotate) that OpenAI signs deliveries with, as an Effect service.
 * Secrets are decoded and checked when the layer is built, never per request, and never printed.
 *
 * @since 0.4.0
 */
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/secret.js"
import type { SecretError } from "./WebhookError.js"

/**
 * The decoded signing keys. Opaque: printing it shows how many keys it holds and nothing else.
 *
 * @since 0.4.0
 * @category models
 */
export type Secrets = internal.Secrets

/**
 * A secret as configured: the `whsec_...` string from OpenAI's dashboard, plain or `Redacted`.
 *
 * @since 0.4.0
 * @category models
 */
export type SecretInput = string | Redacted.Redacted<string>

/**
 * The service `Webhooks.verify` and `Webhooks.unwrap` read the signing keys from.
 *
 * @since 0.4.0
 * @category services
 */
export class WebhookSecret extends Context.Service<WebhookSecret, Secrets>()(
  "effect4-openai-webhooks/WebhookSecret"
) {}

/**
 * Decodes and checks secrets, one per item. With several (during a rotation), a delivery signed with
 * any of them verifies. A secret is `whsec_` + base64 (its `=` padding optional: the same key either
 * way) or any other string, used as its UTF-8 bytes. One final line break (`\n` or `\r\n`, what env files
 * and `echo` add) is forgiven; any other whitespace around a secret is a `SecretError` `Whitespace`.
 * Fails with a `SecretError` that says what to fix, without showing the secret.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make: (input: SecretInput | ReadonlyArray<SecretInput>) => Effect.Effect<Secrets, SecretError> =
  internal.make

/**
 * The service from secrets you already hold.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { WebhookSecret } from "effect4-openai-webhooks"
 *
 * const SecretLive = WebhookSecret.layer(Redacted.make("whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="))
 * // while rotating: WebhookSecret.layer([newSecret, oldSecret])
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (input: SecretInput | ReadonlyArray<SecretInput>): Layer.Layer<WebhookSecret, SecretError> =>
  Layer.effect(WebhookSecret, internal.make(input))

/**
 * The variable {@link layerConfig} reads by default; `<variable>_FILE` names a file holding its value instead.
 *
 * @since 0.4.0
 * @category constants
 */
export const variable = "OPENAI_WEBHOOK_SECRET"

/**
 * The service from configuration: by default the `OPENAI_WEBHOOK_SECRET` environment variable, or the file that
 * `OPENAI_WEBHOOK_SECRET_FILE` names (the convention of Docker and Kubernetes secrets: one final line break in the
 * file is dropped). It may hold several secrets separated by spaces or commas, for a rotation. The value is checked
 * like a secret given to {@link layer}, with the same `SecretError` reasons: one final line break is forgiven, other
 * whitespace around the value is `Whitespace`, an entry starting with `v1,` is `LooksLikeSignature`. Neither
 * variable set, both set, or a file that cannot be read or is empty, is a `Config.ConfigError` whose issue points at
 * the variable (and names the path, never the file's contents). The file is read where the runtime has `node:fs`.
 *
 * Given a `Config`, it reads that instead (no file variable: compose one yourself if you need it).
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { WebhookSecret } from "effect4-openai-webhooks"
 *
 * // OPENAI_WEBHOOK_SECRET=whsec_..., or OPENAI_WEBHOOK_SECRET_FILE=/run/secrets/openai_webhook_secret
 * const SecretLive = WebhookSecret.layerConfig()
 * const FromOtherVariable = WebhookSecret.layerConfig(Config.Redacted("MY_WEBHOOK_SECRET"))
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layerConfig = (
  config?: Config.Config<Redacted.Redacted<string>>
): Layer.Layer<WebhookSecret, Config.ConfigError | SecretError> =>
  Layer.effect(
    WebhookSecret,
    config === undefined ? internal.fromEnvironment(variable) : Effect.flatMap(config, internal.fromConfig)
  )
