/**
 * The receiver's secret: `OPENAI_WEBHOOK_SECRET`, or when it is unset a fresh development secret, printed
 * once so that a fresh clone works with one command.
 */
import { randomBytes } from "node:crypto"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as WebhookSecret from "../../WebhookSecret.js"
import { invalid } from "./config.js"
import { type InvalidConfig, InvalidSecret } from "./errors.js"

const development = () => {
  const secret = `whsec_${randomBytes(32).toString("base64")}`
  return Layer.effectDiscard(
    Console.error(
      [
        "",
        "  OPENAI_WEBHOOK_SECRET is not set, so this run uses a development secret made just now:",
        "",
        `    ${secret}`,
        "",
        "  Send it signed test deliveries:",
        "",
        `    npx openai-webhooks send response.completed --secret ${secret}`,
        "",
        "  Deliveries from OpenAI will be rejected (401) until you start the receiver with your endpoint's",
        "  signing secret:",
        "",
        "    OPENAI_WEBHOOK_SECRET=whsec_... npm start",
        ""
      ].join("\n")
    )
  ).pipe(Layer.provideMerge(WebhookSecret.layer(Redacted.make(secret))))
}

export const SecretLive: Layer.Layer<WebhookSecret.WebhookSecret, InvalidConfig | InvalidSecret> = Layer
  .unwrapEffect(
    Effect.map(Config.option(Config.redacted("OPENAI_WEBHOOK_SECRET")), (configured) =>
      Option.isNone(configured) ? development() : WebhookSecret.layerConfig())
  ).pipe(
    Layer.catchAll((error) =>
      Layer.fail(
        ConfigError.isConfigError(error)
          ? invalid(error)
          : new InvalidSecret({
            message: `OPENAI_WEBHOOK_SECRET: ${error.message}`,
            hint: "set it to your endpoint's signing secret (whsec_..., from the OpenAI dashboard), " +
              "or unset it for a development secret"
          })
      )
    )
  )
