/**
 * From payload bytes to an event: JSON, then one compiled decoder chosen by `type`. The Schema runs
 * only to explain a failure (or for a class the compiler does not cover).
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
import { Json as nesting } from "openai-webhooks-engine"

type Event = WebhookEvent.UnwrapWebhookEvent
type Decode = (json: object) => Event | Invalid

const utf8 = new TextDecoder("utf-8", { fatal: true })

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

const invalidJson = (message: string) => Either.left(new DecodeError({ reason: "InvalidJson", message }))

/** JSON text of a payload, or undefined when the bytes are not UTF-8. */
const text = (payload: string | Uint8Array): string | undefined => {
  if (typeof payload === "string") return payload
  try {
    return utf8.decode(payload)
  } catch {
    return undefined
  }
}

export const decode = (payload: string | Uint8Array): Either.Either<Event, DecodeError> => {
  const body = text(payload)
  if (body === undefined) return invalidJson("The payload is not valid UTF-8 text")
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (error) {
    return invalidJson(`The payload is not valid JSON: ${(error as Error).message}`)
  }
  return decodeJson(json)
}

export const decodeJson = (json: unknown): Either.Either<Event, DecodeError> => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Either.left(
      new DecodeError({
        reason: "InvalidEvent",
        message: `The payload is not an event: expected a JSON object, got ${describe(json)}`
      })
    )
  }
  const type = (json as { readonly type?: unknown }).type
  if (typeof type !== "string") {
    return Either.left(
      new DecodeError({
        reason: "InvalidEvent",
        message: `The payload is not an event: "type" should be a string, got ${describe(type)}`,
        path: "type"
      })
    )
  }
  const known = decoders.get(type)
  const event = (known ?? decodeUnknown)(json)
  if (event !== Invalid) return Either.right(event)
  return Either.left(explain(events.classes.get(type) ?? WebhookEvent.UnknownWebhookEvent, json, type))
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
  const path = issue === undefined ? undefined : formatPath(issue.path)
  const what = issue === undefined ? "it does not match its schema" : issue.message
  return new DecodeError({
    reason: "InvalidEvent",
    message: `Invalid ${nesting.preview(type, 100)} event${path === undefined ? "" : ` at ${path}`}: ${what}`,
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
    return nesting.preview(this.value, 120)
  }
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string | undefined => {
  let out = ""
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  return out === "" ? undefined : out
}

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : value === undefined ? "nothing" : typeof value
