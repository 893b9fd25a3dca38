/**
 * What an event class carries besides its fields, and how to read it back: its wire `type`, its description, its
 * reference sample and its deprecation. The classes in `WebhookEvent.ts` are the one place where the event list is
 * written; `EventType`, `isEventType`, `WebhookTesting.sample` and `openai-webhooks events` are read off them here.
 *
 * Annotations, on the type side of each class (`Schema.Class(identifier)(fields, annotations)`):
 * - `description` (Effect's own `SchemaAST.DescriptionAnnotationId`): when OpenAI sends the event, one sentence,
 *   as in OpenAI's reference. JSON Schema and pretty printers pick it up too.
 * - {@link SampleDataAnnotationId}: the `data` of OpenAI's reference example of the event, as wire JSON
 *   (snake_case keys). Effect's `examples` annotation would hold values of the class itself (instances, with
 *   camelCase fields), which cannot be built before the class exists, and the reference is wire JSON.
 * - {@link DeprecatedAnnotationId}: why OpenAI deprecated the type and what replaces it; absent otherwise.
 *
 * @internal
 */
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/** The annotation holding an event class's reference `data`, as wire JSON. */
export const SampleDataAnnotationId: unique symbol = Symbol.for(
  "effect-openai-webhooks/WebhookEvent/SampleDataAnnotation"
)

/** The annotation holding why an event type is deprecated (OpenAI's words), on deprecated types only. */
export const DeprecatedAnnotationId: unique symbol = Symbol.for(
  "effect-openai-webhooks/WebhookEvent/DeprecatedAnnotation"
)

/** What a class says about its event type; `sample` is typed as the wire side of the class's `data`. */
export interface About<Data> {
  /** When OpenAI sends the event: one sentence, OpenAI's own. */
  readonly description: string
  /** The `data` of OpenAI's reference example, as on the wire. */
  readonly sample: Data
  /** Why the type is deprecated and what replaces it, when it is. */
  readonly deprecated?: string | undefined
}

/**
 * The annotations of an event class. `data` is the class's `data` schema, given only so that the sample is
 * type-checked against its wire side.
 */
export const about = <Data extends Schema.Schema.Any>(
  _data: Data,
  about: About<Schema.Schema.Encoded<Data>>
): AST.Annotations => ({
  [AST.DescriptionAnnotationId]: about.description,
  [SampleDataAnnotationId]: about.sample,
  ...(about.deprecated === undefined ? {} : { [DeprecatedAnnotationId]: about.deprecated })
})

/** An event class, as far as this module reads it: its AST and its `_tag` field (the wire `type`). */
export interface EventClass {
  readonly ast: AST.AST
  readonly fields: { readonly _tag: { readonly ast: Schema.PropertySignature.AST } }
}

/** The wire `type` of an event class, read off its `_tag` field (`Schema.tag(type)`, renamed from `type`). */
export const typeOf = (cls: EventClass): string => {
  const ast = cls.fields._tag.ast
  const literal = ast._tag === "PropertySignatureTransformation" ? ast.to.type : ast.type
  return (literal as AST.Literal).literal as string
}

/** The class's type side, where `Schema.Class` puts the annotations given as its second argument. */
const typeSide = (cls: EventClass): AST.AST => (cls.ast._tag === "Transformation" ? cls.ast.to : cls.ast)

/** The class's description; a class without one is a programming error, caught by the test that reads them all. */
export const descriptionOf = (cls: EventClass): string =>
  Option.getOrElse(AST.getDescriptionAnnotation(typeSide(cls)), () => "")

/** The wire `data` of the class's reference example; `undefined` if the class has none (a test forbids that). */
export const sampleDataOf = (cls: EventClass): unknown =>
  Option.getOrUndefined(AST.getAnnotation(typeSide(cls), SampleDataAnnotationId))

/** Why the class's type is deprecated, or `undefined`. */
export const deprecationOf = (cls: EventClass): string | undefined =>
  Option.getOrUndefined(AST.getAnnotation<string>(typeSide(cls), DeprecatedAnnotationId))
