/**
 * JSON nested thousands of levels deep in an authentic delivery gives a typed result at every decoding entry point,
 * never a defect (`RangeError: Maximum call stack size exceeded`), and a `DecodeError` of a few hundred characters at
 * most (the Effect 3 edition's test/nesting.test.ts, deterministic here: every wire field of every type).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import { nested } from "../../engine/test/tables/json.js"
import { Events } from "openai-webhooks-engine"
import { WebhookError, WebhookEvent, Webhooks, WebhookSecret, WebhookTesting } from "effect4-openai-webhooks"
import { decodeJson } from "../src/internal/decode.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const MAX_MESSAGE = 400
const MARK = "\"\\u0000deep\\u0000\""

type Segment = string | number

/** Every path to a value in a JSON value, shallow first. */
const pathsOf = (value: unknown, prefix: ReadonlyArray<Segment> = []): Array<ReadonlyArray<Segment>> => {
  if (typeof value !== "object" || value === null) return []
  const entries: Array<[Segment, unknown]> = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value)
  return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])])
}

/** The JSON text of `example` with `deep` (JSON text) at `path`: built as text, so that the test never recurses. */
const withDeep = (example: unknown, path: ReadonlyArray<Segment>, deep: string): string => {
  const copy = structuredClone(example) as Record<Segment, unknown>
  let parent = copy
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<Segment, unknown>
  parent[path[path.length - 1]!] = "\u0000deep\u0000"
  return JSON.stringify(copy).replace(MARK, deep)
}

const decodeSchema = Schema.decodeUnknownExit(WebhookEvent.UnwrapWebhookEvent)

/** Every entry point on `text`: each gives an event or a DecodeError (a short one), never a defect. */
const everyEntryPoint = (text: string) =>
  Effect.gen(function*() {
    const decoded = yield* Effect.exit(Webhooks.decode(text))
    const json = JSON.parse(text) as unknown
    const parsed = decodeJson(json)
    const signed = yield* WebhookTesting.sign({ payload: text, secret })
    const unwrapped = yield* Effect.exit(Webhooks.unwrap(signed.body, signed.headers))
    const bySchema = decodeSchema(json)
    for (const exit of [decoded, unwrapped]) {
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons[0]
        assert.strictEqual(error?._tag, "Fail", "a typed failure, not a defect")
        if (error?._tag === "Fail") {
          assert.instanceOf(error.error, WebhookError.DecodeError)
          assert.isAtMost((error.error as WebhookError.DecodeError).message.length, MAX_MESSAGE)
        }
      }
    }
    if (Result.isFailure(parsed)) assert.isAtMost(parsed.failure.message.length, MAX_MESSAGE)
    assert.strictEqual(Exit.isSuccess(decoded), Result.isSuccess(parsed))
    if (Exit.isFailure(bySchema)) assert.isUndefined(bySchema.cause.reasons.find((r) => r._tag === "Die"))
    return Exit.isSuccess(decoded)
  }).pipe(Effect.provide(WebhookSecret.layer(secret)))

describe("deep JSON at every wire field of every type", () => {
  for (const event of Events.all) {
    it.effect(`${event.type}: 3,000 levels at each field, 100,000 at data`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_000_000)
        for (const path of [...pathsOf(event.sample), ["extra"]]) {
          for (const shape of ["array", "object"] as const) {
            const ok = yield* everyEntryPoint(withDeep(event.sample, path, nested(shape, 3_000)))
            // Only a key the class does not read may hold it (unknown keys are ignored).
            if (ok) assert.deepStrictEqual(path, ["extra"])
          }
        }
        assert.isFalse(yield* everyEntryPoint(withDeep(event.sample, ["data"], nested("mixed", 100_000))))
      }))
  }

  it.effect("an unknown type: data nested past the bound is refused at data, at every entry point", () =>
    Effect.gen(function*() {
      const brandNew = { id: "evt_new", created_at: 1, type: "brand.new.event", data: {} }
      for (const depth of [3_000, 100_000]) {
        assert.isFalse(yield* everyEntryPoint(withDeep(brandNew, ["data"], nested("mixed", depth))))
      }
      assert.isTrue(yield* everyEntryPoint(withDeep(brandNew, ["data"], nested("array", 128))))
    }))
})
