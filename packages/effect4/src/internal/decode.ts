/**
 * From payload bytes to an event: the engine's JSON pre-check (UTF-8, JSON, an object with a string `type`), then
 * the wire schema of that type alone (never the whole union), its failure explained from the `SchemaIssue` it gives.
 *
 * Why no compiled decoder, as the Effect 3 edition has: there, decoding through the Schema cost several times a
 * hand-written pass, and the Schema ran only to explain failures. Effect 4's parser is a single pass and keeps no
 * input in its issues by default (so no huge or deep value is formatted into a message), and a `Schema.Class`
 * instance can only be built through its constructor, which validates again: a compiled pass would save little.
 * Measured on Node 24: about 2.5 µs for a one-field event, 7 µs for `realtime.call.incoming` (three SIP headers),
 * the order of a `JSON.parse` of the same body.
 *
 * @internal
 */
import * as Result from "effect/Result"
import type * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaParser from "effect/SchemaParser"
import { Json, Reply } from "openai-webhooks-engine"
import { DecodeError } from "../WebhookError.js"
import type * as WebhookEvent from "../WebhookEvent.js"
import * as events from "./events.js"
import * as issues from "./issues.js"

type Event = WebhookEvent.UnwrapWebhookEvent
type Decode = (json: unknown) => Result.Result<Event, SchemaIssue.Issue>

const decoderOf = (wire: events.Wire): Decode => SchemaParser.decodeUnknownResult(wire)

/** The decoder of each known type: its class's wire schema, built once. */
export const decoders: ReadonlyMap<string, Decode> = new Map(
  [...events.wires].map(([type, wire]) => [type, decoderOf(wire)])
)

const decodeUnknown = decoderOf(events.unknownWire)

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
  const path = first === undefined ? undefined : issues.formatPath(first.path)
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
  const result = (decoders.get(type) ?? decodeUnknown)(json)
  return Result.isSuccess(result) ? result.success : explain(result.failure, type)
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
export const eventTypeOf = (event: Event): string => event._tag === "unknown" ? Reply.loggedType(event.type) : event._tag
