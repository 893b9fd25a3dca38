/**
 * What an event class carries besides its fields, and how to read it back. The event list is written once, as data,
 * in the engine's catalogue (`Events`); the classes of `WebhookEvent.ts` are generated from it, and everything else
 * about a type (its reference sample, its deprecation, the line `openai-webhooks events` prints) is read from the
 * catalogue itself, not from the class.
 *
 * @internal
 */
import type * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { Events } from "openai-webhooks-engine"

/**
 * The annotations of the class of a known type, on its type side (`Schema.Class(identifier)(fields, annotations)`):
 * its `description` (Effect's own `SchemaAST.DescriptionAnnotationId`), OpenAI's sentence from the catalogue, which
 * JSON Schema and pretty printers pick up.
 */
export const about = (type: Events.Type): AST.Annotations => ({
  [AST.DescriptionAnnotationId]: Events.get(type).description
})

/** An event class, as far as this module reads it: its `_tag` field (the wire `type`). */
export interface EventClass {
  readonly fields: { readonly _tag: { readonly ast: Schema.PropertySignature.AST } }
}

/** The wire `type` of an event class, read off its `_tag` field (`Schema.tag(type)`, renamed from `type`). */
export const typeOf = (cls: EventClass): string => {
  const ast = cls.fields._tag.ast
  const literal = ast._tag === "PropertySignatureTransformation" ? ast.to.type : ast.type
  return (literal as AST.Literal).literal as string
}
