/**
 * The receiver's secret: `OPENAI_WEBHOOK_SECRET` (or the file `OPENAI_WEBHOOK_SECRET_FILE` names), or when neither
 * is set a fresh development secret, printed once so that a fresh clone works with one command, with the
 * inspector's address and a token for the run. The settings (`./config.ts`) have refused a development run
 * already wherever a real sender could reach it (not loopback, or `NODE_ENV=production`).
 */
import { randomBytes } from "node:crypto"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { WebhookSecret } from "effect4-openai-webhooks"
import * as Access from "./access.js"
import type { ReceiverConfig } from "./config.js"
import { InvalidSecret, mapLayerError } from "./errors.js"
import * as Inspector from "./inspector.js"
import { urlHost } from "./server.js"

/** The inspector's address on this run's settings, as a browser on this machine opens it. */
const inspectorAddress = (settings: ReceiverConfig): string =>
  `http://${urlHost(settings.host)}:${settings.port}${Inspector.PREFIX}`

/**
 * Where this run takes deliveries, for the `send` line: always given, since `send` alone posts to port 8787
 * and the default path, and a run on another `PORT`, `HOST` or `WEBHOOK_PATH` would never see it (or another
 * receiver on 8787 would answer 401 with its own secret).
 */
const deliveryAddress = (settings: ReceiverConfig): string =>
  `http://${urlHost(settings.host)}:${settings.port}${settings.path}`

const development = (settings: ReceiverConfig) => {
  const secret = `whsec_${randomBytes(32).toString("base64")}`
  // A development run serves the inspector too: with WEBHOOK_INSPECTOR_TOKEN if set, else a token made now.
  const made = Option.isNone(settings.inspectorToken) ? Option.some(Access.generate()) : Option.none()
  const token = Option.orElse(settings.inspectorToken, () => made)
  const inspector = Option.match(made, {
    onNone: () => [`    ${inspectorAddress(settings)}?token=<WEBHOOK_INSPECTOR_TOKEN>`],
    onSome: (token) => [
      `    ${inspectorAddress(settings)}?token=${Redacted.value(token)}`,
      "",
      "  (a token made for this run)"
    ]
  })
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
        `    npx openai-webhooks send response.completed --secret ${secret} --url ${deliveryAddress(settings)}`,
        "",
        "  See what arrived, replay and recover it, in the inspector:",
        "",
        ...inspector,
        "",
        "  Deliveries from OpenAI will be rejected (401) until you start the receiver with your endpoint's",
        "  signing secret (or OPENAI_WEBHOOK_SECRET_FILE=<a file holding it>):",
        "",
        "    OPENAI_WEBHOOK_SECRET=whsec_... npx openai-webhooks serve",
        ""
      ].join("\n")
    )
  ).pipe(
    Layer.provideMerge(Layer.merge(
      // 32 random bytes as whsec_ + base64: a secret the library always takes.
      WebhookSecret.layer(Redacted.make(secret)).pipe(Layer.orDie),
      Layer.succeed(Inspector.Token, token)
    ))
  )
}

/**
 * The secret, and the inspector's token for this run: `WEBHOOK_INSPECTOR_TOKEN` (none when unset), or in
 * development (no secret configured) one made for the run when it is unset, printed with the secret. A secret
 * that does not decode is an {@link InvalidSecret} naming the variable it came from.
 */
export const SecretLive = (
  settings: ReceiverConfig
): Layer.Layer<WebhookSecret.WebhookSecret | Inspector.Token, InvalidSecret> =>
  Option.match(settings.secret, {
    onNone: () => development(settings),
    onSome: ({ value, variable }) =>
      Layer.merge(
        // As `WebhookSecret.layerConfig` reads it: one secret, or several separated by spaces or commas.
        mapLayerError(
          WebhookSecret.layerConfig(Config.succeed(value)),
          (error) =>
            new InvalidSecret({
              message: `${variable}: ${error.message}`,
              hint: variable.endsWith("_FILE")
                ? `put your endpoint's signing secret (whsec_..., from the OpenAI dashboard) in the file ${variable} ` +
                  "names"
                : `set ${variable} to your endpoint's signing secret (whsec_..., from the OpenAI dashboard), or ` +
                  "unset it for a development secret on loopback"
            })
        ),
        Layer.succeed(Inspector.Token, settings.inspectorToken)
      )
  })
