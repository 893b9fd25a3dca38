import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, type FastCheck, Schema } from "effect"
import { WebhookError, WebhookEvent, Webhooks } from "../src/index.js"
import * as eventClass from "../src/internal/eventClass.js"
import eventList from "../src/internal/events.js"
import { reference as referenceEvents, referenceOf } from "../packages/engine/test/tables/events.js"

type Event = WebhookEvent.UnwrapWebhookEvent
type EventOf<T extends WebhookEvent.EventType> = Extract<Event, { readonly _tag: T }>
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

/** The literals of an open enum (`"a" | "b" | (string & {})`): what autocompletes. */
type KnownOf<T> = T extends string ? string extends T ? never : T : never

// Type-level proof: it fails `tsc`, not the test run.
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

describe("WebhookEvent", () => {
  describe("the reference examples (events.json and events-newer.json)", () => {
    for (const { example, type } of referenceEvents) {
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

  describe("the classes are the one place where the event list is written", () => {
    /** events.json says `deprecated` in lower case without a full stop; the class says it as a sentence. */
    const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`

    for (const [index, fixture] of referenceEvents.entries()) {
      it(`${className(fixture.type)} carries OpenAI's description, reference data and deprecation`, () => {
        const cls = WebhookEvent.classes[index]!
        assert.strictEqual(eventClass.typeOf(cls), fixture.type)
        assert.strictEqual(eventClass.descriptionOf(cls), fixture.doc)
        assert.deepStrictEqual(eventClass.sampleDataOf(cls), fixture.example.data)
        const deprecated = (fixture as { readonly deprecated?: string }).deprecated
        assert.strictEqual(eventClass.deprecationOf(cls), deprecated === undefined ? undefined : sentence(deprecated))
      })
    }

    it("reads nothing off a class that carries no annotations, so that a class without them fails above", () => {
      class Bare extends Schema.Class<Bare>("Bare")({
        _tag: Schema.tag("bare.event").pipe(Schema.fromKey("type")),
        data: Schema.Struct({ id: Schema.String })
      }) {}
      assert.strictEqual(eventClass.typeOf(Bare), "bare.event")
      assert.strictEqual(eventClass.descriptionOf(Bare), "")
      assert.isUndefined(eventClass.sampleDataOf(Bare))
      assert.isUndefined(eventClass.deprecationOf(Bare))
    })

    it("says in each class's JSDoc what its annotations say, and marks @deprecated exactly the deprecated ones", () => {
      const source = readFileSync(new URL("../src/WebhookEvent.ts", import.meta.url), "utf8")
      const documented = [...source.matchAll(/\/\*\*\n((?: \*.*\n)+?) \*\/\nexport class (\w+) extends/g)]
      const byName = new Map(documented.map(([, doc, name]) => [name!, doc!.replace(/^ \* ?/gm, "")]))
      for (const cls of WebhookEvent.classes) {
        const doc = byName.get(cls.name)
        assert.isDefined(doc, `${cls.name} has no JSDoc`)
        assert.strictEqual(doc!.split("\n\n")[0], eventClass.descriptionOf(cls), cls.name)
        const tag = /^@deprecated (.*)$/m.exec(doc!)?.[1]
        assert.strictEqual(tag, eventClass.deprecationOf(cls), cls.name)
      }
    })

    it("lists for openai-webhooks events every class's type and description, with its deprecation", () => {
      assert.deepStrictEqual(
        eventList.map((row) => row.type),
        referenceEvents.map((event) => event.type)
      )
      for (const [index, row] of eventList.entries()) {
        const cls = WebhookEvent.classes[index]!
        const deprecated = eventClass.deprecationOf(cls)
        const expected = eventClass.descriptionOf(cls) + (deprecated === undefined ? "" : ` Deprecated: ${deprecated}`)
        assert.strictEqual(row.doc, expected)
      }
      assert.include(eventList.find((row) => row.type === "live.call.incoming")?.doc, "Deprecated: Superseded by")
    })

    it("derives EventType from the classes, in their order", () => {
      assert.deepStrictEqual([...WebhookEvent.EventType.literals], WebhookEvent.classes.map(eventClass.typeOf))
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
    const invalid = (payload: unknown, type: string, path: string) =>
      Effect.gen(function*() {
        const error = yield* decodeError(JSON.stringify(payload))
        assert.strictEqual(error.reason, "InvalidEvent")
        assert.strictEqual(error.eventType, type)
        assert.strictEqual(error.path, path)
        assert.include(error.message, path)
        assert.include(error.message, type)
        return error
      })

    it.effect("names data.call_id when call_id is a number", () => {
      const payload = exampleOf("realtime.call.incoming")
      payload["data"]["call_id"] = 42
      return invalid(payload, "realtime.call.incoming", "data.call_id")
    })

    it.effect("names data.sip_headers[1].value when a header value is not a string", () => {
      const payload = exampleOf("realtime.call.incoming")
      payload["data"]["sip_headers"][1]["value"] = 851287
      return invalid(payload, "realtime.call.incoming", "data.sip_headers[1].value")
    })

    it.effect("names created_at when it is missing", () => {
      const { created_at: _, ...payload } = exampleOf("response.completed")
      return invalid(payload, "response.completed", "created_at")
    })

    it.effect("names created_at when it is a string", () => {
      const payload = { ...exampleOf("response.completed"), created_at: "1" }
      return invalid(payload, "response.completed", "created_at")
    })

    it.effect("names created_at when it is not an integer", () => {
      const payload = { ...exampleOf("response.completed"), created_at: 1719168000.5 }
      return invalid(payload, "response.completed", "created_at")
    })

    it.effect("names data when it is missing", () => {
      const { data: _, ...payload } = exampleOf("batch.failed")
      return invalid(payload, "batch.failed", "data")
    })

    it.effect("names data.required_action when it is missing", () => {
      const payload = exampleOf("agent.session.action_required")
      delete payload["data"]["required_action"]
      return invalid(payload, "agent.session.action_required", "data.required_action")
    })

    it.effect("names data.connect.remote_url when it is not a string", () => {
      const payload = exampleOf("agent.session.created")
      payload["data"]["connect"]["remote_url"] = null
      return invalid(payload, "agent.session.created", "data.connect.remote_url")
    })

    it.effect("names data.type when a live transport is not sip", () => {
      const payload = exampleOf("live.transport.incoming")
      payload["data"]["type"] = "webrtc"
      return invalid(payload, "live.transport.incoming", "data.type")
    })

    it.effect("names data.type when a connected live transport is not webrtc", () => {
      const payload = exampleOf("live.transport.connected")
      payload["data"]["type"] = "sip"
      return invalid(payload, "live.transport.connected", "data.type")
    })

    it.effect("names data.session_id when a connected live transport has none", () => {
      const payload = exampleOf("live.transport.connected")
      delete payload["data"]["session_id"]
      return invalid(payload, "live.transport.connected", "data.session_id")
    })

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

    for (const payload of ["[]", "null", "42", "\"x\"", "true"]) {
      it.effect(`answers InvalidEvent for the JSON value ${payload}, which is not an object`, () =>
        Effect.gen(function*() {
          const error = yield* decodeError(payload)
          assert.strictEqual(error.reason, "InvalidEvent")
          assert.isUndefined(error.eventType)
        }))
    }

    it.effect("answers InvalidEvent naming type when type is missing", () =>
      Effect.gen(function*() {
        const { type: _, ...payload } = exampleOf("batch.failed")
        const error = yield* decodeError(JSON.stringify(payload))
        assert.strictEqual(error.reason, "InvalidEvent")
        assert.strictEqual(error.path, "type")
      }))

    for (const type of [42, null, ["batch.failed"], { name: "batch.failed" }]) {
      it.effect(`answers InvalidEvent when type is ${JSON.stringify(type)}`, () =>
        Effect.gen(function*() {
          const error = yield* decodeError(JSON.stringify({ ...exampleOf("batch.failed"), type }))
          assert.strictEqual(error.reason, "InvalidEvent")
          assert.strictEqual(error.path, "type")
          assert.isUndefined(error.eventType)
        }))
    }
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

    it.effect("encodes an unknown event back to the JSON it came from", () =>
      Effect.gen(function*() {
        const event = yield* decodeUnknown(brandNew)
        const encoded = encode(event)
        assert.deepStrictEqual(encoded, brandNew)
        assert.isFalse("_tag" in encoded)
      }))

    it.effect("answers InvalidEvent naming id for an unknown type without id", () =>
      Effect.gen(function*() {
        const { id: _, ...payload } = brandNew
        const error = yield* decodeError(JSON.stringify(payload))
        assert.strictEqual(error.reason, "InvalidEvent")
        assert.strictEqual(error.eventType, "brand.new.event")
        assert.strictEqual(error.path, "id")
      }))

    it.effect("answers InvalidEvent naming created_at for an unknown type without created_at", () =>
      Effect.gen(function*() {
        const { created_at: _, ...payload } = brandNew
        const error = yield* decodeError(JSON.stringify(payload))
        assert.strictEqual(error.reason, "InvalidEvent")
        assert.strictEqual(error.eventType, "brand.new.event")
        assert.strictEqual(error.path, "created_at")
      }))

    it.effect("answers InvalidEvent naming data for an unknown type without data", () =>
      Effect.gen(function*() {
        const { data: _, ...payload } = brandNew
        const error = yield* decodeError(JSON.stringify(payload))
        assert.strictEqual(error.reason, "InvalidEvent")
        assert.strictEqual(error.path, "data")
      }))

    it.effect("keeps a null data of an unknown type, since the key is there", () =>
      Effect.gen(function*() {
        const event = yield* decodeUnknown({ ...brandNew, data: null })
        assert.isNull(event.data)
      }))

    it.effect("ignores a stray _tag key on an unknown type", () =>
      Effect.gen(function*() {
        const event = yield* decodeUnknown({ ...brandNew, _tag: "batch.completed" })
        assert.strictEqual(event._tag, "unknown")
        assert.deepStrictEqual(encode(event), brandNew)
      }))

    it.effect("ignores a stray _tag key on a known type", () =>
      Effect.gen(function*() {
        const event = yield* decodeAs("batch.completed", { ...exampleOf("batch.completed"), _tag: "unknown" })
        assert.instanceOf(event, WebhookEvent.BatchCompletedWebhookEvent)
        assert.deepStrictEqual(encode(event), exampleOf("batch.completed"))
      }))

    it.effect("treats a type that only starts like a known one as unknown", () =>
      Effect.gen(function*() {
        const event = yield* decodeUnknown({ ...exampleOf("batch.completed"), type: "batch.completed.v2" })
        assert.strictEqual(event.type, "batch.completed.v2")
      }))

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
