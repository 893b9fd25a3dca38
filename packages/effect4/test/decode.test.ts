import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { json as jsonRows, nested } from "../../engine/test/tables/json.js"
import { Json } from "openai-webhooks-engine"
import { WebhookError, WebhookEvent, Webhooks } from "effect4-openai-webhooks"
import { decodeJson, decoders } from "../src/internal/decode.js"

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

  it("has a decoder for every known type, and only those", () => {
    assert.deepStrictEqual([...decoders.keys()], [...WebhookEvent.EventType.literals])
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
