/**
 * The event list as the rest of the package uses it, read off the classes of `WebhookEvent.ts` (the one place it is
 * written): each known type's class, its one-line description for `openai-webhooks events`, and the `data` of its
 * reference sample for `WebhookTesting.sample`.
 *
 * @internal
 */
import * as WebhookEvent from "../WebhookEvent.js"
import * as eventClass from "./eventClass.js"

/** A class of a known event type. */
export type EventClass = (typeof WebhookEvent.classes)[number]

/** The wire `type` of a known event class. */
export const typeOf = (cls: EventClass): WebhookEvent.EventType => eventClass.typeOf(cls) as WebhookEvent.EventType

/** The class of each known type. */
export const classes: ReadonlyMap<string, EventClass> = new Map(WebhookEvent.classes.map((cls) => [typeOf(cls), cls]))

/** The class of a known type. */
export const classOf = (type: WebhookEvent.EventType): EventClass => classes.get(type)!

/** The wire `data` of the reference sample of a known type. */
export const sampleDataOf = (type: WebhookEvent.EventType): unknown => eventClass.sampleDataOf(classOf(type))

/** One line: the class's description, then its deprecation when it has one. */
const docOf = (cls: EventClass): string => {
  const description = eventClass.descriptionOf(cls)
  const deprecated = eventClass.deprecationOf(cls)
  return deprecated === undefined ? description : `${description} Deprecated: ${deprecated}`
}

/** Every known event type with its one-line description, in the order of the classes. */
const events: ReadonlyArray<{ readonly type: WebhookEvent.EventType; readonly doc: string }> = WebhookEvent.classes.map(
  (cls) => ({ type: typeOf(cls), doc: docOf(cls) })
)

export default events
