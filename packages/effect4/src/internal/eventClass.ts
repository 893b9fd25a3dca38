/**
 * What an event class carries besides its fields, and how to read it back. The event list is written once, as data,
 * in the engine's catalogue (`Events`); the classes of `WebhookEvent.ts` are generated from it, and everything else
 * about a type (its reference sample, its deprecation) is read from the catalogue itself, not from the class.
 *
 * @internal
 */
import type * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { Events } from "openai-webhooks-engine"

/**
 * The annotations of the class of a known type (`Schema.Class(identifier)(fields, annotations)`): its `description`,
 * OpenAI's sentence from the catalogue, which JSON Schema and pretty printers pick up.
 */
export const about = (type: Events.Type): { readonly description: string } => ({
  description: Events.get(type).description
})

/** An event class, as far as this module reads it: its `_tag` field (`Schema.tag(type)`). */
export interface EventClass {
  readonly fields: { readonly _tag: Schema.Top }
}

/** The wire `type` of an event class, read off its `_tag` field (`Schema.tag(type)`, a literal). */
export const typeOf = (cls: EventClass): string => (cls.fields._tag.ast as AST.Literal).literal as string
