import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, type SchemaAST as AST } from "effect"
import { Events } from "openai-webhooks-engine"
import * as table from "../../engine/test/tables/events.js"
import { begin, end, render, targets } from "../../../scripts/generate-events.js"
import { WebhookError, WebhookEvent, Webhooks } from "effect4-openai-webhooks"
import * as eventClass from "../src/internal/eventClass.js"

type Event = WebhookEvent.UnwrapWebhookEvent
type EventOf<T extends WebhookEvent.EventType> = Extract<Event, { readonly _tag: T }>
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

/** The literals of an open enum (`"a" | "b" | (string & {})`): what autocompletes. */
type KnownOf<T> = T extends string ? string extends T ? never : T : never

// Type-level proofs: they fail `tsc`, not the test run.
const _catalogueTypesAreTheEventTypes: Equals<Events.Type, WebhookEvent.EventType> = true
const _requiredActionsAutocomplete: Equals<
  KnownOf<EventOf<"agent.session.action_required">["data"]["requiredAction"]["type"]>,
  "computer_use_approval_request" | "function_call" | "environment_connection" | "mcp_approval_request"
> = true
const _callIdIsAString: Equals<EventOf<"realtime.call.incoming">["data"]["callId"], string> = true
const _wireSideIsSnakeCase: Equals<
  Extract<typeof WebhookEvent.UnwrapWebhookEvent.Encoded, { readonly type: "realtime.call.incoming" }>["data"][
    "call_id"
  ],
  string
> = true

const encode = Schema.encodeSync(WebhookEvent.UnwrapWebhookEvent)

const exampleOf = (type: string): Record<string, any> => table.referenceOf(type).example

const classNamed = (name: string): new(...args: Array<any>) => unknown =>
  (WebhookEvent as unknown as Record<string, new(...args: Array<any>) => unknown>)[name]!

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

/** `rows` grouped by `key`, in order of first appearance. */
const groupBy = <A, K>(rows: ReadonlyArray<A>, key: (row: A) => K): ReadonlyMap<K, ReadonlyArray<A>> => {
  const groups = new Map<K, Array<A>>()
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row])
  return groups
}

describe("WebhookEvent", () => {
  describe("the reference examples (the engine's table)", () => {
    for (const { type, wire: example } of table.valid) {
      const name = Events.get(type).className
      it.effect(`decodes ${type} into ${name} and encodes it back key for key`, () =>
        Effect.gen(function*() {
          const event = yield* Webhooks.decode(JSON.stringify(example))
          assert.strictEqual(event._tag, type)
          assert.instanceOf(event, classNamed(name))
          const encoded = encode(event)
          assert.deepStrictEqual<unknown>(encoded, example)
          assert.strictEqual(JSON.stringify(encoded), JSON.stringify(example))
          // The union's own decoding gives the same event as Webhooks.decode.
          assert.deepStrictEqual(Schema.decodeUnknownSync(WebhookEvent.UnwrapWebhookEvent)(example), event)
        }))
    }

    it("lists every reference type in EventType, in order, one class each", () => {
      assert.isTrue(_catalogueTypesAreTheEventTypes && _callIdIsAString && _wireSideIsSnakeCase)
      assert.deepStrictEqual([...WebhookEvent.EventType.literals], table.reference.map((event) => event.type))
      assert.strictEqual(new Set(WebhookEvent.classes).size, table.reference.length)
    })

    it("knows every EventType and no other type", () => {
      for (const type of WebhookEvent.EventType.literals) assert.isTrue(WebhookEvent.isEventType(type))
      assert.isFalse(WebhookEvent.isEventType("brand.new.event"))
      assert.isFalse(WebhookEvent.isEventType("unknown"))
    })
  })

  describe("the classes are generated from the engine's catalogue, where the event list is written", () => {
    it("is what scripts/generate-events.ts writes from the catalogue (run it after changing the catalogue)", () => {
      const source = readFileSync(targets.effect4, "utf8")
      assert.include(source, begin)
      assert.include(source, end)
      assert.strictEqual(render(source, "effect4"), source, "run `npx tsx scripts/generate-events.ts`")
    })

    it("has one class per catalogue entry, in its order, named as it says, holding _tag as Schema.tag(type)", () => {
      assert.deepStrictEqual(WebhookEvent.classes.map((cls) => cls.name), Events.all.map((event) => event.className))
      assert.deepStrictEqual(WebhookEvent.classes.map((cls) => cls.identifier), Events.all.map((e) => e.className))
      assert.deepStrictEqual(WebhookEvent.classes.map(eventClass.typeOf), [...Events.types])
    })

    for (const [index, event] of Events.all.entries()) {
      const cls = WebhookEvent.classes[index]!
      it(`${event.className} carries the catalogue's description, and its wire keys are the catalogue's`, () => {
        assert.strictEqual((cls.ast.annotations as { readonly description?: string }).description, event.description)
        // The wire side of its union member: the envelope's wire keys, then data's, in the catalogue's order.
        const member = WebhookEvent.UnwrapWebhookEvent.members[index]!
        const encoded = Schema.toEncoded(member).ast as AST.Objects
        assert.deepStrictEqual(
          encoded.propertySignatures.map((ps) => ps.name),
          Events.envelope.map((field) => field.wire)
        )
        const data = encoded.propertySignatures.find((ps) => ps.name === "data")!.type as AST.Objects
        assert.deepStrictEqual(data.propertySignatures.map((ps) => ps.name), event.data.map((field) => field.wire))
      })
    }
  })

  describe("camelCase fields", () => {
    it.effect("exposes created_at as createdAt and keeps no snake_case key", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("response.completed", exampleOf("response.completed"))
        assert.strictEqual(event.createdAt, 1719168000)
        assert.strictEqual(event.data.id, "resp_abc123")
        assert.isFalse("created_at" in event)
        assert.isFalse("type" in event)
      }))

    it.effect("exposes call_id, sip_headers and sip_media_security of a realtime call", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("realtime.call.incoming", exampleOf("realtime.call.incoming"))
        assert.strictEqual(event.data.callId, "rtc_u0_479a275623b54bdb9b6fbae2f7cbd408")
        assert.strictEqual(event.data.sipMediaSecurity, "srtp")
        assert.deepStrictEqual(Object.keys(event.data), ["callId", "sipMediaSecurity", "sipHeaders"])
      }))

    it.effect("exposes connect.remote_url of a created session, renamed inside a nested struct", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("agent.session.created", exampleOf("agent.session.created"))
        assert.strictEqual(event.data.environmentType, "self_hosted")
        assert.strictEqual(event.data.connect?.remoteUrl, "wss://example.com/connect")
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
  })

  describe("leniency", () => {
    // The engine's table: no object, keys no reference has at every level (and a stray _tag), each optional field
    // left out, each known value of each open enum and one not announced yet; for every type.
    for (const [type, rows] of groupBy(table.lenient, (row) => row.type)) {
      it.effect(`decodes what ${type} must tolerate, and encodes what its class keeps (${rows.length} rows)`, () =>
        Effect.forEach(rows, (row) =>
          Effect.gen(function*() {
            const event = yield* decodeAs(row.type, row.wire)
            assert.instanceOf(event, classNamed(Events.get(type).className), row.name)
            assert.strictEqual(JSON.stringify(encode(event)), JSON.stringify(row.encoded), row.name)
          })))
    }

    it.effect("decodes the same event from bytes as from text", () =>
      Effect.gen(function*() {
        const text = JSON.stringify(exampleOf("live.call.incoming"))
        const fromBytes = yield* Webhooks.decode(new TextEncoder().encode(text))
        const fromText = yield* Webhooks.decode(text)
        assert.deepStrictEqual(fromBytes, fromText)
      }))
  })

  describe("errors", () => {
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

    it.effect("says what a field should be, without the value it got", () =>
      Effect.gen(function*() {
        const payload = exampleOf("realtime.call.incoming")
        payload["data"]["call_id"] = "x".repeat(10_000)
        payload["data"]["sip_headers"] = [{ name: "a", value: 42 }]
        const error = yield* decodeError(JSON.stringify(payload))
        assert.strictEqual(error.path, "data.sip_headers[0].value")
        assert.strictEqual(
          error.message,
          "Invalid \"realtime.call.incoming\" event at data.sip_headers[0].value: Expected string"
        )
      }))
  })

  describe("unknown types", () => {
    // The engine's table: new types with any data, a stray _tag, a type that only starts like a known one.
    for (const row of table.unknown) {
      it.effect(`decodes ${row.name} into UnknownWebhookEvent and encodes it back`, () =>
        Effect.gen(function*() {
          const event = yield* Webhooks.decode(JSON.stringify(row.wire))
          assert.instanceOf(event, WebhookEvent.UnknownWebhookEvent)
          assert.strictEqual(event._tag, "unknown")
          if (event._tag !== "unknown") return
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
})

describe("laws", () => {
  const decodeSchema = Schema.decodeUnknownSync(WebhookEvent.UnwrapWebhookEvent)
  const decodeText = (text: string) => Effect.runSync(Webhooks.decode(text))

  /** An event's fields as plain data: Effect 4's Arbitrary builds nested structs with a null prototype. */
  const fieldsOf = (event: Event): unknown => JSON.parse(JSON.stringify(event))

  // Arbitrary events of every class (Effect 4's Arbitrary of the class's type side): encoded to the wire and decoded
  // again, by the union and by Webhooks.decode through JSON text, each gives back an equal event of the same class.
  for (const cls of WebhookEvent.classes) {
    it.prop(`${cls.identifier}: decode(encode(event)) equals the event, directly and through JSON text`, [cls], ([
      event
    ]) => {
      const encoded = encode(event)
      const direct = decodeSchema(encoded)
      assert.deepStrictEqual(encode(direct), encoded)
      // Through text, JSON's own rounding applies (-0 is written 0): the text is what must come back.
      const text = JSON.stringify(encoded)
      const viaText = decodeText(text)
      assert.strictEqual(JSON.stringify(encode(viaText)), text)
      for (const decoded of [direct, viaText]) {
        assert.strictEqual(decoded.constructor, event.constructor)
        assert.deepStrictEqual(fieldsOf(decoded), fieldsOf(event))
      }
    })
  }
})
