import { assert, describe, it } from "@effect/vitest"
import { Effect, Result, Schema, SchemaParser } from "effect"
import * as table from "../../engine/test/tables/events.js"
import { json as jsonRows, nested } from "../../engine/test/tables/json.js"
import { Json } from "openai-webhooks-engine"
import { WebhookError, WebhookEvent, Webhooks } from "effect4-openai-webhooks"
import { compileClassFields, Invalid } from "../src/internal/compile.js"
import { compiled, decodeJson, decoders } from "../src/internal/decode.js"
import * as events from "../src/internal/events.js"

type JsonValue = null | boolean | number | string | Array<JsonValue> | { [key: string]: JsonValue }

/** The compiled decoder of a known type, and its Schema, side by side. */
const sides = (type: string) => {
  const wire = events.wires.get(type)!
  const fields = compileClassFields(wire.ast)!
  const Cls = events.classes.get(type)! as unknown as new(fields: object) => object
  const schema = SchemaParser.decodeUnknownResult(wire)
  return { fields, Cls, schema }
}

/** Asserts that the compiled decoder and the Schema both reject `input`, or both give equal instances. */
const agree = (type: string, input: unknown): "valid" | "invalid" => {
  const { Cls, fields, schema } = sides(type)
  const props = fields(input)
  const expected = schema(input)
  if (props === Invalid) {
    assert.isTrue(Result.isFailure(expected), `compiled rejects what the Schema accepts: ${JSON.stringify(input)}`)
    return "invalid"
  }
  if (Result.isFailure(expected)) {
    return assert.fail(`compiled accepts what the Schema rejects: ${JSON.stringify(input)}`)
  }
  const event = new Cls(props)
  assert.strictEqual(event.constructor, (expected.success as object).constructor)
  assert.deepStrictEqual(event, expected.success)
  return "valid"
}

/** Every object and array in a JSON value, the value itself first. */
const containers = (value: JsonValue): Array<Array<JsonValue> | { [key: string]: JsonValue }> => {
  if (typeof value !== "object" || value === null) return []
  const children = Array.isArray(value) ? value : Object.values(value)
  return [value, ...children.flatMap(containers)]
}

const replacements: ReadonlyArray<JsonValue> = [null, 42, 1.5, -1, "x", "", true, [], {}, [1], { a: 1 }]

/**
 * Every single-fault variant of a JSON value: each key of each object deleted or replaced by each of
 * `replacements`, each array emptied or given a stray item, each object given a stray key.
 */
const variants = (value: JsonValue): Array<JsonValue> => {
  const out: Array<JsonValue> = []
  const count = containers(value).length
  for (let at = 0; at < count; at++) {
    const change = (f: (target: Array<JsonValue> | { [key: string]: JsonValue }) => void) => {
      const copy = structuredClone(value)
      f(containers(copy)[at]!)
      out.push(copy)
    }
    const target = containers(value)[at]!
    if (Array.isArray(target)) {
      change((t) => (t as Array<JsonValue>).splice(0))
      for (const r of replacements) change((t) => (t as Array<JsonValue>).push(r))
      continue
    }
    change((t) => Object.assign(t, { stray_key: 1 }))
    for (const key of Object.keys(target)) {
      change((t) => delete (t as Record<string, JsonValue>)[key])
      for (const r of replacements) change((t) => ((t as Record<string, JsonValue>)[key] = r))
    }
  }
  return out
}

describe("Webhooks.decode", () => {
  // The engine's JSON pre-check rows, through Webhooks.decode: what the pre-check refuses is a DecodeError with the
  // row's reason, message and path; what it accepts reaches the decoder of its type (an unknown type here, since
  // the rows carry no whole event, so it is refused later, by the schema, as InvalidEvent with its type).
  for (const row of jsonRows) {
    const expected = row.expected
    it.effect(`${expected.ok ? "passes" : `refuses (${expected.reason})`} ${row.name}`, () =>
      Effect.gen(function*() {
        const result = yield* Effect.result(Webhooks.decode(row.payload))
        assert.isTrue(Result.isFailure(result))
        if (Result.isSuccess(result)) return
        const error = result.failure
        assert.instanceOf(error, WebhookError.DecodeError)
        if (expected.ok) {
          assert.strictEqual(error.reason, "InvalidEvent")
          assert.strictEqual(error.eventType, expected.type)
          return
        }
        assert.strictEqual(error.reason, expected.reason)
        if (expected.exact) assert.strictEqual(error.message, expected.message)
        else assert.isTrue(error.message.startsWith(expected.message), error.message)
        assert.strictEqual(error.path, expected.path)
        assert.isUndefined(error.eventType)
      }))
  }

  it("has a decoder for every known type, and only those, each compiled from its class's Schema AST", () => {
    assert.deepStrictEqual([...decoders.keys()], [...WebhookEvent.EventType.literals])
    assert.deepStrictEqual([...compiled].filter(([, is]) => !is), [])
  })

  it.effect("refuses data nested past the bound at data, in a short message, without walking it recursively", () =>
    Effect.gen(function*() {
      const payload = `{"id":"evt_1","created_at":1,"type":"brand.new","data":${nested("mixed", 100_000)}}`
      const error = yield* Effect.flip(Webhooks.decode(payload))
      assert.strictEqual(error.path, "data")
      assert.isBelow(error.message.length, 300)
      assert.include(error.message, `nests more than ${Json.maxDepth} levels`)
    }))

  it.effect("refuses a typed field holding 100,000 levels of arrays at its first level", () =>
    Effect.gen(function*() {
      const payload = `{"id":${nested("array", 100_000)},"created_at":1,"type":"batch.completed","data":{"id":"b"}}`
      const error = yield* Effect.flip(Webhooks.decode(payload))
      assert.strictEqual(error.path, "id")
      assert.strictEqual(error.message, "Invalid \"batch.completed\" event at id: Expected string")
    }))

  it("decodes parsed JSON through the same checks (decodeJson)", () => {
    assert.isTrue(Result.isFailure(decodeJson([])))
    const event = decodeJson({ id: "e", created_at: 1, type: "batch.failed", data: { id: "b" } })
    assert.isTrue(Result.isSuccess(event) && event.success._tag === "batch.failed")
  })
})

describe("the compiled decoders agree with the Schema", () => {
  // Every valid and lenient row of the engine's events table, and every single-fault variant of each reference
  // example: the compiled pass accepts exactly what the Schema accepts, and builds an equal instance.
  for (const { type, wire } of table.valid) {
    it(`${type}: on the reference example and each of its single-fault variants`, () => {
      assert.strictEqual(agree(type, wire), "valid")
      const outcomes = variants(wire as JsonValue).map((input) => agree(type, input))
      // Not vacuous: some variants are still events (a stray key, an open enum's new value), most are not.
      assert.isAbove(outcomes.filter((outcome) => outcome === "valid").length, 0)
      assert.isAbove(outcomes.filter((outcome) => outcome === "invalid").length, 0)
    })
  }

  it("on what every type must tolerate (the lenient rows)", () => {
    for (const row of table.lenient) assert.strictEqual(agree(row.type, row.wire), "valid", row.name)
  })

  it("on the invalid rows of known types", () => {
    for (const row of table.invalid) {
      if (row.eventType !== undefined && WebhookEvent.isEventType(row.eventType)) {
        assert.strictEqual(agree(row.eventType, row.wire), "invalid", row.name)
      }
    }
  })

  // Arbitrary wire values of every class (Effect 4's Arbitrary of the encoded side of its union member).
  for (const [index, cls] of WebhookEvent.classes.entries()) {
    const type = events.typeOf(cls)
    const encoded = Schema.toEncoded(WebhookEvent.UnwrapWebhookEvent.members[index]!)
    it.prop(`${cls.identifier}: on arbitrary wire values`, [encoded], ([input]) => {
      assert.strictEqual(agree(type, JSON.parse(JSON.stringify(input))), "valid")
    })
  }
})
