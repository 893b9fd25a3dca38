/**
 * The event list as the rest of the package uses it: the class of each known type and its wire schema (read off
 * `WebhookEvent.ts`), and, from the engine's catalogue where the list is written, the reference sample of each type
 * for `WebhookTesting.sample`.
 *
 * @internal
 */
import type * as Schema from "effect/Schema"
import { Events } from "openai-webhooks-engine"
import * as WebhookEvent from "../WebhookEvent.js"
import * as eventClass from "./eventClass.js"

/** A class of a known event type. */
export type EventClass = (typeof WebhookEvent.classes)[number]

/** The wire `type` of a known event class. */
export const typeOf = (cls: EventClass): WebhookEvent.EventType => eventClass.typeOf(cls) as WebhookEvent.EventType

/** A member of the union: a class with its wire keys. */
export type Wire = Schema.Codec<WebhookEvent.UnwrapWebhookEvent, unknown>

const members = WebhookEvent.UnwrapWebhookEvent.members as unknown as ReadonlyArray<Wire>

/** The wire schema of each known type (the union's member), by wire `type`. */
export const wires: ReadonlyMap<string, Wire> = new Map(
  WebhookEvent.classes.map((cls, index) => [typeOf(cls), members[index]!])
)

/** The wire schema of the unknown event (the union's last member). */
export const unknownWire: Wire = members[members.length - 1]!

/** The class of each known type. */
export const classes: ReadonlyMap<string, EventClass> = new Map(WebhookEvent.classes.map((cls) => [typeOf(cls), cls]))

/** OpenAI's reference example of a known type, as wire JSON (the catalogue's; frozen). */
export const sampleOf = (type: WebhookEvent.EventType): Events.Sample => Events.get(type).sample as Events.Sample
