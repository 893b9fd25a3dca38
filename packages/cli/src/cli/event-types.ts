/**
 * `openai-webhooks event-types`: the event types an endpoint may subscribe to, as OpenAI's API lists them now
 * (`WebhookEndpoints.eventTypes`). `events` lists the types this version decodes, without asking anyone.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { WebhookEndpoints } from "effect4-openai-webhooks"
import type { Input, eventTypes } from "./commands.js"
import { printJson, withApi } from "./endpoints.js"

export const run = (flags: Input<typeof eventTypes>) =>
  withApi(Effect.gen(function*() {
    const types = yield* WebhookEndpoints.eventTypes
    yield* flags.json ? printJson(types) : Console.log(types.join("\n"))
  }))
