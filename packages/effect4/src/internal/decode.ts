/**
 * From payload bytes to an event: the engine's JSON pre-check (UTF-8, JSON, an object with a string `type`), then
 * the decoder of that type alone (never the whole union): one compiled pass over the JSON (`compile.ts`) when the
 * class compiles, the class's wire schema otherwise. On a compiled `Invalid` the Schema runs, and its answer is the
 * answer: an event where it accepts (the compiled pass is only ever stricter), else a `DecodeError` explained from
 * its `SchemaIssue`.
 *
 * Measured on Node 24 (Effect 4.1.5), past `JSON.parse`: the Schema takes about 1.0 µs for a one-field event and
 * 2.8 µs for `realtime.call.incoming` (three SIP headers); the compiled pass and the class's constructor 0.6 µs and
 * 1.5 µs. Most of what is left is the constructor, which validates the fields again: Effect 4 has no public way to
 * build a `Schema.Class` instance without it (its trusted path is internal).
 *
 * @internal
 */
import * as Result from "effect/Result"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaParser from "effect/SchemaParser"
import { Json, Reply } from "openai-webhooks-engine"
import { DecodeError } from "../WebhookError.js"
import type * as WebhookEvent from "../WebhookEvent.js"
import { compileClassFields, Invalid } from "./compile.js"
import * as events from "./events.js"
import * as issues from "./issues.js"

type Event = WebhookEvent.UnwrapWebhookEvent

/** A type's decoder: the event, or the Schema's issue with the JSON. */
type Decode = (json: unknown) => Event | SchemaIssue.Issue

const fromSchema = (wire: events.Wire): (json: unknown) => Result.Result<Event, SchemaIssue.Issue> =>
  SchemaParser.decodeUnknownResult(wire)

/** The decoder of the class of `type`: compiled where it compiles, its Schema behind it. */
const decoderOf = (wire: events.Wire, cls: events.EventClass | undefined): Decode => {
  const schema = fromSchema(wire)
  const bySchema: Decode = (json) => {
    const result = schema(json)
    return Result.isSuccess(result) ? result.success : result.failure
  }
  const fields = cls === undefined ? undefined : compileClassFields(wire.ast)
  if (fields === undefined || cls === undefined) return bySchema
  const Cls = cls as unknown as new(fields: Record<string, unknown>) => Event
  return (json) => {
    const props = fields(json)
    return props === Invalid ? bySchema(json) : new Cls(props)
  }
}

/** The decoder of each known type, built once; exported for the test that proves every one is compiled. */
export const decoders: ReadonlyMap<string, Decode> = new Map(
  [...events.wires].map(([type, wire]) => [type, decoderOf(wire, events.classes.get(type))])
)

/** Whether the decoder of each known type is compiled (for the test that says so). */
export const compiled: ReadonlyMap<string, boolean> = new Map(
  [...events.wires].map(([type, wire]) => [type, compileClassFields(wire.ast) !== undefined])
)

const decodeUnknown = decoderOf(events.unknownWire, undefined)

/** The engine's pre-check problem as the edition's error, with the same reason, message and path. */
const fromProblem = (problem: Json.Problem): DecodeError =>
  new DecodeError(
    problem.path === undefined
      ? { reason: problem.reason, message: problem.message }
      : { reason: problem.reason, message: problem.message, path: problem.path }
  )

/** Why an object of type `type` is not its event: the first issue's wire path and message. */
const explain = (issue: SchemaIssue.Issue, type: string): DecodeError => {
  const first = issues.first(issue)
  const path = first === undefined ? undefined : Json.formatPath(first.path)
  const what = first === undefined ? "it does not match its schema" : first.message
  return new DecodeError({
    reason: "InvalidEvent",
    message: `Invalid ${Json.preview(type, 100)} event${path === undefined ? "" : ` at ${path}`}: ${what}`,
    eventType: type,
    ...(path === undefined ? {} : { path })
  })
}

/** An object with a string `type` through the decoder of its type. */
const fromEventJson = (json: Json.EventJson): Event | DecodeError => {
  const type = json.type
  const decoded = (decoders.get(type) ?? decodeUnknown)(json)
  return SchemaIssue.isIssue(decoded) ? explain(decoded, type) : decoded
}

/**
 * The event of a payload, or why it is not one, as a plain value: what an HTTP core calls once per delivery,
 * without a `Result` around it. The engine's pre-check, then the decoder of the type.
 */
export const decodeOrError = (payload: string | Uint8Array): Event | DecodeError => {
  const json = Json.parseEvent(payload)
  return json.ok ? fromEventJson(json.value) : fromProblem(json.error)
}

/** {@link decodeOrError} as a `Result`. */
export const decode = (payload: string | Uint8Array): Result.Result<Event, DecodeError> => {
  const event = decodeOrError(payload)
  return event instanceof DecodeError ? Result.fail(event) : Result.succeed(event)
}

/** A JSON value already parsed (a sample, a stored event) through the same checks. */
export const decodeJson = (json: unknown): Result.Result<Event, DecodeError> => {
  const checked = Json.event(json)
  if (!checked.ok) return Result.fail(fromProblem(checked.error))
  const event = fromEventJson(checked.value)
  return event instanceof DecodeError ? Result.fail(event) : Result.succeed(event)
}

/** The event type for logs, metrics and spans: the wire `type` (shortened) for unknown events. */
export const eventTypeOf = (event: Event): string =>
  event._tag === "unknown" ? Reply.loggedType(event.type) : event._tag
