/**
 * The receiver's secret: `OPENAI_WEBHOOK_SECRET`, or when it is unset a fresh development secret, printed
 * once so that a fresh clone works with one command.
 */
import { randomBytes } from "node:crypto"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as WebhookSecret from "../../WebhookSecret.js"

export const SecretLive: Layer.Layer<WebhookSecret.WebhookSecret, unknown> = Layer.unwrapEffect(
  Effect.map(Config.option(Config.redacted("OPENAI_WEBHOOK_SECRET")), (configured) => {
    if (Option.isSome(configured)) return WebhookSecret.layerConfig()
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
  })
)
