/** `openai-webhooks events`: every known event type with its description. */
import { Command } from "@effect/cli"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Events } from "openai-webhooks-engine"

export const command = Command.make("events", {}, () =>
  Effect.forEach(Events.all, (event) => Console.log(`${event.type.padEnd(32)} ${Events.summary(event)}`), {
    discard: true
  })).pipe(
    Command.withDescription("List every known event type with its description.")
  )
