/** `openai-webhooks events`: every known event type with its description. */
import { Command } from "@effect/cli"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
// TODO(engine): the engine's event catalogue
import events from "../../../../dist/internal/events.js"

export const command = Command.make("events", {}, () =>
  Effect.forEach(events, ({ type, doc }) => Console.log(`${type.padEnd(32)} ${doc}`), { discard: true })).pipe(
    Command.withDescription("List every known event type with its description.")
  )
