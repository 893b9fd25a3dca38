/**
 * The reference events the tests compare the classes with: the team's facts (`fixtures/events.json`, a copy of
 * `../shared/openai/events.json` dated 2026-11-26) and the types announced since (`fixtures/events-newer.json`),
 * each slotted in after the type it follows in OpenAI's reference order. `test/event-drift.test.ts` keeps the two
 * files honest against each other, the SDK and the classes.
 */
import facts from "../fixtures/events.json" with { type: "json" }
import newer from "../fixtures/events-newer.json" with { type: "json" }

/** One event type as the facts describe it: its wire `type`, OpenAI's sentence, its example and its deprecation. */
export interface ReferenceEvent {
  readonly type: string
  readonly doc: string
  /** The wire JSON of a whole event, as OpenAI sends it. */
  readonly example: Readonly<Record<string, any>>
  readonly deprecated?: string | undefined
}

const slot = (
  base: ReadonlyArray<ReferenceEvent>,
  added: ReadonlyArray<ReferenceEvent & { readonly after: string }>
): ReadonlyArray<ReferenceEvent> =>
  added.reduce<ReadonlyArray<ReferenceEvent>>((events, event) => {
    const index = events.findIndex(({ type }) => type === event.after)
    if (index === -1) throw new Error(`events-newer.json: ${event.type} follows ${event.after}, which is not listed`)
    const { after: _, ...rest } = event
    return [...events.slice(0, index + 1), rest, ...events.slice(index + 1)]
  }, base)

/** The facts of 2026-11-26 alone, in their order. */
export const factEvents: ReadonlyArray<ReferenceEvent> = facts.events

/** The types announced after the facts, each with `after` (its place in OpenAI's order) and `source` (why). */
export const newerEvents: ReadonlyArray<ReferenceEvent & { readonly after: string; readonly source: string }> =
  newer.events

/** Every event type we expect a class for, in OpenAI's reference order. */
export const referenceEvents: ReadonlyArray<ReferenceEvent> = slot(factEvents, newerEvents)

/** The reference of `type`, a deep copy (so that a test editing its payload cannot leak into another test). */
export const referenceOf = (type: string): ReferenceEvent => {
  const found = referenceEvents.find((event) => event.type === type)
  if (found === undefined) throw new Error(`no reference event of ${type} in events.json or events-newer.json`)
  return JSON.parse(JSON.stringify(found))
}
