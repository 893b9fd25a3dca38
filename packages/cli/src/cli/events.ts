/**
 * `openai-webhooks events`: every known event type with its description; `events <type>`: that type's fields
 * and its sample event, the `data` that `send --data` merges over. From the engine's catalogue, without Effect.
 */
import * as Effect from "effect/Effect"
import { Events } from "openai-webhooks-engine"
import type { events, Input } from "./commands.js"
import { UsageError } from "./errors.js"

const shapeOf = (shape: Events.Shape): string => {
  switch (shape.kind) {
    case "literal":
      return JSON.stringify(shape.value)
    case "enum":
      return `${shape.known.map((value) => JSON.stringify(value)).join(" | ")} | string`
    case "array":
      return `array of ${shapeOf(shape.items)}`
    case "object":
      return shape.name ?? "object"
    default:
      return shape.kind
  }
}

/** The fields of `data`, one per line, nested objects indented. */
const fieldLines = (fields: ReadonlyArray<Events.Field>, indent: string): ReadonlyArray<string> =>
  fields.flatMap((field) => {
    const inner = field.shape.kind === "object"
      ? field.shape.fields
      : field.shape.kind === "array" && field.shape.items.kind === "object"
      ? field.shape.items.fields
      : []
    return [
      `${indent}${field.wire}${field.optional ? "?" : ""}: ${shapeOf(field.shape)}  ${field.description}`,
      ...fieldLines(inner, `${indent}  `)
    ]
  })

/** Prints the list, or one type's description, fields and sample; an unknown type is a usage mistake (exit 2). */
export const run = (input: Input<typeof events>): Effect.Effect<void, UsageError> => Effect.suspend(() => {
  if (input.type === undefined) {
    process.stdout.write(Events.all.map((event) => `${event.type.padEnd(32)} ${Events.summary(event)}\n`).join(""))
    return Effect.void
  }
  const event = Events.byType(input.type)
  if (event === undefined) {
    const near = Events.types.find((type) => type.startsWith(input.type!))
    return Effect.fail(
      new UsageError({
        message: `unknown event type "${input.type}"${near === undefined ? "" : `; did you mean ${near}?`}`,
        hint: "list them with openai-webhooks events"
      })
    )
  }
  process.stdout.write(
    [
      `${event.type}: ${Events.summary(event)}`,
      "",
      "data fields (wire names; ? marks an optional one):",
      ...fieldLines(event.data, "  "),
      "",
      "sample (what send posts; --data is merged over its data):",
      JSON.stringify(event.sample, null, 2),
      ""
    ].join("\n")
  )
  return Effect.void
})
