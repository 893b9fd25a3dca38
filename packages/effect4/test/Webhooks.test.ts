import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Result } from "effect"
import { TestClock } from "effect/testing"
import { Headers } from "effect/http"
import { shapes } from "../../engine/test/tables/headers.js"
import { revealing, type Verification, verifications } from "../../engine/test/tables/signatures.js"
import { kat, rust, sdk, type Vector, vectors } from "../../engine/test/tables/vectors.js"
import { WebhookError, Webhooks, WebhookSecret, WebhookTesting } from "effect4-openai-webhooks"
import { assertShowsNone, assertVerdict } from "./support/tables.js"

const ts = Number(kat.timestamp)

const withKat = Effect.provide(WebhookSecret.layer(kat.secret))

/** Sets the TestClock to a Unix time in seconds. */
const at = (seconds: number) => TestClock.setTime(seconds * 1000)

const headersOf = (v: Vector, signature: string = v.signature): Record<string, string> => ({
  "webhook-id": v.id,
  "webhook-timestamp": v.timestamp,
  "webhook-signature": signature
})

/** A row's headers as a plain record, an absent header left out. */
const headersOfRow = (row: Verification): Record<string, string> => {
  const headers: Record<string, string> = {}
  if (row.id !== undefined) headers["webhook-id"] = row.id
  if (row.timestamp !== undefined) headers["webhook-timestamp"] = row.timestamp
  if (row.signature !== undefined) headers["webhook-signature"] = row.signature
  return headers
}

describe("Webhooks.verify", () => {
  // The engine's rows, through Webhooks.verify with the TestClock at the row's time and the rows' secrets as the
  // WebhookSecret: the same verdict, reason, header and message, and nothing secret in the error.
  describe("the engine's verification table", () => {
    for (const row of verifications) {
      const verb = row.expected.ok ? "verifies" : `rejects (${row.expected.reason})`
      it.effect(`${verb} ${row.name}, from the body as text and as bytes`, () =>
        Effect.gen(function*() {
          yield* at(row.now)
          const options = row.tolerance === undefined ? undefined : { tolerance: Duration.seconds(row.tolerance) }
          for (const body of [row.body, new TextEncoder().encode(row.body)]) {
            const result = yield* Effect.result(Webhooks.verify(body, headersOfRow(row), options))
            assertVerdict(result, row.expected, WebhookError.SignatureError)
            const received = row.signature === undefined ? [] : [row.signature]
            if (Result.isFailure(result)) {
              assertShowsNone(result.failure, [...[kat, sdk, rust].flatMap(revealing), ...received])
            }
          }
        }).pipe(Effect.provide(WebhookSecret.layer(row.secrets))))
    }
  })

  describe("the engine's header shapes, each carrying the kat delivery", () => {
    for (const shape of shapes) {
      it.effect(`verifies through ${shape.name} as the engine's table says`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const result = yield* Effect.result(Webhooks.verify(kat.body, shape.input()))
          assertVerdict(result, shape.expected, WebhookError.SignatureError)
        }).pipe(withKat))
    }

    it.effect("reads effect/http Headers", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const headers = Headers.fromInput({
          "Webhook-Id": kat.id,
          "Webhook-Timestamp": kat.timestamp,
          "Webhook-Signature": kat.signature
        })
        const delivery = yield* Webhooks.verify(kat.body, headers)
        assert.deepStrictEqual(delivery, { id: kat.id, timestamp: ts })
      }).pipe(withKat))
  })

  describe("the published vectors", () => {
    for (const v of vectors.valid) {
      it.effect(`verifies ${v.name} at its own timestamp`, () =>
        Effect.gen(function*() {
          yield* at(Number(v.timestamp))
          const delivery = yield* Webhooks.verify(v.body, headersOf(v))
          assert.deepStrictEqual(delivery, { id: v.id, timestamp: Number(v.timestamp) })
        }).pipe(Effect.provide(WebhookSecret.layer(v.secret))))
    }
  })

  describe("tolerance", () => {
    const verifyAt = (now: number, options?: Webhooks.Options) =>
      Effect.andThen(at(now), Webhooks.verify(kat.body, headersOf(kat), options))

    it.effect("ignores the milliseconds of the clock", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime((ts + 300) * 1000 + 999)
        const delivery = yield* Webhooks.verify(kat.body, headersOf(kat))
        assert.strictEqual(delivery.id, kat.id)
      }).pipe(withKat))

    for (const tolerance of ["10 seconds", Duration.seconds(10)] as const) {
      const label = typeof tolerance === "string" ? `"${tolerance}"` : "Duration.seconds(10)"

      it.effect(`honours a tolerance of ${label} both ways, edges included`, () =>
        Effect.gen(function*() {
          assert.strictEqual((yield* verifyAt(ts + 10, { tolerance })).id, kat.id)
          assert.strictEqual((yield* verifyAt(ts - 10, { tolerance })).id, kat.id)
          assert.strictEqual((yield* Effect.flip(verifyAt(ts + 11, { tolerance }))).reason, "TimestampTooOld")
          assert.strictEqual((yield* Effect.flip(verifyAt(ts - 11, { tolerance }))).reason, "TimestampTooNew")
        }).pipe(withKat))
    }

    it.effect("honours a tolerance wider than the default", () =>
      Effect.map(verifyAt(ts + 3600, { tolerance: "1 hour" }), (delivery) => assert.strictEqual(delivery.id, kat.id))
        .pipe(withKat))
  })

  describe("rotation", () => {
    const signedWithBoth = Effect.andThen(
      at(ts),
      WebhookTesting.sign({ payload: "{}", secret: [sdk.secret, kat.secret], id: "msg_rotating" })
    )

    for (const v of [sdk, kat]) {
      it.effect(`accepts a header signed with two secrets when only one is configured (${v.name})`, () =>
        Effect.gen(function*() {
          const signed = yield* signedWithBoth
          assert.strictEqual(signed.headers["webhook-signature"].split(" ").length, 2)
          const delivery = yield* Webhooks.verify(signed.body, signed.headers)
          assert.strictEqual(delivery.id, "msg_rotating")
        }).pipe(Effect.provide(WebhookSecret.layer(v.secret))))
    }

    it.effect("rejects a header signed with two secrets when neither is configured", () =>
      Effect.gen(function*() {
        const signed = yield* signedWithBoth
        const error = yield* Effect.flip(Webhooks.verify(signed.body, signed.headers))
        assert.strictEqual(error.reason, "NoMatchingSignature")
      }).pipe(Effect.provide(WebhookSecret.layer(rust.secret))))
  })
})

describe("Webhooks.unwrap", () => {
  it.effect("rejects invalid JSON with a bad signature as a SignatureError, not a DecodeError", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const signed = yield* WebhookTesting.sign({ payload: "{not json", secret: rust.secret })
      const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
      assert.strictEqual(error._tag, "SignatureError")
      assert.strictEqual(error.reason, "NoMatchingSignature")
    }).pipe(withKat))

  it.effect("rejects invalid JSON without headers as a SignatureError", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const error = yield* Effect.flip(Webhooks.unwrap("{not json", {}))
      assert.strictEqual(error._tag, "SignatureError")
      assert.strictEqual(error.reason, "MissingHeader")
    }).pipe(withKat))

  it.effect("rejects invalid JSON with a good signature as a DecodeError (InvalidJson)", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const signed = yield* WebhookTesting.sign({ payload: "{not json", secret: kat.secret })
      const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
      assert.instanceOf(error, WebhookError.DecodeError)
      assert.strictEqual(error.reason, "InvalidJson")
    }).pipe(withKat))

  it.effect("rejects an expired delivery of a valid event as a SignatureError", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const event = WebhookTesting.sample("response.completed")
      const signed = yield* WebhookTesting.sign({ event, secret: kat.secret })
      yield* at(ts + 301)
      const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
      assert.strictEqual(error._tag, "SignatureError")
      assert.strictEqual(error.reason, "TimestampTooOld")
    }).pipe(withKat))

  // Every known type: the reference sample signed as OpenAI would, unwrapped into its class.
  for (const event of WebhookTesting.samples()) {
    it.effect(`unwraps a signed ${event._tag} into its class`, () =>
      Effect.gen(function*() {
        yield* at(ts)
        const signed = yield* WebhookTesting.sign({ event, secret: kat.secret })
        const unwrapped = yield* Webhooks.unwrap(signed.body, signed.headers)
        assert.strictEqual(unwrapped.constructor, event.constructor)
        assert.deepStrictEqual(unwrapped, event)
      }).pipe(withKat))
  }

  it.effect("decodes the openai-sdk-kat vector once verified", () =>
    Effect.gen(function*() {
      yield* at(Number(sdk.timestamp))
      const event = yield* Webhooks.unwrap(new TextEncoder().encode(sdk.body), headersOf(sdk))
      assert.strictEqual(event._tag, "response.completed")
      assert.strictEqual(event.id, "evt_685c059ae3a481909bdc86819b066fb6")
    }).pipe(Effect.provide(WebhookSecret.layer(sdk.secret))))
})
