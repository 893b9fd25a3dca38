/**
 * Events as both editions must decode them: the fixtures each edition runs through its own `Webhooks.decode` (and
 * `encode`). Plain data, no test framework.
 *
 * - {@link reference}: OpenAI's reference of every known type, the team's facts (`fixtures/events.json`, a copy of
 *   `shared/openai/events.json` dated 2026-11-26) with the types announced since (`fixtures/events-newer.json`)
 *   slotted into OpenAI's order;
 * - {@link valid}: each reference example, which decodes into its type and encodes back key for key;
 * - {@link lenient}: what must decode all the same (no `object`, unknown keys at every level, optional fields left
 *   out, any value of an open enum), with the wire JSON encoding must give back;
 * - {@link invalid}: malformed variants and the wire path a `DecodeError` (`InvalidEvent`) must name, one fault each,
 *   every field of every type, built from the catalogue's shapes;
 * - {@link unknown}: events of types this version does not know, which decode into the unknown event and encode back.
 *
 * Paths are written as the editions' `DecodeError.path`: `data.sip_headers[1].value`.
 */
import facts from "../fixtures/events.json" with { type: "json" }
import newer from "../fixtures/events-newer.json" with { type: "json" }
import * as Events from "../../src/Events.js"
import * as Nesting from "../../src/Json.js"

type Json = Events.Json
type JsonObject = { readonly [key: string]: Json }

// ---------------------------------------------------------------------------------------------------------------------
// The reference

/** One field of `data` as the facts write it: `type` in their notation (`array of {name: string, ...}`). */
export interface ReferenceField {
  readonly wire: string
  readonly type: string
  readonly doc: string
  readonly optional?: boolean
}

/** One event type as the facts describe it. */
export interface ReferenceEvent {
  readonly type: string
  /** OpenAI's sentence. */
  readonly doc: string
  readonly data: ReadonlyArray<ReferenceField>
  /** Whether the facts say `object` is sent: `optional ("event")` or `required ("event")`. */
  readonly object: string
  /** Where the facts come from. */
  readonly source: string
  /** The wire JSON of a whole event, as OpenAI sends it. */
  readonly example: JsonObject
  /** Why OpenAI deprecated it, in lower case without a full stop. */
  readonly deprecated?: string
}

const slot = (
  base: ReadonlyArray<ReferenceEvent>,
  added: ReadonlyArray<ReferenceEvent & { readonly after: string }>
): ReadonlyArray<ReferenceEvent> =>
  added.reduce<ReadonlyArray<ReferenceEvent>>((events, event) => {
    const index = events.findIndex(({ type }) => type === event.after)
    if (index === -1) throw new Error(`events-newer.json: ${event.type} follows ${event.after}, which is not listed`)
    const { after: _, ...rest } = event
    return [...events.slice(0, index + 1), rest, ...events.slice(index + 1)]
  }, base)

/** The facts of 2026-11-26 alone, in their order. */
export const factEvents: ReadonlyArray<ReferenceEvent> = facts.events

/** The types announced after the facts, each with `after` (its place in OpenAI's order) and `source` (why). */
export const newerEvents: ReadonlyArray<ReferenceEvent & { readonly after: string }> = newer.events

/** Every event type we expect to know, in OpenAI's reference order. */
export const reference: ReadonlyArray<ReferenceEvent> = slot(factEvents, newerEvents)

/** The reference of `type`, a deep copy (so that a test editing its payload cannot leak into another test). */
export const referenceOf = (type: string): ReferenceEvent => {
  const found = reference.find((event) => event.type === type)
  if (found === undefined) throw new Error(`no reference event of ${type} in events.json or events-newer.json`)
  return structuredClone(found)
}

// ---------------------------------------------------------------------------------------------------------------------
// Rows

/** An event that decodes into its known type and encodes back to `wire`. */
export interface Valid {
  readonly name: string
  readonly type: Events.Type
  readonly wire: JsonObject
}

/** An event that decodes into its known type, and encodes to `encoded` (what the type keeps of `wire`). */
export interface Lenient {
  readonly name: string
  readonly type: Events.Type
  readonly wire: JsonObject
  readonly encoded: JsonObject
}

/**
 * A payload that is no event: decoding fails with `InvalidEvent`, naming `path` (none when the payload is not an
 * object) and `eventType` (the payload's `type` when it is a string).
 */
export interface Invalid {
  readonly name: string
  readonly wire: Json
  readonly eventType: string | undefined
  readonly path: string | undefined
}

/** An event of a type this version does not know: it decodes as such and encodes to `encoded`. */
export interface Unknown {
  readonly name: string
  readonly wire: JsonObject
  readonly encoded: JsonObject
}

type Segment = string | number

/** `["data", "sip_headers", 1, "value"]` -> `data.sip_headers[1].value` */
export const wirePath = (segments: ReadonlyArray<Segment>): string =>
  segments.reduce<string>(
    (out, segment) => typeof segment === "number" ? `${out}[${segment}]` : out === "" ? segment : `${out}.${segment}`,
    ""
  )

type Mutable = { [key: string]: Mutable } | Array<Mutable> | string | number | boolean | null

/** A copy of `value` with what is at `segments` deleted (`undefined`) or replaced. */
const changed = <A extends Json>(value: A, segments: ReadonlyArray<Segment>, to: Json | undefined): A => {
  const copy = structuredClone(value) as Mutable
  let parent = copy as Record<Segment, Mutable>
  for (const segment of segments.slice(0, -1)) parent = parent[segment] as Record<Segment, Mutable>
  const last = segments[segments.length - 1]!
  if (to === undefined) delete parent[last]
  else parent[last] = structuredClone(to) as Mutable
  return copy as A
}

const at = (value: Json, segments: ReadonlyArray<Segment>): Json | undefined =>
  segments.reduce<Json | undefined>(
    (inner, segment) =>
      inner !== null && typeof inner === "object" ? (inner as Record<Segment, Json>)[segment] : undefined,
    value
  )

/** Values of the wrong kind for a shape, one of each way a decoder might slip. */
const wrongFor = (shape: Events.Shape): ReadonlyArray<Json> => {
  switch (shape.kind) {
    case "string":
      return [42, null]
    case "integer":
      return ["1", 1719168000.5]
    case "literal":
      return [shape.value.toUpperCase()]
    case "enum":
      return [42]
    case "object":
      // Not an array: a struct accepts an array as a record and fails on its first key instead.
      return ["x", null]
    case "array":
      return [{}, null]
    case "unknown":
      return []
  }
}

/** The envelope and `data` of a known type as one object shape; `type` left out, since it picks the shape. */
const shapeOf = (event: Events.Event): Events.ObjectShape => ({
  kind: "object",
  fields: Events.envelope.filter((field) => field.wire !== "type").map((field) =>
    field.wire === "data" ? { ...field, shape: { kind: "object", fields: event.data } } : field
  )
})

/** Every fault of one field at a time in `example`, walking the fields of `shape` and the items of its arrays. */
const faults = (type: string, example: JsonObject, shape: Events.ObjectShape): ReadonlyArray<Invalid> => {
  const rows: Array<Invalid> = []
  const fault = (segments: ReadonlyArray<Segment>, to: Json | undefined) => {
    const path = wirePath(segments)
    const what = to === undefined ? "missing" : `is ${JSON.stringify(to)}`
    rows.push({ name: `${type}: ${path} ${what}`, wire: changed(example, segments, to), eventType: type, path })
  }
  const walk = (value: Json | undefined, shape: Events.Shape, segments: ReadonlyArray<Segment>): void => {
    for (const wrong of wrongFor(shape)) fault(segments, wrong)
    if (shape.kind === "object" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const field of shape.fields) {
        const inner = [...segments, field.wire]
        if (!field.optional) fault(inner, undefined)
        walk(at(value, [field.wire]), field.shape, inner)
      }
    }
    if (shape.kind === "array" && Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) walk(value[index], shape.items, [...segments, index])
    }
  }
  for (const field of shape.fields) {
    if (!field.optional) fault([field.wire], undefined)
    walk(example[field.wire], field.shape, [field.wire])
  }
  return rows
}

/** Every enum of a shape with its wire path, present in `example` or not. */
const enumsOf = (
  shape: Events.Shape,
  example: Json | undefined,
  segments: ReadonlyArray<Segment>
): ReadonlyArray<{ readonly segments: ReadonlyArray<Segment>; readonly known: ReadonlyArray<string> }> => {
  if (shape.kind === "enum") return [{ segments, known: shape.known }]
  if (shape.kind === "object") {
    return shape.fields.flatMap((field) =>
      // An enum inside an object the example leaves out is reached with that object.
      at(example ?? null, [field.wire]) === undefined && field.shape.kind !== "enum"
        ? []
        : enumsOf(field.shape, at(example ?? null, [field.wire]), [...segments, field.wire])
    )
  }
  if (shape.kind === "array" && Array.isArray(example) && example.length > 0) {
    return enumsOf(shape.items, example[0], [...segments, 0])
  }
  return []
}

/** The optional fields `example` has, with their paths. */
const optionalsOf = (
  shape: Events.Shape,
  example: Json | undefined,
  segments: ReadonlyArray<Segment>
): ReadonlyArray<ReadonlyArray<Segment>> => {
  if (shape.kind === "object" && example !== null && typeof example === "object" && !Array.isArray(example)) {
    return shape.fields.flatMap((field) => {
      const inner = [...segments, field.wire]
      const value = at(example, [field.wire])
      if (value === undefined) return []
      return [...(field.optional ? [inner] : []), ...optionalsOf(field.shape, value, inner)]
    })
  }
  if (shape.kind === "array" && Array.isArray(example)) {
    return example.flatMap((item, index) => optionalsOf(shape.items, item, [...segments, index]))
  }
  return []
}

/** `value` with a key no shape lists added to every object, and `_tag` (which is no wire key) at the top. */
const noisy = (value: Json, top: boolean): Json => {
  if (Array.isArray(value)) return value.map((item) => noisy(item, false))
  if (value === null || typeof value !== "object") return value
  const entries = Object.entries(value).map(([key, inner]) => [key, noisy(inner, false)] as const)
  const extra: ReadonlyArray<readonly [string, Json]> = top
    ? [["api_version", "2026-01-01"], ["livemode", { nested: [1, 2, 3] }], ["_tag", "unknown"]]
    : [["not_in_the_reference", { nested: [1, "two", null, true] }]]
  return Object.fromEntries([...entries, ...extra])
}

const catalogueOf = (type: string): Events.Event<Events.Type> => {
  const event = Events.byType(type)
  if (event === undefined) throw new Error(`${type} is in the reference but not in the catalogue`)
  return event
}

/** A value nesting `levels` levels of arrays: `[[[0]]]` for 3. */
const nestedArrays = (levels: number): Json => {
  let value: Json = 0
  for (let level = 0; level < levels; level++) value = [value]
  return value
}

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/** Every reference example, as it is. */
export const valid: ReadonlyArray<Valid> = deepFreeze(
  reference.map(({ example, type }) => ({
    name: `${type}: the reference example`,
    type: catalogueOf(type).type,
    wire: structuredClone(example)
  }))
)

/** What each known type must tolerate. */
export const lenient: ReadonlyArray<Lenient> = deepFreeze(reference.flatMap(({ example, type }): Array<Lenient> => {
  const event = catalogueOf(type)
  const known = event.type
  const shape = shapeOf(event)
  const { object: _, ...withoutObject } = example
  const same = (name: string, wire: JsonObject): Lenient => ({
    name: `${type}: ${name}`,
    type: known,
    wire,
    encoded: wire
  })
  return [
    same("without object", withoutObject),
    {
      name: `${type}: with keys no reference has, at every level, and a stray _tag`,
      type: known,
      wire: noisy(example, true) as JsonObject,
      encoded: example
    },
    ...optionalsOf(shape, example, []).map((segments) =>
      same(`without the optional ${wirePath(segments)}`, changed(example, segments, undefined))
    ),
    ...enumsOf(shape, example, []).flatMap(({ known: values, segments }) =>
      [...values, "not_announced_yet"].map((value) =>
        same(`${wirePath(segments)} is ${JSON.stringify(value)}`, changed(example, segments, value))
      )
    )
  ]
}))

const brandNew: JsonObject = {
  id: "evt_new",
  created_at: 1719168000,
  type: "brand.new.event",
  data: { id: "thing_1", nested: { list: [1, "two", null, true] } },
  object: "event"
}

/** Malformed payloads: every field of every known type in turn, then what is no event at all. */
export const invalid: ReadonlyArray<Invalid> = deepFreeze([
  ...reference.flatMap(({ example, type }) => faults(type, example, shapeOf(catalogueOf(type)))),
  {
    name: "realtime.call.incoming: a SIP header's value is a number",
    wire: changed(referenceOf("realtime.call.incoming").example, ["data", "sip_headers", 1, "value"], 851287),
    eventType: "realtime.call.incoming",
    path: "data.sip_headers[1].value"
  },
  {
    name: "live.transport.incoming: the transport is webrtc, not sip",
    wire: changed(referenceOf("live.transport.incoming").example, ["data", "type"], "webrtc"),
    eventType: "live.transport.incoming",
    path: "data.type"
  },
  {
    name: "live.transport.connected: the transport is sip, not webrtc",
    wire: changed(referenceOf("live.transport.connected").example, ["data", "type"], "sip"),
    eventType: "live.transport.connected",
    path: "data.type"
  },
  ...[[], null, 42, "x", true].map((wire): Invalid => ({
    name: `the JSON value ${JSON.stringify(wire)}, which is not an object`,
    wire,
    eventType: undefined,
    path: undefined
  })),
  {
    name: "an event without type",
    wire: changed(referenceOf("batch.failed").example, ["type"], undefined),
    eventType: undefined,
    path: "type"
  },
  ...[42, null, ["batch.failed"], { name: "batch.failed" }].map((type): Invalid => ({
    name: `an event whose type is ${JSON.stringify(type)}`,
    wire: changed(referenceOf("batch.failed").example, ["type"], type),
    eventType: undefined,
    path: "type"
  })),
  ...["id", "created_at", "data"].map((key): Invalid => ({
    name: `an event of an unknown type without ${key}`,
    wire: changed(brandNew, [key], undefined),
    eventType: "brand.new.event",
    path: key
  })),
  ...([["id", 42], ["created_at", "1"], ["created_at", 1.5], ["object", 42]] as const).map(([key, to]): Invalid => ({
    name: `an event of an unknown type whose ${key} is ${JSON.stringify(to)}`,
    wire: changed(brandNew, [key], to),
    eventType: "brand.new.event",
    path: key
  })),
  {
    name: `an event of an unknown type whose data nests ${Nesting.maxDepth + 1} levels`,
    wire: changed(brandNew, ["data"], nestedArrays(Nesting.maxDepth + 1)),
    eventType: "brand.new.event",
    path: "data"
  }
])

/** Events of types this version does not know. */
export const unknown: ReadonlyArray<Unknown> = deepFreeze([
  { name: "a new type with nested data", wire: brandNew, encoded: brandNew },
  { name: "a new type whose data is null", wire: { ...brandNew, data: null }, encoded: { ...brandNew, data: null } },
  ...[[], "text", 42].map((data): Unknown => ({
    name: `a new type whose data is ${JSON.stringify(data)}`,
    wire: { ...brandNew, data },
    encoded: { ...brandNew, data }
  })),
  {
    name: `a new type whose data nests ${Nesting.maxDepth} levels, the most kept`,
    wire: { ...brandNew, data: nestedArrays(Nesting.maxDepth) },
    encoded: { ...brandNew, data: nestedArrays(Nesting.maxDepth) }
  },
  {
    name: "a new type without object",
    wire: changed(brandNew, ["object"], undefined),
    encoded: changed(brandNew, ["object"], undefined)
  },
  { name: "a new type with a stray _tag", wire: { ...brandNew, _tag: "batch.completed" }, encoded: brandNew },
  {
    name: "a type that only starts like a known one",
    wire: { ...referenceOf("batch.completed").example, type: "batch.completed.v2" },
    encoded: { ...referenceOf("batch.completed").example, type: "batch.completed.v2" }
  }
])
