/**
 * Issue 12, point 2: JSON nested thousands of levels deep (3,000, 100,000) in an authentic delivery must give a
 * typed result at every decoding entry point, never a defect (`RangeError: Maximum call stack size exceeded`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, FastCheck, ParseResult, Schema } from "effect"
import events from "../packages/engine/test/fixtures/events.json" with { type: "json" }
import { WebhookError, WebhookEvent, Webhooks, WebhookSecret, WebhookTesting } from "../src/index.js"
import { decode, decodeJson } from "../src/internal/decode.js"
import { Json as nesting } from "openai-webhooks-engine"
import { nested } from "../packages/engine/test/tables/json.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const secretLayer = WebhookSecret.layer(secret)

/** The longest message a DecodeError may carry: a path, a type and a shortened explanation. */
const MAX_MESSAGE = 400

// --- JSON text of adversarial values, built as text so that the test itself never recurses over them

type Shape = "array" | "object" | "mixed"

interface Value {
  /** JSON text. */
  readonly text: string
  /** How many levels of arrays and objects it nests. */
  readonly depth: number
}

/** Around the bound mostly; the depths of issue 12 and any up to 100,000 less often (they cost a parse each). */
const depths: FastCheck.Arbitrary<number> = FastCheck.oneof(
  { weight: 4, arbitrary: FastCheck.integer({ min: 0, max: 2 * nesting.maxDepth }) },
  { weight: 2, arbitrary: FastCheck.constantFrom(1, nesting.maxDepth, nesting.maxDepth + 1, 3_000, 100_000) },
  { weight: 1, arbitrary: FastCheck.integer({ min: 0, max: 100_000 }) }
)

const shapes = FastCheck.constantFrom<Shape>("array", "object", "mixed")

/** Deep, wide (thousands of deep items side by side) or long (a string of up to 200,000 characters). */
const values: FastCheck.Arbitrary<Value> = FastCheck.oneof(
  {
    weight: 3,
    arbitrary: FastCheck.tuple(shapes, depths).map(([shape, depth]) => ({ text: nested(shape, depth), depth }))
  },
  {
    weight: 1,
    arbitrary: FastCheck.tuple(shapes, FastCheck.nat(200), FastCheck.integer({ min: 1, max: 2000 })).map(
      ([shape, depth, width]) => ({
        text: `[${Array.from({ length: width }, () => nested(shape, depth)).join(",")}]`,
        depth: depth + 1
      })
    )
  },
  {
    weight: 1,
    arbitrary: FastCheck.integer({ min: 0, max: 200_000 }).map((length) => ({
      text: JSON.stringify("x".repeat(length)),
      depth: 0
    }))
  }
)

// --- where a value goes: every wire field of every event, extra keys, and the data of an unknown type

type Segment = string | number

/** Every path to a value in a JSON value, shallow first: `id`, `data`, `data.sip_headers`, `data.sip_headers[0]`... */
const pathsOf = (value: unknown, prefix: ReadonlyArray<Segment> = []): Array<ReadonlyArray<Segment>> => {
  if (typeof value !== "object" || value === null) return []
  const entries: Array<[Segment, unknown]> = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value)
  return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])])
}

/** As `DecodeError.path` writes it: `data.sip_headers[1].value`. */
const wirePath = (path: ReadonlyArray<Segment>): string =>
  path.reduce<string>((out, key) => typeof key === "number" ? `${out}[${key}]` : out === "" ? key : `${out}.${key}`, "")

const MARK = "\u0000deep\u0000"

/** The JSON text of `example` with the value at `path` replaced by `text`. */
const place = (example: unknown, path: ReadonlyArray<Segment>, text: string): string => {
  const copy = structuredClone(example) as Record<Segment, any>
  let target = copy
  for (const key of path.slice(0, -1)) target = target[key]
  target[path[path.length - 1]!] = MARK
  return JSON.stringify(copy).replace(JSON.stringify(MARK), text)
}

interface Case {
  readonly type: string
  readonly path: string
  /** Where the value sits: a field the event's schema types, an extra key it ignores, or data kept as it came. */
  readonly kind: "typed" | "ignored" | "raw"
  readonly value: Value
  readonly body: string
}

const unknownExample = { id: "evt_new", object: "event", created_at: 1719168000, type: "brand.new.event", data: {} }

const unknownPaths = FastCheck.constantFrom<ReadonlyArray<Segment>>(["id"], ["created_at"], ["data"], ["data", "x"])

const cases: FastCheck.Arbitrary<Case> = FastCheck.oneof(
  // Every wire field of every known type, and an extra key at the top and in data.
  FastCheck.tuple(FastCheck.constantFrom(...events.events), values).chain(([{ example, type }, value]) =>
    FastCheck.constantFrom(...pathsOf(example), ["extra"], ["data", "extra"]).map((path): Case => ({
      type,
      path: wirePath(path),
      kind: path.at(-1) === "extra" ? "ignored" : "typed",
      value,
      body: place(example, path, value.text)
    }))
  ),
  // The envelope of an unknown type, its data, and a key in its data.
  FastCheck.tuple(unknownPaths, values).map(([path, value]): Case => ({
    type: unknownExample.type,
    path: wirePath(path),
    kind: path[0] === "data" ? "raw" : "typed",
    value,
    body: place(unknownExample, path, value.text)
  }))
)

// --- the entry points, each asked for its outcome: a value, a typed failure, or (the bug) a defect

type Outcome<E> =
  | { readonly _tag: "Success"; readonly event: unknown }
  | { readonly _tag: "Failure"; readonly error: E }

const fromExit = <A, E>(exit: Exit.Exit<A, E>, entry: string): Outcome<E> => {
  if (Exit.isSuccess(exit)) return { _tag: "Success", event: exit.value }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") return assert.fail(`${entry} died: ${String(Cause.squash(exit.cause)).slice(0, 200)}`)
  return { _tag: "Failure", error: failure.value }
}

const fromEither = <A, E>(thunk: () => Either.Either<A, E>, entry: string): Outcome<E> => {
  let result: Either.Either<A, E>
  try {
    result = thunk()
  } catch (defect) {
    return assert.fail(`${entry} threw: ${String(defect).slice(0, 200)}`)
  }
  return Either.isRight(result) ? { _tag: "Success", event: result.right } : { _tag: "Failure", error: result.left }
}

const bytes = (text: string) => new TextEncoder().encode(text)

/**
 * Every way a user or our own code decodes a body, on one body. Decoding with the Schema itself is left out when
 * `type` is not a string: Effect's Union parser turns the discriminator into a property key with `String(value)`
 * (ParseResult.ts), and `String` of an array nested past about 3,000 levels overflows inside `Array.prototype.join`
 * (effect 3.22.4). Our entry points check that `type` is a string first.
 */
const outcomes = (body: string) => {
  const signed = WebhookTesting.unsafeSign({ payload: body, secret })
  const parsed: unknown = JSON.parse(body)
  const withSchema = typeof (parsed as { readonly type?: unknown }).type === "string"
  return {
    "Webhooks.decode": fromExit(Effect.runSyncExit(Webhooks.decode(body)), "Webhooks.decode"),
    "Webhooks.decode (bytes)": fromExit(Effect.runSyncExit(Webhooks.decode(bytes(body))), "Webhooks.decode"),
    "Webhooks.unwrap": fromExit(
      Effect.runSyncExit(Webhooks.unwrap(signed.body, signed.headers).pipe(Effect.provide(secretLayer))),
      "Webhooks.unwrap"
    ),
    "decode": fromEither(() => decode(body), "decode"),
    "decodeJson": fromEither(() => decodeJson(parsed), "decodeJson"),
    ...(withSchema
      ? {
        "Schema.decodeUnknown(UnwrapWebhookEvent)": fromExit(
          Effect.runSyncExit(Schema.decodeUnknown(WebhookEvent.UnwrapWebhookEvent)(parsed)),
          "Schema.decodeUnknown"
        )
      }
      : {})
  }
}

/** Asserts what an event that decoded can be used for: encoded back to its JSON, printed. */
const usable = (event: WebhookEvent.UnwrapWebhookEvent) => {
  const json = WebhookTesting.encode(event)
  assert.deepStrictEqual(Effect.runSync(Webhooks.decode(json)), event)
  assert.isString(String(event))
}

describe("deeply nested JSON in an authentic delivery", () => {
  describe("the inputs of issue 12", () => {
    for (const depth of [3_000, 100_000]) {
      for (const shape of ["array", "object"] as const) {
        it.effect(`answers InvalidEvent at data.id for ${depth} levels of ${shape}s there, through unwrap`, () =>
          Effect.gen(function*() {
            const example = events.events.find((event) => event.type === "response.completed")!.example
            const payload = place(example, ["data", "id"], nested(shape, depth))
            const signed = yield* WebhookTesting.sign({ payload, secret })
            const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
            assert.instanceOf(error, WebhookError.DecodeError)
            assert.strictEqual(error.reason, "InvalidEvent")
            assert.strictEqual(error.path, "data.id")
            assert.strictEqual(error.eventType, "response.completed")
            assert.match(error.message, /^Invalid "response\.completed" event at data\.id: Expected string, actual /)
            assert.isAtMost(error.message.length, MAX_MESSAGE)
          }).pipe(Effect.provide(secretLayer)))
      }

      it.effect(`answers InvalidEvent at data for an unknown type whose data nests ${depth} levels`, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(Webhooks.decode(place(unknownExample, ["data"], nested("mixed", depth))))
          assert.strictEqual(error.reason, "InvalidEvent")
          assert.strictEqual(error.path, "data")
          assert.strictEqual(error.eventType, "brand.new.event")
          assert.strictEqual(
            error.message,
            `Invalid "brand.new.event" event at data: nests more than ${nesting.maxDepth} levels of arrays and objects`
          )
        }))
    }

    it.effect(`keeps the data of an unknown type that nests ${nesting.maxDepth} levels, and gives it back`, () =>
      Effect.gen(function*() {
        const body = place(unknownExample, ["data"], nested("mixed", nesting.maxDepth))
        const event = yield* Webhooks.decode(body)
        assert.instanceOf(event, WebhookEvent.UnknownWebhookEvent)
        assert.strictEqual(WebhookTesting.encode(event), body)
        assert.isString(String(event))
      }))

    it("refuses to construct an unknown event whose data nests too deep, or is cyclic", () => {
      const cyclic: Array<unknown> = []
      cyclic.push(cyclic)
      for (const data of [JSON.parse(nested("array", nesting.maxDepth + 1)), cyclic]) {
        assert.throws(
          () => new WebhookEvent.UnknownWebhookEvent({ id: "evt_1", createdAt: 1, type: "brand.new", data }),
          /nests more than 128 levels/
        )
      }
    })

    it("shortens the message when the rejected value is long, and a long unknown type in it", () => {
      const example = events.events.find((event) => event.type === "batch.failed")!.example
      const body = place(example, ["data", "id"], `[${"1,".repeat(100_000)}1]`)
      const wide = Effect.runSync(Effect.flip(Webhooks.decode(body)))
      assert.strictEqual(wide.path, "data.id")
      assert.isAtMost(wide.message.length, MAX_MESSAGE)
      assert.match(wide.message, /…$/)
      const type = "x".repeat(100_000)
      const long = Effect.runSync(Effect.flip(Webhooks.decode(JSON.stringify({ ...unknownExample, type, id: 1 }))))
      assert.strictEqual(long.path, "id")
      assert.strictEqual(long.eventType, type)
      assert.isAtMost(long.message.length, MAX_MESSAGE)
    })
  })

  it.prop(
    "every entry point gives a typed result for deep, wide and long values anywhere in an event, and they agree",
    [cases],
    ([c]) => {
      const results = outcomes(c.body)
      // Extra keys are ignored; data kept as it came fits in maxDepth levels or is refused; a typed field holding an
      // array or object is refused (a scalar there may fit: the number 0 in created_at, a long string in id).
      const dataDepth = c.path === "data.x" ? c.value.depth + 1 : c.value.depth
      const expected = c.kind === "ignored"
        ? "Success"
        : c.kind === "raw"
        ? dataDepth <= nesting.maxDepth ? "Success" : "Failure"
        : c.value.depth > 0
        ? "Failure"
        : undefined
      for (const [entry, outcome] of Object.entries(results)) {
        const where = `${entry}: ${c.type} ${c.path}, ${c.value.depth} levels, ${c.value.text.length} characters`
        if (expected !== undefined) assert.strictEqual(outcome._tag, expected, where)
        if (outcome._tag === "Success") continue
        if (entry.startsWith("Schema.")) {
          assert.strictEqual((outcome.error as { readonly _tag?: unknown })._tag, "ParseError", where)
          continue
        }
        const error = outcome.error
        assert.instanceOf(error, WebhookError.DecodeError, where)
        assert.strictEqual(error.reason, "InvalidEvent", where)
        assert.isAtMost(error.message.length, MAX_MESSAGE, where)
        if (c.kind === "raw") assert.strictEqual(error.path, "data", where)
        else if (c.value.depth > 0) assert.isTrue(error.path?.startsWith(c.path), `${where}: at ${error.path}`)
      }
      const decoded = results["Webhooks.decode"]
      if (decoded._tag === "Success") usable(decoded.event as WebhookEvent.UnwrapWebhookEvent)
      // The same verdict from every entry point.
      const verdicts = new Set(Object.values(results).map((outcome) => outcome._tag))
      assert.strictEqual(verdicts.size, 1, JSON.stringify(Object.entries(results).map(([k, v]) => [k, v._tag])))
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("generates every kind of place, deep values past the bound and past 3,000 levels, wide and long values", () => {
    const sample = FastCheck.sample(cases, { numRuns: 300, seed: 12 })
    const count = (predicate: (c: Case) => boolean) => sample.filter(predicate).length
    assert.isAbove(count((c) => c.kind === "typed" && c.value.depth > 0), 30)
    assert.isAbove(count((c) => c.kind === "typed" && c.path.startsWith("data.")), 30)
    assert.isAbove(count((c) => c.kind === "ignored"), 10)
    assert.isAbove(count((c) => c.kind === "raw" && c.value.depth <= nesting.maxDepth - 1), 5)
    assert.isAbove(count((c) => c.kind === "raw" && c.value.depth > nesting.maxDepth), 5)
    assert.isAbove(count((c) => c.value.depth >= 3000), 20)
    assert.isAbove(count((c) => c.value.text.startsWith("[") && c.value.text.length > 10_000 && c.value.depth < 300), 5)
    assert.isAbove(count((c) => c.value.text.startsWith("\"") && c.value.text.length > 10_000), 5)
  })

  describe("the bounded walks, against Effect's own", () => {
    /** Levels of arrays and objects in a JSON value, counted without recursion. */
    const depthOf = (value: unknown): number => {
      let deepest = 0
      const stack: Array<[unknown, number]> = [[value, 0]]
      while (stack.length > 0) {
        const [item, level] = stack.pop()!
        if (typeof item !== "object" || item === null) continue
        deepest = Math.max(deepest, level + 1)
        for (const child of Object.values(item)) stack.push([child, level + 1])
      }
      return deepest
    }

    const json = FastCheck.jsonValue({ depthSize: "medium" })

    /** How ParseResult writes a rejected value into its message: `Expected never, actual <value>`. */
    const formatted = (value: unknown): string => {
      const result = Schema.decodeUnknownEither(Schema.Never)(value)
      if (Either.isRight(result)) return assert.fail("Schema.Never accepted a value")
      return ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]!.message.replace(/^Expected never, actual /, "")
    }

    it.prop(
      "deeperThan(value, levels) holds exactly when the value nests more than levels",
      [json, FastCheck.nat(12)],
      ([value, levels]) => {
        assert.strictEqual(nesting.deeperThan(value, levels), depthOf(value) > levels)
      }
    )

    it.prop(
      "preview writes a JSON value as ParseResult's messages do, cut to its length",
      [json, FastCheck.nat(60)],
      ([value, extra]) => {
        const full = formatted(value)
        assert.strictEqual(nesting.preview(value, full.length + extra), full)
        const max = Math.max(2, full.length - extra)
        const short = nesting.preview(value, max)
        assert.isAtMost(short.length, max)
        if (full.length > max) assert.isTrue(full.startsWith(short.slice(0, -1)) && short.endsWith("…"), short)
      }
    )

    // The walks' own bounds (100,000 levels, a million items, a cycle) are the engine's tests: Json.test.ts.
  })
})
