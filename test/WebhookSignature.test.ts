import { assert, describe, it } from "@effect/vitest"
import { Duration, Either, Schema } from "effect"
import { createHmac } from "node:crypto"
import {
  foldedLayouts,
  katMac,
  katMacUnpadded,
  revealing,
  verifications
} from "../packages/engine/test/tables/signatures.js"
import { kat, rust, sdk, vectors } from "./fixtures/vectors.js"
import { assertShowsNone, assertVerdict } from "./support/tables.js"
import { WebhookError, WebhookSignature } from "../src/index.js"

const keyOf = (secret: string): WebhookSignature.Key => Either.getOrThrow(WebhookSignature.key(secret))

const secretFromBytes = (bytes: ReadonlyArray<number>): string => `whsec_${Buffer.from(bytes).toString("base64")}`

type Result = Either.Either<WebhookSignature.Delivery, WebhookError.SignatureError>

type Outcome = WebhookError.SignatureError["reason"] | "Verified"

const outcome = (result: Result): Outcome =>
  Either.match(result, { onLeft: (error) => error.reason, onRight: () => "Verified" as const })

/** The kat vector's delivery, to be verified with its secret at its own timestamp. */
const katDelivery: WebhookSignature.VerifyOptions = {
  keys: [keyOf(kat.secret)],
  id: kat.id,
  timestamp: kat.timestamp,
  signature: kat.signature,
  payload: kat.body,
  now: Number(kat.timestamp)
}

/** Verifies the kat vector's delivery with `changes`. */
const verifyKat = (changes: Partial<WebhookSignature.VerifyOptions> = {}): Result =>
  WebhookSignature.verify({ ...katDelivery, ...changes })

const Byte = Schema.Int.pipe(Schema.between(0, 255))
const Bytes = (min: number, max: number) => Schema.Array(Byte).pipe(Schema.minItems(min), Schema.maxItems(max))
const SecretBytes = Bytes(16, 64)
const Timestamp = Schema.Int.pipe(Schema.between(300, 9_999_999_999))
const Delta = (min: number, max: number) => Schema.Int.pipe(Schema.between(min, max))
/** A `webhook-id`: not blank (Standard Webhooks treats an empty header as a missing one). */
const Id = Schema.NonEmptyString.pipe(Schema.filter((id) => /[^ \t\r\n]/.test(id)))

describe("WebhookSignature", () => {
  describe("known-answer vectors", () => {
    for (const v of vectors.valid) {
      it(`sign reproduces the ${v.name} signature exactly`, () => {
        const signature = WebhookSignature.sign(keyOf(v.secret), { id: v.id, timestamp: v.timestamp, payload: v.body })
        assert.strictEqual(signature, v.signature)
      })

      it(`sign accepts the ${v.name} timestamp as a number`, () => {
        const timestamp = Number(v.timestamp)
        assert.strictEqual(
          WebhookSignature.sign(keyOf(v.secret), { id: v.id, timestamp, payload: v.body }),
          v.signature
        )
      })
    }
  })

  // The engine's rows, through this module: the same verdict, reason, header and message.
  describe("the engine's verification table", () => {
    for (const row of verifications) {
      const verb = row.expected.ok ? "verifies" : `rejects (${row.expected.reason})`
      it(`${verb} ${row.name}, from the body as text and as bytes`, () => {
        for (const payload of [row.body, new TextEncoder().encode(row.body)]) {
          const result = WebhookSignature.verify({
            keys: row.secrets.map(keyOf),
            id: row.id,
            timestamp: row.timestamp,
            signature: row.signature,
            payload,
            now: row.now,
            ...(row.tolerance === undefined ? {} : { tolerance: Duration.seconds(row.tolerance) })
          })
          assertVerdict(result, row.expected, WebhookError.SignatureError)
          // The error never shows a configured secret, the expected MAC or the signature received.
          const received = row.signature === undefined ? [] : [row.signature]
          if (Either.isLeft(result)) assertShowsNone(result.left, [...[kat, sdk, rust].flatMap(revealing), ...received])
        }
      })
    }

    for (const row of verifications.filter((row) => row.tolerance !== undefined)) {
      it(`${row.expected.ok ? "verifies" : "rejects"} ${row.name}, given the deprecated tolerance in seconds`, () => {
        const result = WebhookSignature.verify({
          keys: row.secrets.map(keyOf),
          id: row.id,
          timestamp: row.timestamp,
          signature: row.signature,
          payload: row.body,
          now: row.now,
          tolerance: row.tolerance
        })
        assertVerdict(result, row.expected, WebhookError.SignatureError)
      })
    }
  })

  describe("folded and re-joined webhook-signature headers", () => {
    it("verifies each layout that openai@6.49.0 verifies, over the same bytes at the same time", async () => {
      const { default: OpenAI } = await import("openai")
      const client = new OpenAI({ apiKey: "sk-test-not-used", webhookSecret: kat.secret })
      const now = Math.floor(Date.now() / 1000)
      const mac = WebhookSignature.sign(keyOf(kat.secret), { id: kat.id, timestamp: now, payload: kat.body }).slice(3)
      // A header value cannot hold a line break (fetch Headers refuses one): those layouts are ours alone.
      for (const [name, layout] of foldedLayouts.filter(([, layout]) => !/[\r\n]/.test(layout))) {
        const signature = layout.replaceAll(katMac, mac).replaceAll(katMacUnpadded, mac.replace(/=+$/, ""))
        const headers = { "webhook-id": kat.id, "webhook-timestamp": String(now), "webhook-signature": signature }
        await client.webhooks.verifySignature(kat.body, headers)
        const ours = verifyKat({ timestamp: String(now), now, signature })
        assert.strictEqual(outcome(ours), "Verified", name)
      }
    })
  })

  describe("tolerance", () => {
    const ts = Number(kat.timestamp)

    it("is 5 minutes by default", () => {
      assert.isTrue(Duration.equals(WebhookSignature.defaultTolerance, Duration.minutes(5)))
      assert.strictEqual(outcome(verifyKat({ now: ts + 300 })), "Verified")
      assert.strictEqual(outcome(verifyKat({ now: ts + 301 })), "TimestampTooOld")
    })

    it("keeps the deprecated DEFAULT_TOLERANCE_SECONDS, in seconds", () => {
      assert.strictEqual(WebhookSignature.DEFAULT_TOLERANCE_SECONDS, 300)
      const seconds = Duration.toSeconds(WebhookSignature.defaultTolerance)
      assert.strictEqual(WebhookSignature.DEFAULT_TOLERANCE_SECONDS, seconds)
    })

    const durations: ReadonlyArray<readonly [string, Exclude<Duration.DurationInput, number>]> = [
      ["\"10 seconds\"", "10 seconds"],
      ["\"10000 millis\"", "10000 millis"],
      ["Duration.seconds(10)", Duration.seconds(10)],
      ["[10, 0] (seconds and nanoseconds)", [10, 0]],
      ["10_000_000_000n (nanoseconds)", BigInt(10_000_000_000)]
    ]
    for (const [label, tolerance] of durations) {
      it(`takes a Duration: ${label}`, () => {
        assert.strictEqual(outcome(verifyKat({ now: ts + 10, tolerance })), "Verified")
        assert.strictEqual(outcome(verifyKat({ now: ts + 11, tolerance })), "TimestampTooOld")
        assert.strictEqual(outcome(verifyKat({ now: ts - 10, tolerance })), "Verified")
        assert.strictEqual(outcome(verifyKat({ now: ts - 11, tolerance })), "TimestampTooNew")
      })
    }

    it("drops the fraction of a second of a Duration, as Webhooks.Options does", () => {
      assert.strictEqual(outcome(verifyKat({ now: ts + 1, tolerance: "1999 millis" })), "Verified")
      assert.strictEqual(outcome(verifyKat({ now: ts + 2, tolerance: "1999 millis" })), "TimestampTooOld")
    })

    it("still reads a bare number as seconds, as before 0.3.0 (deprecated), never as milliseconds", () => {
      const seconds = (now: number, tolerance: number) => WebhookSignature.verify({ ...katDelivery, now, tolerance })
      assert.strictEqual(outcome(seconds(ts + 10, 10)), "Verified")
      assert.strictEqual(outcome(seconds(ts + 11, 10)), "TimestampTooOld")
      // 5000 read as milliseconds would be 5 s.
      assert.strictEqual(outcome(seconds(ts + 4000, 5000)), "Verified")
      const error = Either.flip(seconds(ts + 5001, 5000)).pipe(Either.getOrThrow)
      assert.include(error.message, "more than the 5000 s tolerance")
    })

    it("refuses, at type level, a value typed DurationInput, which may be a bare number of either unit", () => {
      const input = ((): Duration.DurationInput => "10 seconds")()
      const options = { ...katDelivery, now: ts + 10 }
      // @ts-expect-error: a DurationInput may be a number, which this option reads as seconds and Webhooks as millis
      assert.strictEqual(outcome(WebhookSignature.verify({ ...options, tolerance: input })), "Verified")
      const decoded = Duration.decode(input)
      assert.strictEqual(outcome(WebhookSignature.verify({ ...options, tolerance: decoded })), "Verified")
    })
  })

  describe("constants", () => {
    it("checks at most maxSignatures v1 entries of a header, a small number", () => {
      assert.isAtLeast(WebhookSignature.maxSignatures, 2)
      assert.isAtMost(WebhookSignature.maxSignatures, 100)
    })

    it("keeps the deprecated MAX_SIGNATURES, the same number", () => {
      assert.strictEqual(WebhookSignature.MAX_SIGNATURES, WebhookSignature.maxSignatures)
    })
  })

  describe("keys", () => {
    it("reports a bad secret as a SecretError", () => {
      const result = WebhookSignature.key("whsec_ab!d")
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.instanceOf(result.left, WebhookError.SecretError)
        assert.strictEqual(result.left.reason, "InvalidBase64")
      }
    })
  })

  describe("laws", () => {
    it.prop(
      "verifies what it signed, for any body, id, secret and timestamp",
      { body: Schema.String, id: Id, secret: SecretBytes, timestamp: Timestamp },
      ({ body, id, secret, timestamp }) => {
        const key = keyOf(secretFromBytes(secret))
        const signature = WebhookSignature.sign(key, { id, timestamp, payload: body })
        const verify = (payload: string | Uint8Array) =>
          WebhookSignature.verify({ keys: [key], id, timestamp: String(timestamp), signature, payload, now: timestamp })
        assert.deepStrictEqual(verify(body), Either.right({ id, timestamp }))
        assert.deepStrictEqual(verify(new TextEncoder().encode(body)), Either.right({ id, timestamp }))
      }
    )

    it.prop(
      "signs as HMAC-SHA256 over id.timestamp.body keyed by the decoded secret",
      { body: Schema.String, id: Schema.NonEmptyString, secret: SecretBytes, timestamp: Timestamp },
      ({ body, id, secret, timestamp }) => {
        const expected = createHmac("sha256", Buffer.from(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")
        assert.strictEqual(
          WebhookSignature.sign(keyOf(secretFromBytes(secret)), { id, timestamp, payload: body }),
          `v1,${expected}`
        )
      }
    )

    it.prop(
      "rejects a body with any single byte changed",
      { body: Bytes(1, 256), index: Schema.NonNegativeInt, delta: Delta(1, 255), secret: SecretBytes },
      ({ body, delta, index, secret }) => {
        const key = keyOf(secretFromBytes(secret))
        const payload = Uint8Array.from(body)
        const signature = WebhookSignature.sign(key, { id: "msg_1", timestamp: 1_700_000_000, payload })
        const changed = Uint8Array.from(payload)
        const at = index % changed.length
        changed[at] = (changed[at]! + delta) % 256
        const result = WebhookSignature.verify({
          keys: [key],
          id: "msg_1",
          timestamp: "1700000000",
          signature,
          payload: changed,
          now: 1_700_000_000
        })
        assert.strictEqual(outcome(result), "NoMatchingSignature")
      }
    )

    it.prop(
      "rejects an id with any single character changed",
      { id: Schema.NonEmptyString, index: Schema.NonNegativeInt, body: Schema.String, secret: SecretBytes },
      ({ body, id, index, secret }) => {
        const key = keyOf(secretFromBytes(secret))
        const signature = WebhookSignature.sign(key, { id, timestamp: 1_700_000_000, payload: body })
        const at = index % id.length
        const changed = id.slice(0, at) + (id[at] === "a" ? "b" : "a") + id.slice(at + 1)
        const result = WebhookSignature.verify({
          keys: [key],
          id: changed,
          timestamp: "1700000000",
          signature,
          payload: body,
          now: 1_700_000_000
        })
        assert.strictEqual(outcome(result), "NoMatchingSignature")
      }
    )

    it.prop(
      "rejects a changed timestamp, even one within the tolerance",
      { timestamp: Timestamp, delta: Delta(-300, 300), body: Schema.String, secret: SecretBytes },
      ({ body, delta, secret, timestamp }) => {
        const key = keyOf(secretFromBytes(secret))
        const signature = WebhookSignature.sign(key, { id: "msg_1", timestamp, payload: body })
        const sent = timestamp + (delta === 0 ? 1 : delta)
        const result = WebhookSignature.verify({
          keys: [key],
          id: "msg_1",
          timestamp: String(sent),
          signature,
          payload: body,
          now: sent
        })
        assert.strictEqual(outcome(result), "NoMatchingSignature")
      }
    )
  })
})
