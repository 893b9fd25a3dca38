/**
 * `openai-webhooks event-types`: the event types an endpoint may subscribe to, as OpenAI's API lists them now
 * (`WebhookEndpoints.eventTypes`). `events` lists the types this version decodes, without asking anyone.
 */
import { Command } from "@effect/cli"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { WebhookEndpoints } from "effect-openai-webhooks"
import { json, printJson, withApi } from "./endpoints.js"

export const command = Command.make("event-types", { json }, (flags) =>
  withApi(Effect.gen(function*() {
    const types = yield* WebhookEndpoints.eventTypes
    yield* flags.json ? printJson(types) : Console.log(types.join("\n"))
  }))).pipe(
    Command.withDescription(
      "List the event types an endpoint may subscribe to, as OpenAI's API lists them now (what endpoints create " +
        "--events all subscribes to). Needs OPENAI_API_KEY. The types this version decodes: openai-webhooks events."
    )
  )
