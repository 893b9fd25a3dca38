import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Either, Exit, FastCheck, Schema } from "effect"
import { compileAST, Invalid } from "../src/internal/compile.js"
import { decodeJson, decoders } from "../src/internal/decode.js"
import { typeOf } from "../src/internal/events.js"
import { WebhookError, WebhookEvent, Webhooks } from "../src/index.js"
import { json as jsonRows } from "../packages/engine/test/tables/json.js"
import { reference as referenceEvents } from "../packages/engine/test/tables/events.js"

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }
type EventClass = (typeof WebhookEvent.classes)[number]

// Every wire key of every event, so that mutations often hit a key the Schema cares about.
const wireKeys = [
  "id",
  "object",
  "created_at",
  "type",
  "data",
  "call_id",
  "sip_media_security",
  "sip_headers",
  "name",
  "value",
  "session_id",
  "required_action",
  "environment_type",
  "environment_id",
  "connect",
  "remote_url",
  "_tag"
]

type Mutation =
  | { readonly kind: "delete"; readonly at: number; readonly key: number }
  | { readonly kind: "set"; readonly at: number; readonly key: string | number; readonly value: Json }

const mutation: FastCheck.Arbitrary<Mutation> = FastCheck.oneof(
  FastCheck.record({ kind: FastCheck.constant("delete" as const), at: FastCheck.nat(), key: FastCheck.nat() }),
  FastCheck.record({
    kind: FastCheck.constant("set" as const),
    at: FastCheck.nat(),
    key: FastCheck.oneof(FastCheck.constantFrom(...wireKeys), FastCheck.string(), FastCheck.nat()),
    value: FastCheck.jsonValue() as FastCheck.Arbitrary<Json>
  })
)

/** Every object and array in a JSON value, the value itself first (the top level, then data, ...). */
const containers = (value: Json): Array<Array<Json> | { [key: string]: Json }> => {
  if (typeof value !== "object" || value === null) return []
  const children = Array.isArray(value) ? value : Object.values(value)
  return [value, ...children.flatMap(containers)]
}

/** Applies a mutation in place; keys are set as own properties, as JSON.parse does (even `__proto__`). */
const mutate = (root: Json, m: Mutation): void => {
  const all = containers(root)
  const target = all[m.at % all.length]
  if (target === undefined) return
  if (Array.isArray(target)) {
    const index = typeof m.key === "number" ? m.key % (target.length + 1) : 0
    if (m.kind === "delete") target.splice(index, 1)
    else target[index] = m.value
    return
  }
  if (m.kind === "delete") {
    const keys = Object.keys(target)
    const key = keys[m.key % Math.max(keys.length, 1)]
    if (key !== undefined) delete target[key]
    return
  }
  Object.defineProperty(target, String(m.key), { value: m.value, enumerable: true, writable: true, configurable: true })
}

/** Values of the wire struct; its Encoded side has no Int refinement, so some are invalid (`created_at: 0.5`). */
const encoded = (cls: EventClass): FastCheck.Arbitrary<Json> =>
  Arbitrary.make(Schema.encodedSchema(cls as Schema.Schema.AnyNoContext)) as FastCheck.Arbitrary<Json>

/** The wire JSON of arbitrary events: always valid. */
const encodedEvents = (cls: EventClass): FastCheck.Arbitrary<Json> => {
  const schema = cls as Schema.Schema.AnyNoContext
  return Arbitrary.make(schema).map(Schema.encodeSync(schema)) as FastCheck.Arbitrary<Json>
}

const mutated = (cls: EventClass): FastCheck.Arbitrary<Json> =>
  FastCheck.tuple(
    FastCheck.oneof(encoded(cls), encodedEvents(cls)),
    FastCheck.array(mutation, { minLength: 1, maxLength: 3 })
  ).map(([value, ms]) => {
    const copy = structuredClone(value)
    for (const m of ms) mutate(copy, m)
    return copy
  })

const compiledOf = (cls: EventClass) => {
  const decoder = decoders.get(typeOf(cls))
  if (decoder === undefined) throw new Error(`no decoder for ${cls.name}`)
  return decoder
}

/** Asserts that the compiled decoder and the Schema both reject `input`, or both give equal instances. */
const agree = (cls: EventClass, input: Json): "valid" | "invalid" => {
  const compiled = compiledOf(cls)(input as object)
  const schema = Schema.decodeUnknownEither(cls as Schema.Schema.AnyNoContext)(input)
  if (compiled === Invalid) {
    assert.isTrue(Either.isLeft(schema), `compiled rejects what the Schema accepts: ${JSON.stringify(input)}`)
    return "invalid"
  }
  if (Either.isLeft(schema)) {
    return assert.fail(`compiled accepts what the Schema rejects: ${JSON.stringify(input)}`)
  }
  assert.instanceOf(compiled, cls as new(...args: Array<any>) => unknown)
  assert.strictEqual(compiled.constructor, schema.right.constructor)
  assert.deepStrictEqual(compiled, schema.right)
  return "valid"
}

describe("internal decode", () => {
  describe("compiled decoders", () => {
    it("has one decoder per known type and none for other types", () => {
      assert.deepStrictEqual([...decoders.keys()], [...WebhookEvent.EventType.literals])
      assert.deepStrictEqual(WebhookEvent.classes.map(typeOf), [...WebhookEvent.EventType.literals])
      assert.isUndefined(decoders.get("unknown"))
      assert.isUndefined(decoders.get("brand.new.event"))
    })

    for (const cls of WebhookEvent.classes) {
      it(`compiles the wire struct of ${cls.name} instead of falling back to the Schema`, () => {
        const ast = cls.ast
        assert.strictEqual(ast._tag, "Transformation")
        if (ast._tag !== "Transformation") return
        assert.isDefined(compileAST(ast.from))
      })
    }

    it("decodes each reference example into an instance of its class", () => {
      for (const [index, { example, type }] of referenceEvents.entries()) {
        const cls = WebhookEvent.classes[index]!
        assert.strictEqual(typeOf(cls), type)
        assert.strictEqual(agree(cls, example as Json), "valid")
      }
    })

    it("rejects a realtime call whose call_id is a number, as the Schema does", () => {
      const example = referenceEvents.find((event) => event.type === "realtime.call.incoming")!.example
      const input = { ...example, data: { ...(example["data"] as object), call_id: 42 } }
      assert.strictEqual(compiledOf(WebhookEvent.RealtimeCallIncomingWebhookEvent)(input), Invalid)
      assert.strictEqual(agree(WebhookEvent.RealtimeCallIncomingWebhookEvent, input), "invalid")
    })

    it("rejects a created_at that is not a safe integer, as Schema.Int does", () => {
      const example = referenceEvents[0]!.example
      for (const createdAt of [1.5, Number.MAX_SAFE_INTEGER + 2, -0.25]) {
        const input = { ...example, created_at: createdAt }
        assert.strictEqual(agree(WebhookEvent.BatchCancelledWebhookEvent, input), "invalid")
      }
    })
  })

  describe("agreement with the Schema", () => {
    for (const cls of WebhookEvent.classes) {
      it.prop(`${cls.name}: agrees with the Schema on values of the encoded schema`, [encoded(cls)], ([input]) => {
        agree(cls, input)
      })

      it.prop(`${cls.name}: accepts the wire JSON of every event, as the Schema does`, [encodedEvents(cls)], ([x]) => {
        assert.strictEqual(agree(cls, x), "valid")
      })

      it.prop(`${cls.name}: agrees with the Schema on mutated encoded values`, [mutated(cls)], ([input]) => {
        agree(cls, input)
      })
    }

    it("mutates into both valid and invalid inputs for every class, so that agreement is not vacuous", () => {
      for (const cls of WebhookEvent.classes) {
        const outcomes = FastCheck.sample(mutated(cls), { numRuns: 200, seed: 42 }).map((input) => agree(cls, input))
        assert.isAbove(outcomes.filter((outcome) => outcome === "valid").length, 10, cls.name)
        assert.isAbove(outcomes.filter((outcome) => outcome === "invalid").length, 10, cls.name)
      }
    })

    it.prop(
      "decodeJson agrees with UnwrapWebhookEvent on mutated events of every type",
      [FastCheck.constantFrom(...WebhookEvent.classes).chain(mutated)],
      ([input]) => {
        const fast = decodeJson(input)
        const schema = Schema.decodeUnknownEither(WebhookEvent.UnwrapWebhookEvent)(input)
        if (Either.isLeft(fast)) {
          assert.isTrue(Either.isLeft(schema), `decodeJson rejects what the Schema accepts: ${JSON.stringify(input)}`)
          return
        }
        assert.isTrue(Either.isRight(schema), `decodeJson accepts what the Schema rejects: ${JSON.stringify(input)}`)
        if (Either.isRight(schema)) {
          assert.strictEqual(fast.right.constructor, schema.right.constructor)
          assert.deepStrictEqual(fast.right, schema.right)
        }
      }
    )
  })
})

describe("the engine's JSON pre-check rows, through Webhooks.decode and decodeJson", () => {
  for (const row of jsonRows) {
    const expected = row.expected
    it(expected.ok ? `passes ${row.name} on to the event schemas` : `answers ${expected.reason} to ${row.name}`, () => {
      const exit = Effect.runSyncExit(Webhooks.decode(row.payload))
      if (expected.ok) {
        // Past the pre-check: decoded, or refused by the schema of its type, never with a pre-check's words.
        if (Exit.isSuccess(exit)) return
        const error = Effect.runSync(Effect.flip(Webhooks.decode(row.payload)))
        assert.strictEqual(error.reason, "InvalidEvent", row.name)
        assert.notInclude(error.message, "The payload is not", row.name)
        return
      }
      const error = Effect.runSync(Effect.flip(Webhooks.decode(row.payload)))
      assert.instanceOf(error, WebhookError.DecodeError)
      assert.strictEqual(error.reason, expected.reason)
      if (expected.exact) assert.strictEqual(error.message, expected.message)
      else assert.isTrue(error.message.startsWith(expected.message), error.message)
      assert.strictEqual(error.path, expected.path)
      assert.strictEqual(error.eventType, undefined)
      // The same from already parsed JSON, for the rows that are JSON.
      if (expected.reason === "InvalidEvent") {
        const text = typeof row.payload === "string" ? row.payload : new TextDecoder().decode(row.payload)
        const parsed = decodeJson(JSON.parse(text))
        assert.isTrue(Either.isLeft(parsed))
        if (Either.isLeft(parsed)) {
          assert.deepStrictEqual([parsed.left.reason, parsed.left.message, parsed.left.path], [
            error.reason,
            error.message,
            error.path
          ])
        }
      }
    })
  }
})

