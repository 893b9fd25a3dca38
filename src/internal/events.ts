/**
 * The event list as the rest of the package uses it: the class of each known type (read off the classes of
 * `WebhookEvent.ts`), and, from the engine's catalogue where the list is written, the reference sample of each type
 * for `WebhookTesting.sample` and the line `openai-webhooks events` prints.
 *
 * @internal
 */
import { Events } from "openai-webhooks-engine"
import * as WebhookEvent from "../WebhookEvent.js"
import * as eventClass from "./eventClass.js"

/** A class of a known event type. */
export type EventClass = (typeof WebhookEvent.classes)[number]

/** The wire `type` of a known event class. */
export const typeOf = (cls: EventClass): WebhookEvent.EventType => eventClass.typeOf(cls) as WebhookEvent.EventType

/** The class of each known type. */
export const classes: ReadonlyMap<string, EventClass> = new Map(WebhookEvent.classes.map((cls) => [typeOf(cls), cls]))

/** OpenAI's reference example of a known type, as wire JSON (the catalogue's; frozen). */
export const sampleOf = (type: WebhookEvent.EventType): Events.Sample => Events.get(type).sample
