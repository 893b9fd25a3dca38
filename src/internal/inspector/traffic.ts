/**
 * What the webhook endpoint answered, per minute, for the last hour (the engine's `Inspector.traffic`), counted
 * from the counters every mounting style already increments (`WebhookHttp.deliveries`). Process-wide, like the
 * counters: Effect 3 keeps its metrics in one registry per process.
 */
import { Inspector } from "openai-webhooks-engine"
import { unsafeDeliveries } from "../http.js"

export const traffic: Inspector.Traffic = Inspector.traffic(unsafeDeliveries)
