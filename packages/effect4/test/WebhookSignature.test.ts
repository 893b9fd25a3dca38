import { assert, describe, it } from "@effect/vitest"
import { Duration, Result } from "effect"
import { foldedLayouts, limits, revealing, verifications } from "../../engine/test/tables/signatures.js"
import { kat, rust, sdk, vectors } from "../../engine/test/tables/vectors.js"
import { WebhookError, WebhookSignature } from "effect4-openai-webhooks"
import { assertShowsNone, assertVerdict } from "./support/tables.js"

const keyOf = (secret: string): WebhookSignature.Key => Result.getOrThrow(WebhookSignature.key(secret))

describe("WebhookSignature", () => {
  it("has the engine's limits", () => {
    assert.strictEqual(WebhookSignature.maxSignatures, limits.maxSignatures)
    assert.strictEqual(Duration.toSeconds(WebhookSignature.defaultTolerance), limits.defaultToleranceSeconds)
  })

  describe("known-answer vectors", () => {
    for (const v of vectors.valid) {
      it(`sign reproduces the ${v.name} signature exactly, the timestamp as text or as a number`, () => {
        const key = keyOf(v.secret)
        const asText = WebhookSignature.sign(key, { id: v.id, timestamp: v.timestamp, payload: v.body })
        assert.strictEqual(asText, v.signature)
        const timestamp = Number(v.timestamp)
        assert.strictEqual(WebhookSignature.sign(key, { id: v.id, timestamp, payload: v.body }), v.signature)
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
          if (Result.isFailure(result)) {
            assertShowsNone(result.failure, [...[kat, sdk, rust].flatMap(revealing), ...received])
          }
        }
      })
    }
  })

  describe("the engine's folded webhook-signature layouts", () => {
    const now = Number(kat.timestamp)
    for (const [name, signature] of foldedLayouts) {
      it(`verifies the kat delivery with its signature ${name}`, () => {
        const result = WebhookSignature.verify({
          keys: [keyOf(kat.secret)],
          id: kat.id,
          timestamp: kat.timestamp,
          signature,
          payload: kat.body,
          now
        })
        assert.deepStrictEqual(result, Result.succeed({ id: kat.id, timestamp: now }))
      })
    }
  })

  // The deprecated signature, kept from the Effect 3 edition: a bare number is seconds, as it is there.
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
