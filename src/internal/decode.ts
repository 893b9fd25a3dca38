/**
 * From payload bytes to an event: the engine's JSON pre-check (UTF-8, JSON, an object with a string `type`), then
 * one compiled decoder chosen by `type`. The Schema runs only to explain a failure (or for a class the compiler
 * does not cover).
 *
 * @internal
 */
import * as Arr from "effect/Array"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { DecodeError } from "../WebhookError.js"
import * as WebhookEvent from "../WebhookEvent.js"
import { compileAST, Invalid } from "./compile.js"
import * as events from "./events.js"
import { Json, Reply } from "openai-webhooks-engine"

type Event = WebhookEvent.UnwrapWebhookEvent
type Decode = (json: object) => Event | Invalid

const fromSchema = (schema: Schema.Schema<Event, any>): Decode => {
  const decode = Schema.decodeUnknownEither(schema)
  return (json) => {
    const result = decode(json)
    return Either.isRight(result) ? result.right : Invalid
  }
}

const compileClass = (cls: events.EventClass): Decode => {
  // A Schema.Class is Transformation(wire struct -> class declaration): compile the wire struct and
  // construct without validating again.
  const ast = cls.ast
  const fields = ast._tag === "Transformation" ? compileAST(ast.from) : undefined
  if (fields === undefined) return fromSchema(cls as Schema.Schema<Event, any>)
  return (json) => {
    const props = fields(json)
    return props === Invalid ? Invalid : new cls(props as any, true)
  }
}

/** The decoder of each known type; exported for the test that proves every one is compiled. */
export const decoders: ReadonlyMap<string, Decode> = new Map(
  WebhookEvent.classes.map((cls) => [events.typeOf(cls), compileClass(cls)])
)

const decodeUnknown = fromSchema(WebhookEvent.UnknownWebhookEvent as Schema.Schema<Event, any>)

/** The engine's pre-check problem as the library's error, with the same reason, message and path. */
const fromProblem = (problem: Json.Problem): DecodeError =>
  new DecodeError(
    problem.path === undefined
      ? { reason: problem.reason, message: problem.message }
      : { reason: problem.reason, message: problem.message, path: problem.path }
  )

/** An object with a string `type` through the compiled decoder of its type, the Schema explaining a failure. */
const fromEventJson = (json: Json.EventJson): Event | DecodeError => {
  const type = json.type
  const event = (decoders.get(type) ?? decodeUnknown)(json)
  if (event !== Invalid) return event
  return explain(events.classes.get(type) ?? WebhookEvent.UnknownWebhookEvent, json, type)
}

/**
 * The event of a payload, or why it is not one, as a plain value: what the HTTP core calls once per delivery,
 * without an `Either` around it. The engine's pre-check (UTF-8, JSON, an object with a string `type`), then the
 * decoder of the type.
 */
export const decodeOrError = (payload: string | Uint8Array): Event | DecodeError => {
  const json = Json.parseEvent(payload)
  return json.ok ? fromEventJson(json.value) : fromProblem(json.error)
}

export const decode = (payload: string | Uint8Array): Either.Either<Event, DecodeError> => {
  const json = Json.parseEvent(payload)
  if (!json.ok) return Either.left(fromProblem(json.error))
  // `fromEventJson` inlined: an event is told from an error by the decoder's own marker, not by `instanceof`.
  const type = json.value.type
  const event = (decoders.get(type) ?? decodeUnknown)(json.value)
  return event !== Invalid
    ? Either.right(event)
    : Either.left(explain(events.classes.get(type) ?? WebhookEvent.UnknownWebhookEvent, json.value, type))
}

export const decodeJson = (json: unknown): Either.Either<Event, DecodeError> => {
  const checked = Json.event(json)
  if (!checked.ok) return Either.left(fromProblem(checked.error))
  const result = fromEventJson(checked.value)
  return result instanceof DecodeError ? Either.left(result) : Either.right(result)
}

/**
 * Runs the Schema to name the first failing wire path. ParseResult's formatters write the value they reject into
 * the message with `Inspectable.formatUnknown`, which recurses without a bound (a typed field holding 100,000
 * levels of `[` overflows the stack) and writes it whole (a megabyte array, a megabyte message): each rejected
 * value is replaced by a short preview first. The verdict and the path are the Schema's on the input itself.
 */
const explain = (schema: Schema.Schema<any, any>, input: object, type: string): DecodeError => {
  const result = Schema.decodeUnknownEither(schema)(input)
  const issue = Either.isLeft(result)
    ? ParseResult.ArrayFormatter.formatIssueSync(withPreviews(result.left.issue))[0]
    : undefined
  const path = issue === undefined ? undefined : Json.formatPath(issue.path)
  const what = issue === undefined ? "it does not match its schema" : issue.message
  return new DecodeError({
    reason: "InvalidEvent",
    message: `Invalid ${Json.preview(type, 100)} event${path === undefined ? "" : ` at ${path}`}: ${what}`,
    eventType: type,
    ...(path === undefined ? {} : { path })
  })
}

/**
 * The same issue with the value of each `Type` issue (the only one the formatters write) replaced by its preview.
 * Recurses along the issue, whose depth is the schema's, not the input's.
 */
const withPreviews = (issue: ParseResult.ParseIssue): ParseResult.ParseIssue => {
  switch (issue._tag) {
    case "Type":
      return new ParseResult.Type(issue.ast, new Preview(issue.actual), issue.message)
    case "Pointer":
      return new ParseResult.Pointer(issue.path, issue.actual, withPreviews(issue.issue))
    case "Refinement":
      return new ParseResult.Refinement(issue.ast, issue.actual, issue.kind, withPreviews(issue.issue))
    case "Transformation":
      return new ParseResult.Transformation(issue.ast, issue.actual, issue.kind, withPreviews(issue.issue))
    case "Composite": {
      const issues = issue.issues
      const mapped = isList(issues) ? Arr.map(issues, withPreviews) : withPreviews(issues)
      return new ParseResult.Composite(issue.ast, issue.actual, mapped, issue.output)
    }
    default:
      return issue
  }
}

const isList = (
  issues: ParseResult.SingleOrNonEmpty<ParseResult.ParseIssue>
): issues is Arr.NonEmptyReadonlyArray<ParseResult.ParseIssue> => Array.isArray(issues)

/** A value from outside as formatters show it: `formatUnknown` writes a value with its own `toString` as that. */
class Preview {
  constructor(readonly value: unknown) {}
  toString(): string {
    return Json.preview(this.value, 120)
  }
}


/** The event type for logs, metrics and spans: the wire `type` (shortened) for unknown events. */
export const eventTypeOf = (event: WebhookEvent.UnwrapWebhookEvent): string =>
  event._tag === "unknown" ? Reply.loggedType(event.type) : event._tag
