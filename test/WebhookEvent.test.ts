import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, type FastCheck, Option, Schema, SchemaAST as AST } from "effect"
import { Events } from "openai-webhooks-engine"
import * as table from "../packages/engine/test/tables/events.js"
import { begin, end, render } from "../scripts/generate-events.js"
import { WebhookError, WebhookEvent, Webhooks } from "../src/index.js"
import * as eventClass from "../src/internal/eventClass.js"

const referenceEvents = table.reference
const referenceOf = table.referenceOf

type Event = WebhookEvent.UnwrapWebhookEvent
type EventOf<T extends WebhookEvent.EventType> = Extract<Event, { readonly _tag: T }>
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

/** The literals of an open enum (`"a" | "b" | (string & {})`): what autocompletes. */
type KnownOf<T> = T extends string ? string extends T ? never : T : never

// Type-level proof: it fails `tsc`, not the test run.
const _catalogueTypesAreTheEventTypes: Equals<Events.Type, WebhookEvent.EventType> = true

const _requiredActionsAutocomplete: Equals<
  KnownOf<EventOf<"agent.session.action_required">["data"]["requiredAction"]["type"]>,
  "computer_use_approval_request" | "function_call" | "environment_connection" | "mcp_approval_request"
> = true

const encode = Schema.encodeSync(WebhookEvent.UnwrapWebhookEvent)

const exampleOf = (type: string): Record<string, any> => referenceOf(type).example

/** `agent.session.action_required` -> `AgentSessionActionRequiredWebhookEvent` */
const className = (type: string): string =>
  type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("") + "WebhookEvent"

const classNamed = (name: string): unknown => (WebhookEvent as unknown as Record<string, unknown>)[name]

const decodeAs = <T extends WebhookEvent.EventType>(type: T, payload: unknown) =>
  Effect.map(Webhooks.decode(JSON.stringify(payload)), (event) => {
    assert.strictEqual(event._tag, type)
    return event as EventOf<T>
  })

const decodeError = (payload: string | Uint8Array) =>
  Effect.map(Effect.flip(Webhooks.decode(payload)), (error) => {
    assert.instanceOf(error, WebhookError.DecodeError)
    return error
  })

const decodeUnknown = (payload: unknown) =>
  Effect.map(Webhooks.decode(JSON.stringify(payload)), (event) => {
    assert.instanceOf(event, WebhookEvent.UnknownWebhookEvent)
    return event as WebhookEvent.UnknownWebhookEvent
  })

/** `rows` grouped by `key`, in order of first appearance (`Map.groupBy` is Node 21+). */
const groupBy = <A, K>(rows: ReadonlyArray<A>, key: (row: A) => K): ReadonlyMap<K, ReadonlyArray<A>> => {
  const groups = new Map<K, Array<A>>()
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row])
  return groups
}

// --- A class's fields read back from its Schema, in the catalogue's words, to compare the two field by field.

type DescribedShape =
  | { readonly kind: "string" | "integer" | "unknown" }
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "enum"; readonly known: ReadonlyArray<string> }
  | { readonly kind: "array"; readonly items: DescribedShape }
  | { readonly kind: "object"; readonly fields: ReadonlyArray<Described> }

interface Described {
  readonly wire: string
  readonly name: string
  readonly optional: boolean
  readonly shape: DescribedShape
  readonly description?: string
}

const literal = (value: string): DescribedShape => ({ kind: "literal", value })

const describeShape = (shape: Events.Shape): DescribedShape => {
  switch (shape.kind) {
    case "literal":
      return literal(shape.value)
    case "enum":
      return { kind: "enum", known: shape.known }
    case "array":
      return { kind: "array", items: describeShape(shape.items) }
    case "object":
      return { kind: "object", fields: shape.fields.map(describeField) }
    default:
      return { kind: shape.kind }
  }
}

const describeField = (field: Events.Field): Described => ({
  wire: field.wire,
  name: field.name,
  optional: field.optional,
  shape: describeShape(field.shape),
  description: field.description
})

/** The envelope's own descriptions are the hand-written envelope's, not the catalogue's: leave them out. */
const withoutEnvelopeDescriptions = (fields: ReadonlyArray<Described>): ReadonlyArray<Described> =>
  fields.map(({ description: _, ...field }) => field)

const shapeOfAST = (ast: AST.AST): DescribedShape => {
  switch (ast._tag) {
    case "StringKeyword": {
      // An open enum is a string that lists its known values as examples.
      const known = Option.getOrUndefined(AST.getExamplesAnnotation(ast))
      return known === undefined ? { kind: "string" } : { kind: "enum", known: known as ReadonlyArray<string> }
    }
    case "Refinement":
      // Schema.Int, or a filter on another kind (the unknown event's `type` and `data`).
      return ast.annotations[AST.SchemaIdAnnotationId] === Schema.IntSchemaId
        ? { kind: "integer" }
        : shapeOfAST(ast.from)
    case "Literal":
      return literal(ast.literal as string)
    case "UnknownKeyword":
      return { kind: "unknown" }
    case "TupleType":
      return { kind: "array", items: shapeOfAST(ast.rest[0]!.type) }
    case "TypeLiteral":
    case "Transformation":
      return { kind: "object", fields: fieldsOfAST(ast) }
    default:
      return assert.fail(`a field of a kind the catalogue has no word for: ${ast._tag}`)
  }
}

/** The fields of a struct's AST, in order: its wire keys, the names they are renamed to, optionality and shape. */
const fieldsOfAST = (ast: AST.AST): ReadonlyArray<Described> => {
  const wire = ast._tag === "Transformation" ? ast.from : ast
  const renames = new Map<PropertyKey, PropertyKey>()
  if (ast._tag === "Transformation" && ast.transformation._tag === "TypeLiteralTransformation") {
    for (const rename of ast.transformation.propertySignatureTransformations) renames.set(rename.from, rename.to)
  }
  assert.strictEqual(wire._tag, "TypeLiteral")
  return (wire as AST.TypeLiteral).propertySignatures.map((signature) => {
    const description = Option.getOrUndefined(AST.getDescriptionAnnotation(signature.type))
    return {
      wire: String(signature.name),
      name: String(renames.get(signature.name) ?? signature.name),
      optional: signature.isOptional,
      shape: shapeOfAST(signature.type),
      ...(description === undefined ? {} : { description })
    }
  })
}

describe("WebhookEvent", () => {
  describe("the reference examples (the engine's table: events.json and events-newer.json)", () => {
    for (const { type, wire: example } of table.valid) {
      it.effect(`decodes ${type} into ${className(type)} and encodes it back key for key`, () =>
        Effect.gen(function*() {
          const event = yield* Webhooks.decode(JSON.stringify(example))
          assert.strictEqual(event._tag, type)
          const cls = classNamed(className(type))
          assert.isFunction(cls)
          assert.instanceOf(event, cls as new(...args: Array<any>) => unknown)
          const encoded = encode(event)
          assert.deepStrictEqual<unknown>(encoded, example)
          assert.strictEqual(JSON.stringify(encoded), JSON.stringify(example))
        }))
    }

    it("has exactly 33 classes, one per type", () => {
      assert.strictEqual(referenceEvents.length, 33)
      assert.strictEqual(WebhookEvent.classes.length, 33)
      assert.strictEqual(new Set(WebhookEvent.classes).size, 33)
      assert.deepStrictEqual(
        WebhookEvent.classes.map((cls) => cls.name),
        referenceEvents.map((event) => className(event.type))
      )
    })

    it("lists every reference type in EventType, in order", () => {
      assert.deepStrictEqual([...WebhookEvent.EventType.literals], referenceEvents.map((event) => event.type))
    })

    it.effect("keeps classes in the order of the reference", () =>
      Effect.gen(function*() {
        for (const [index, { example }] of referenceEvents.entries()) {
          const event = yield* Webhooks.decode(JSON.stringify(example))
          assert.instanceOf(event, WebhookEvent.classes[index] as new(...args: Array<any>) => Event)
        }
      }))

    it("knows every EventType and no other type", () => {
      for (const type of WebhookEvent.EventType.literals) assert.isTrue(WebhookEvent.isEventType(type))
      assert.isFalse(WebhookEvent.isEventType("brand.new.event"))
      assert.isFalse(WebhookEvent.isEventType("unknown"))
      assert.isFalse(WebhookEvent.isEventType("batch"))
    })
  })

  describe("the classes are generated from the engine's catalogue, where the event list is written", () => {
    it("is what scripts/generate-events.ts writes from the catalogue (run it after changing the catalogue)", () => {
      const source = readFileSync(new URL("../src/WebhookEvent.ts", import.meta.url), "utf8")
      assert.include(source, begin)
      assert.include(source, end)
      assert.strictEqual(render(source), source, "run `npx tsx scripts/generate-events.ts`")
    })

    it("has one class per catalogue entry, in its order, named as it says", () => {
      assert.isTrue(_catalogueTypesAreTheEventTypes)
      assert.deepStrictEqual(WebhookEvent.classes.map((cls) => cls.name), Events.all.map((event) => event.className))
      assert.deepStrictEqual(WebhookEvent.classes.map(eventClass.typeOf), [...Events.types])
      assert.deepStrictEqual([...WebhookEvent.EventType.literals], [...Events.types])
    })

    for (const [index, event] of Events.all.entries()) {
      const cls = WebhookEvent.classes[index]!

      it(`${event.className} carries the catalogue's description as its annotation`, () => {
        const typeSide = cls.ast._tag === "Transformation" ? cls.ast.to : cls.ast
        assert.strictEqual(Option.getOrUndefined(AST.getDescriptionAnnotation(typeSide)), event.description)
      })

      it(`${event.className} has the catalogue's fields: wire and camelCase names, kinds, optionality`, () => {
        const expected = Events.envelope.map((field): Described => {
          if (field.wire === "type") return { wire: "type", name: "_tag", optional: false, shape: literal(event.type) }
          const described = describeField(field)
          if (field.wire !== "data") return described
          return { ...described, shape: { kind: "object", fields: event.data.map(describeField) } }
        })
        assert.deepStrictEqual(
          withoutEnvelopeDescriptions(fieldsOfAST(Schema.Struct(cls.fields).ast)),
          withoutEnvelopeDescriptions(expected)
        )
      })
    }

    it("gives the unknown event the envelope's wire keys, names and optionality", () => {
      const fields = fieldsOfAST(Schema.Struct(WebhookEvent.UnknownWebhookEvent.fields).ast)
        .filter((field) => field.wire !== "_tag")
        .map(({ name, optional, wire }) => ({ wire, name, optional }))
      assert.deepStrictEqual(fields, Events.envelope.map(({ name, optional, wire }) => ({ wire, name, optional })))
    })

    it("says in each class's JSDoc what the catalogue says, and marks @deprecated exactly the deprecated ones", () => {
      const source = readFileSync(new URL("../src/WebhookEvent.ts", import.meta.url), "utf8")
      const documented = [...source.matchAll(/\/\*\*\n((?: \*.*\n)+?) \*\/\nexport class (\w+) extends/g)]
      const byName = new Map(documented.map(([, doc, name]) => [name!, doc!.replace(/^ \* ?/gm, "")]))
      for (const event of Events.all) {
        const doc = byName.get(event.className)
        assert.isDefined(doc, `${event.className} has no JSDoc`)
        assert.strictEqual(doc!.split("\n\n")[0]!.replace(/\n/g, " "), event.description, event.className)
        const tag = /^@deprecated (.*)$/m.exec(doc!)?.[1]
        assert.strictEqual(tag, event.deprecated, event.className)
        assert.include(doc, `@since ${event.since}`)
      }
      assert.deepStrictEqual(
        [...byName.keys()].filter((name) => name !== "UnknownWebhookEvent"),
        Events.all.map((event) => event.className)
      )
    })

    it("lists for openai-webhooks events every catalogue type and its summary, with its deprecation", () => {
      assert.deepStrictEqual(Events.all.map((event) => event.type), referenceEvents.map((event) => event.type))
      assert.include(Events.summary(Events.get("live.call.incoming")), "Deprecated: Superseded by")
    })
  })

  describe("camelCase fields", () => {
    it.effect("exposes created_at as createdAt and keeps no snake_case key", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("response.completed", exampleOf("response.completed"))
        assert.strictEqual(event.createdAt, 1719168000)
        assert.strictEqual(event.id, "evt_abc123")
        assert.strictEqual(event.object, "event")
        assert.strictEqual(event.data.id, "resp_abc123")
        assert.isFalse("created_at" in event)
        assert.isFalse("type" in event)
      }))

    it.effect("exposes call_id, sip_headers and sip_media_security of a realtime call", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("realtime.call.incoming", exampleOf("realtime.call.incoming"))
        assert.strictEqual(event.data.callId, "rtc_u0_479a275623b54bdb9b6fbae2f7cbd408")
        assert.strictEqual(event.data.sipMediaSecurity, "srtp")
        assert.deepStrictEqual(event.data.sipHeaders, [
          { name: "Max-Forwards", value: "63" },
          { name: "CSeq", value: "851287 INVITE" },
          { name: "Content-Type", value: "application/sdp" }
        ])
        assert.deepStrictEqual(Object.keys(event.data), ["callId", "sipMediaSecurity", "sipHeaders"])
      }))

    it.effect("exposes session_id of live calls and live transports", () =>
      Effect.gen(function*() {
        const call = yield* decodeAs("live.call.incoming", exampleOf("live.call.incoming"))
        assert.strictEqual(call.data.sessionId, "live_u0_479a275623b54bdb9b6fbae2f7cbd408")
        assert.strictEqual(call.data.sipHeaders[2]?.value, "call-123@example.com")
        const transport = yield* decodeAs("live.transport.incoming", exampleOf("live.transport.incoming"))
        assert.strictEqual(transport.data.type, "sip")
        assert.strictEqual(transport.data.sessionId, "live_u0_479a275623b54bdb9b6fbae2f7cbd408")
        assert.strictEqual(transport.data.sipMediaSecurity, "srtp")
      }))

    it.effect("exposes session_id and type of a connected live transport, and nothing else", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("live.transport.connected", exampleOf("live.transport.connected"))
        assert.instanceOf(event, WebhookEvent.LiveTransportConnectedWebhookEvent)
        assert.deepStrictEqual(event.data, { sessionId: "live_u0_479a275623b54bdb9b6fbae2f7cbd408", type: "webrtc" })
        assert.strictEqual(event.object, "event")
      }))

    it.effect("exposes environment_type, environment_id and connect.remote_url of a created session", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("agent.session.created", exampleOf("agent.session.created"))
        assert.strictEqual(event.data.id, "sess_abc123")
        assert.strictEqual(event.data.environmentType, "self_hosted")
        assert.strictEqual(event.data.environmentId, "env_abc123")
        assert.strictEqual(event.data.connect?.remoteUrl, "wss://example.com/connect")
      }))

    it.effect("exposes required_action.type of a session that requires an action", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("agent.session.action_required", exampleOf("agent.session.action_required"))
        assert.deepStrictEqual(event.data.requiredAction, { type: "function_call" })
      }))

    it.effect("knows mcp_approval_request as a required_action.type, so that it autocompletes", () =>
      Effect.gen(function*() {
        assert.isTrue(_requiredActionsAutocomplete)
        const payload = exampleOf("agent.session.action_required")
        payload["data"]["required_action"]["type"] = "mcp_approval_request"
        const event = yield* decodeAs("agent.session.action_required", payload)
        assert.strictEqual(event.data.requiredAction.type, "mcp_approval_request")
        assert.deepStrictEqual(encode(event), payload)
      }))

    it.effect("leaves environment_id and connect out when a session has none", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("agent.session.idle", exampleOf("agent.session.idle"))
        assert.strictEqual(event.data.environmentType, "openai_hosted")
        assert.isFalse("environmentId" in event.data)
        assert.deepStrictEqual(encode(event), exampleOf("agent.session.idle"))
      }))
  })

  describe("leniency", () => {
    it.effect("ignores unknown keys at the top level, in data and in sip header items", () =>
      Effect.gen(function*() {
        const clean = exampleOf("realtime.call.incoming")
        const noisy = exampleOf("realtime.call.incoming")
        noisy["api_version"] = "2026-01-01"
        noisy["livemode"] = { nested: [1, 2, 3] }
        noisy["data"]["caller"] = { number: "+15551234567" }
        noisy["data"]["sip_headers"][1]["raw"] = "CSeq: 851287 INVITE"
        noisy["data"]["sip_headers"][2]["index"] = 2
        const event = yield* decodeAs("realtime.call.incoming", noisy)
        const expected = yield* decodeAs("realtime.call.incoming", clean)
        assert.deepStrictEqual(event, expected)
        assert.deepStrictEqual(encode(event), clean)
      }))

    it.effect("decodes an event without object and encodes it without object", () =>
      Effect.gen(function*() {
        const { object: _, ...payload } = exampleOf("batch.completed")
        const event = yield* decodeAs("batch.completed", payload)
        assert.isUndefined(event.object)
        assert.isFalse("object" in event)
        assert.deepStrictEqual(encode(event), payload)
      }))

    it.effect("decodes a realtime call without sip_media_security", () =>
      Effect.gen(function*() {
        const payload = exampleOf("realtime.call.incoming")
        delete payload["data"]["sip_media_security"]
        const event = yield* decodeAs("realtime.call.incoming", payload)
        assert.isFalse("sipMediaSecurity" in event.data)
        assert.deepStrictEqual(encode(event), payload)
      }))

    it.effect("decodes a sip_media_security OpenAI has not announced yet", () =>
      Effect.gen(function*() {
        const payload = exampleOf("realtime.call.incoming")
        payload["data"]["sip_media_security"] = "zrtp"
        const event = yield* decodeAs("realtime.call.incoming", payload)
        assert.strictEqual(event.data.sipMediaSecurity, "zrtp")
        assert.deepStrictEqual(encode(event), payload)
      }))

    it.effect("decodes an environment_type OpenAI has not announced yet", () =>
      Effect.gen(function*() {
        const payload = exampleOf("agent.session.failed")
        payload["data"]["environment_type"] = "future"
        const event = yield* decodeAs("agent.session.failed", payload)
        assert.strictEqual(event.data.environmentType, "future")
        assert.deepStrictEqual(encode(event), payload)
      }))

    it.effect("decodes a required_action.type OpenAI has not announced yet", () =>
      Effect.gen(function*() {
        const payload = exampleOf("agent.session.action_required")
        payload["data"]["required_action"]["type"] = "new_kind"
        const event = yield* decodeAs("agent.session.action_required", payload)
        assert.strictEqual(event.data.requiredAction.type, "new_kind")
        assert.deepStrictEqual(encode(event), payload)
      }))

    // The engine's table: no object, keys no reference has at every level (and a stray _tag), each optional field
    // left out, each known value of each open enum and one not announced yet; for every type.
    for (const [type, rows] of groupBy(table.lenient, (row) => row.type)) {
      it.effect(`decodes what ${type} must tolerate, and encodes what its class keeps (${rows.length} rows)`, () =>
        Effect.forEach(rows, (row) =>
          Effect.gen(function*() {
            const event = yield* decodeAs(row.type, row.wire)
            assert.instanceOf(event, classNamed(className(type)) as new(...args: Array<any>) => unknown, row.name)
            assert.strictEqual(JSON.stringify(encode(event)), JSON.stringify(row.encoded), row.name)
          })))
    }

    it.effect("decodes the same event from bytes as from text", () =>
      Effect.gen(function*() {
        const text = JSON.stringify(exampleOf("live.call.incoming"))
        const fromBytes = yield* Webhooks.decode(new TextEncoder().encode(text))
        const fromText = yield* Webhooks.decode(text)
        assert.deepStrictEqual(fromBytes, fromText)
        assert.strictEqual(fromBytes._tag, "live.call.incoming")
      }))
  })

  describe("errors", () => {
    it.effect("answers InvalidJson for text that is not JSON", () =>
      Effect.gen(function*() {
        const error = yield* decodeError("{\"id\": ")
        assert.strictEqual(error.reason, "InvalidJson")
        assert.isUndefined(error.eventType)
      }))

    it.effect("answers InvalidJson for bytes that are not UTF-8", () =>
      Effect.gen(function*() {
        const error = yield* decodeError(new Uint8Array([0xff, 0xfe]))
        assert.strictEqual(error.reason, "InvalidJson")
        assert.include(error.message, "UTF-8")
      }))

    // The engine's table: every field of every type malformed in turn, what is no event, events of unknown types.
    for (const [eventType, rows] of groupBy(table.invalid, (row) => row.eventType ?? "no event type")) {
      it.effect(`answers InvalidEvent naming the wire path: ${eventType} (${rows.length} rows)`, () =>
        Effect.forEach(rows, (row) =>
          Effect.gen(function*() {
            const error = yield* decodeError(JSON.stringify(row.wire))
            assert.strictEqual(error.reason, "InvalidEvent", row.name)
            assert.strictEqual(error.eventType, row.eventType, row.name)
            assert.strictEqual(error.path, row.path, row.name)
            if (row.path !== undefined) assert.include(error.message, row.path, row.name)
            if (row.eventType !== undefined) assert.include(error.message, row.eventType, row.name)
          })))
    }

    it("runs the table's rows named after the faults these tests once wrote out", () => {
      const names = table.invalid.map((row) => row.name)
      for (
        const name of [
          "realtime.call.incoming: data.call_id is 42",
          "realtime.call.incoming: a SIP header's value is a number",
          "response.completed: created_at missing",
          "response.completed: created_at is \"1\"",
          "response.completed: created_at is 1719168000.5",
          "batch.failed: data missing",
          "agent.session.action_required: data.required_action missing",
          "agent.session.created: data.connect.remote_url is null",
          "live.transport.incoming: the transport is webrtc, not sip",
          "live.transport.connected: the transport is sip, not webrtc",
          "live.transport.connected: data.session_id missing",
          "an event without type",
          "an event of an unknown type without id",
          "an event of an unknown type without created_at",
          "an event of an unknown type without data"
        ]
      ) assert.include(names, name)
    })
  })

  describe("unknown types", () => {
    const brandNew = {
      id: "evt_new",
      created_at: 1719168000,
      type: "brand.new.event",
      data: { id: "thing_1", nested: { list: [1, "two", null, true] } },
      object: "event"
    }

    it.effect("decodes an unknown type into UnknownWebhookEvent with its wire type and raw data", () =>
      Effect.gen(function*() {
        const event = yield* decodeUnknown(brandNew)
        assert.strictEqual(event._tag, "unknown")
        assert.strictEqual(event.type, "brand.new.event")
        assert.strictEqual(event.id, "evt_new")
        assert.strictEqual(event.createdAt, 1719168000)
        assert.strictEqual(event.object, "event")
        assert.deepStrictEqual(event.data, brandNew.data)
      }))

    // The engine's table: new types with any data, a stray _tag, a type that only starts like a known one.
    for (const row of table.unknown) {
      it.effect(`decodes ${row.name} into UnknownWebhookEvent and encodes it back`, () =>
        Effect.gen(function*() {
          const event = yield* decodeUnknown(row.wire)
          assert.strictEqual(event._tag, "unknown")
          assert.strictEqual(event.type, row.wire["type"])
          assert.deepStrictEqual(event.data, row.wire["data"])
          const encoded = encode(event)
          assert.deepStrictEqual<unknown>(encoded, row.encoded)
          assert.isFalse("_tag" in encoded)
        }))
    }

    it("refuses to construct an UnknownWebhookEvent for a known type", () => {
      assert.throws(() =>
        new WebhookEvent.UnknownWebhookEvent({ id: "evt_1", createdAt: 1, type: "batch.completed", data: {} })
      )
    })
  })

  describe("laws", () => {
    const decodeSchema = Schema.decodeUnknownSync(WebhookEvent.UnwrapWebhookEvent)
    const decodeText = (text: string) => Effect.runSync(Webhooks.decode(text))

    const law = (name: string, arbitrary: FastCheck.Arbitrary<Event>) =>
      it.prop(
        `${name}: decode(encode(event)) equals the event, directly and through JSON text`,
        [arbitrary],
        ([event]) => {
          const encoded = encode(event)
          const direct = decodeSchema(encoded)
          assert.strictEqual(direct.constructor, event.constructor)
          assert.deepStrictEqual(direct, event)
          const viaText = decodeText(JSON.stringify(encoded))
          assert.strictEqual(viaText.constructor, event.constructor)
          assert.deepStrictEqual(viaText, event)
        }
      )

    const arbitraryOf = (schema: Schema.Schema.AnyNoContext): FastCheck.Arbitrary<Event> => Arbitrary.make(schema)

    for (const cls of WebhookEvent.classes) law(cls.name, arbitraryOf(cls))
    law("UnknownWebhookEvent", arbitraryOf(WebhookEvent.UnknownWebhookEvent))
  })
})
