import { Config } from "effect"
import { Webhooks, WebhookSecret } from "effect4-openai-webhooks"

// OPENAI_WEBHOOK_SECRET="whsec_new whsec_old" accepts deliveries signed with either while you rotate.
export const SecretLive = WebhookSecret.layerConfig()

// Another variable, and a wider tolerance for a receiver whose clock drifts:
export const OtherSecret = WebhookSecret.layerConfig(Config.Redacted("MY_APP_OPENAI_WEBHOOK_SECRET"))
export const verifyLenient = (body: string, headers: Headers) =>
  Webhooks.verify(body, headers, { tolerance: "10 minutes" })
