import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { createHmac } from "node:crypto"
import * as util from "node:util"
import { kat, vector, vectors, type Vector } from "./fixtures/vectors.js"
import { WebhookError, WebhookSignature } from "../src/index.js"


const keyOf = (secret: string): WebhookSignature.Key => Either.getOrThrow(WebhookSignature.key(secret))

const secretFromBytes = (bytes: ReadonlyArray<number>): string => `whsec_${Buffer.from(bytes).toString("base64")}`

type Result = Either.Either<WebhookSignature.Delivery, WebhookError.SignatureError>

type Outcome = WebhookError.SignatureError["reason"] | "Verified"

const outcome = (result: Result): Outcome =>
  Either.match(result, { onLeft: (error) => error.reason, onRight: () => "Verified" as const })

type Override = Partial<Parameters<typeof WebhookSignature.verify>[0]>

/** Verifies `v`'s message with `v`'s secret at `v`'s own timestamp, overriding any field. */
const verifyVector = (v: Vector, override: Override = {}): Result =>
  WebhookSignature.verify({
    keys: [keyOf(v.secret)],
    id: v.id,
    timestamp: v.timestamp,
    signature: v.signature,
    payload: v.body,
    now: Number(v.timestamp),
    ...override
  })

/** Everything a failure must never show about `v`'s secret and expected signature. */
const secretsOf = (v: Vector): ReadonlyArray<string> => {
  const body = v.secret.slice("whsec_".length)
  const key = Buffer.from(body, "base64")
  return [v.secret, body, key.toString("base64"), key.toString("hex"), v.signature, v.signature.slice(3)]
}

const renderings = (value: unknown): ReadonlyArray<string> => [
  ...(value instanceof Error ? [value.message] : []),
  String(value),
  JSON.stringify(value),
  util.inspect(value, { depth: 10 })
]

const assertShowsNone = (value: unknown, forbidden: ReadonlyArray<string>) => {
  for (const text of renderings(value)) {
    for (const secret of forbidden) {
      if (secret.length >= 8) assert.notInclude(text, secret)
    }
  }
}

const Byte = Schema.Int.pipe(Schema.between(0, 255))
const Bytes = (min: number, max: number) => Schema.Array(Byte).pipe(Schema.minItems(min), Schema.maxItems(max))
const SecretBytes = Bytes(16, 64)
const Timestamp = Schema.Int.pipe(Schema.between(300, 9_999_999_999))
const Delta = (min: number, max: number) => Schema.Int.pipe(Schema.between(min, max))
/** A `webhook-id`: not blank (Standard Webhooks treats an empty header as a missing one). */
const Id = Schema.NonEmptyString.pipe(Schema.filter((id) => /[^ \t\r\n]/.test(id)))

const bogus = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

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

      it(`verifies the ${v.name} vector at its own timestamp`, () => {
        assert.deepStrictEqual(verifyVector(v), Either.right({ id: v.id, timestamp: Number(v.timestamp) }))
      })

      it(`verifies the ${v.name} vector given its body as bytes`, () => {
        assert.strictEqual(outcome(verifyVector(v, { payload: new TextEncoder().encode(v.body) })), "Verified")
      })
    }

    it("rejects a vector verified with another vector's secret", () => {
      const other = vector("standard-webhooks-kat-2")
      assert.strictEqual(outcome(verifyVector(kat, { keys: [keyOf(other.secret)] })), "NoMatchingSignature")
    })
  })

  describe("decoys", () => {
    vectors.decoys.headers.forEach((decoy, i) => {
      it(`rejects decoy ${i + 1} (${decoy.slice(0, 16)}...) on its own`, () => {
        const result = verifyVector(kat, { signature: decoy })
        assert.strictEqual(outcome(result), "NoMatchingSignature")
        if (Either.isLeft(result)) assert.strictEqual(result.left.header, "webhook-signature")
      })

      it(`accepts the valid signature with decoy ${i + 1} before it`, () => {
        assert.strictEqual(outcome(verifyVector(kat, { signature: `${decoy} ${kat.signature}` })), "Verified")
      })

      it(`accepts the valid signature with decoy ${i + 1} after it`, () => {
        assert.strictEqual(outcome(verifyVector(kat, { signature: `${kat.signature} ${decoy}` })), "Verified")
      })
    })

    it("accepts entries separated by tabs and line breaks as well as spaces", () => {
      const [first, second] = vectors.decoys.headers
      const signature = `${first}\t${second}\n ${kat.signature}`
      assert.strictEqual(outcome(verifyVector(kat, { signature })), "Verified")
    })
  })

  describe("folded and re-joined webhook-signature headers", () => {
    const good = kat.signature.slice("v1,".length)
    const unpadded = good.replace(/=+$/, "")
    const [decoy, other] = [vectors.decoys.headers[0]!.slice(3), vectors.decoys.headers[1]!.slice(3)]

    // What proxies, adapters and Node make of a header split at its comma, or of several header lines.
    const layouts: ReadonlyArray<readonly [string, string]> = [
      ["a list [\"v1\", mac] joined with a space by our header reader", `v1 ${good}`],
      ["the string \"v1, <mac>\" (two lines v1 and <mac> joined by Node)", `v1, ${good}`],
      ["\"v1,\" and the MAC separated by a tab", `v1,\t${good}`],
      ["\"v1\" and the MAC separated by several spaces and a line break", `v1  \r\n ${good}`],
      ["two entries on two lines, joined by Node as \"v1,A, v1,B\", the good one first", `v1,${good}, v1,${decoy}`],
      ["two entries on two lines, joined by Node as \"v1,A, v1,B\", the good one second", `v1,${decoy}, v1,${good}`],
      ["folded entries one after another", `v1, ${decoy}, v1, ${other}, v1, ${good}`],
      ["a folded entry whose MAC has a trailing comma", `v1, ${good},`],
      ["a dangling \"v1,\" before a folded entry", `v1, v1 ${good}`],
      ["a dangling \"v1\" before a whole entry", `v1 v1,${good}`],
      ["a folded entry without base64 padding", `v1, ${unpadded}`],
      ["a whole entry without base64 padding", `v1,${unpadded}`]
    ]
    for (const [name, signature] of layouts) {
      it(`verifies ${name}`, () => {
        assert.strictEqual(outcome(verifyVector(kat, { signature })), "Verified")
      })
    }

    it("verifies each layout that openai@6.49.0 verifies, over the same bytes at the same time", async () => {
      const { default: OpenAI } = await import("openai")
      const client = new OpenAI({ apiKey: "sk-test-not-used", webhookSecret: kat.secret })
      const now = Math.floor(Date.now() / 1000)
      const mac = WebhookSignature.sign(keyOf(kat.secret), { id: kat.id, timestamp: now, payload: kat.body }).slice(3)
      // A header value cannot hold a line break (fetch Headers refuses one): those layouts are ours alone.
      for (const [name, layout] of layouts.filter(([, layout]) => !/[\r\n]/.test(layout))) {
        const signature = layout.replaceAll(good, mac).replaceAll(unpadded, mac.replace(/=+$/, ""))
        const headers = { "webhook-id": kat.id, "webhook-timestamp": String(now), "webhook-signature": signature }
        await client.webhooks.verifySignature(kat.body, headers)
        const ours = verifyVector(kat, { timestamp: String(now), now, signature })
        assert.strictEqual(outcome(ours), "Verified", name)
      }
    })

    it("does not take a token after \"v1\" as its MAC when it is not base64, nor another \"v1\"", () => {
      for (const signature of [`v1 ${good}?`, `v1 v1`, "v1", "v1,", "v1, ,", `v1 "${good}"`]) {
        assert.strictEqual(outcome(verifyVector(kat, { signature })), "NoMatchingSignature", signature)
      }
    })

    it("counts a folded entry as one of the MAX_SIGNATURES entries checked", () => {
      const max = WebhookSignature.MAX_SIGNATURES
      const folded = (n: number, last: string) => [...Array(n).fill(`v1, ${decoy}`), last].join(", ")
      assert.strictEqual(outcome(verifyVector(kat, { signature: folded(max - 1, `v1, ${good}`) })), "Verified")
      assert.strictEqual(outcome(verifyVector(kat, { signature: folded(max, `v1, ${good}`) })), "NoMatchingSignature")
    })

    it("says a header without any v1 entry has none, and what one looks like", () => {
      for (const signature of ["v2,abc", "v1", `v1a,${good}`, good]) {
        const result = verifyVector(kat, { signature })
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left.reason, "NoMatchingSignature")
          assert.match(result.left.message, /^The webhook-signature header has no v1 entry \("v1,<base64>"/)
        }
      }
    })

    it("says how many entries it checked when none matches, the secret first among the causes", () => {
      const result = verifyVector(kat, { signature: `v1, ${decoy} v1,${other}` })
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.match(result.left.message, /^None of the 2 v1 signature\(s\) in webhook-signature matches the 1 /)
        assert.match(result.left.message, /the secret is not this endpoint's .* or the body was changed/)
      }
    })
  })

  describe("headers and timestamps", () => {
    it("names each missing header", () => {
      for (const header of ["id", "timestamp", "signature"] as const) {
        const result = verifyVector(kat, { [header]: undefined })
        assert.strictEqual(outcome(result), "MissingHeader")
        if (Either.isLeft(result)) assert.strictEqual(result.left.header, `webhook-${header}`)
      }
    })

    // Standard Webhooks treats an empty header as a missing one.
    for (const value of ["", " ", "\t", " \r\n "]) {
      it(`names each header whose value is ${JSON.stringify(value)} as missing, saying it is empty`, () => {
        for (const header of ["id", "timestamp", "signature"] as const) {
          const result = verifyVector(kat, { [header]: value })
          assert.strictEqual(outcome(result), "MissingHeader")
          if (Either.isLeft(result)) {
            assert.strictEqual(result.left.header, `webhook-${header}`)
            const message = `The webhook-${header} header is empty: is this request from OpenAI?`
            assert.strictEqual(result.left.message, message)
          }
        }
      })
    }

    it("accepts a timestamp exactly at the tolerance either way", () => {
      const ts = Number(kat.timestamp)
      assert.strictEqual(outcome(verifyVector(kat, { now: ts + 300 })), "Verified")
      assert.strictEqual(outcome(verifyVector(kat, { now: ts - 300 })), "Verified")
    })

    it("rejects a timestamp one second beyond the tolerance either way", () => {
      const ts = Number(kat.timestamp)
      assert.strictEqual(outcome(verifyVector(kat, { now: ts + 301 })), "TimestampTooOld")
      assert.strictEqual(outcome(verifyVector(kat, { now: ts - 301 })), "TimestampTooNew")
    })

    it("measures a custom tolerance in seconds", () => {
      const ts = Number(kat.timestamp)
      assert.strictEqual(outcome(verifyVector(kat, { now: ts + 10, tolerance: 10 })), "Verified")
      assert.strictEqual(outcome(verifyVector(kat, { now: ts + 11, tolerance: 10 })), "TimestampTooOld")
      assert.strictEqual(outcome(verifyVector(kat, { now: ts - 11, tolerance: 10 })), "TimestampTooNew")
    })

    it("exposes the Standard Webhooks default tolerance of 300 s", () => {
      assert.strictEqual(WebhookSignature.DEFAULT_TOLERANCE_SECONDS, 300)
    })
  })

  describe("bodies", () => {
    const text = "héllo ☃ 日本"
    const key = keyOf(kat.secret)
    const delivery = { id: "msg_unicode", timestamp: 1_700_000_000 }
    const verifyPayload = (signature: string, payload: string | Uint8Array) =>
      WebhookSignature.verify({
        keys: [key],
        id: delivery.id,
        timestamp: String(delivery.timestamp),
        signature,
        payload,
        now: delivery.timestamp
      })

    it("verifies the UTF-8 bytes of a non-ASCII string it signed", () => {
      const signature = WebhookSignature.sign(key, { ...delivery, payload: text })
      assert.strictEqual(outcome(verifyPayload(signature, new TextEncoder().encode(text))), "Verified")
    })

    it("verifies the string of non-ASCII bytes it signed", () => {
      const signature = WebhookSignature.sign(key, { ...delivery, payload: new TextEncoder().encode(text) })
      assert.strictEqual(outcome(verifyPayload(signature, text)), "Verified")
    })

    it("signs the UTF-8 bytes of a string, as node:crypto does", () => {
      const signature = WebhookSignature.sign(key, { ...delivery, payload: text })
      const expected = createHmac("sha256", Buffer.from(kat.secret.slice("whsec_".length), "base64"))
        .update(Buffer.from(`${delivery.id}.${delivery.timestamp}.${text}`, "utf8"))
        .digest("base64")
      assert.strictEqual(signature, `v1,${expected}`)
    })

    it("rejects a body whose text was normalised differently", () => {
      // "é" precomposed (NFC) and decomposed (NFD) look alike but are different bytes.
      const signature = WebhookSignature.sign(key, { ...delivery, payload: text.normalize("NFC") })
      assert.strictEqual(outcome(verifyPayload(signature, text.normalize("NFD"))), "NoMatchingSignature")
    })
  })

  describe("bounded work", () => {
    it("checks at most MAX_SIGNATURES v1 entries of a header", () => {
      assert.isAtLeast(WebhookSignature.MAX_SIGNATURES, 2)
      assert.isAtMost(WebhookSignature.MAX_SIGNATURES, 100)
    })

    it("rejects a valid signature after 10,000 bogus v1 entries", () => {
      const signature = `${Array(10_000).fill(bogus).join(" ")} ${kat.signature}`
      assert.strictEqual(outcome(verifyVector(kat, { signature })), "NoMatchingSignature")
    })

    it("accepts a valid signature before 10,000 bogus v1 entries", () => {
      const signature = `${kat.signature} ${Array(10_000).fill(bogus).join(" ")}`
      assert.strictEqual(outcome(verifyVector(kat, { signature })), "Verified")
    })

    it("accepts a valid signature in position MAX_SIGNATURES and not one after it", () => {
      const before = (n: number) => `${Array(n).fill(bogus).join(" ")} ${kat.signature}`
      const max = WebhookSignature.MAX_SIGNATURES
      assert.strictEqual(outcome(verifyVector(kat, { signature: before(max - 1) })), "Verified")
      assert.strictEqual(outcome(verifyVector(kat, { signature: before(max) })), "NoMatchingSignature")
    })

    it("does not count non-v1 entries against the limit", () => {
      const others = Array(WebhookSignature.MAX_SIGNATURES * 2).fill(`v2,${bogus.slice(3)}`).join(" ")
      assert.strictEqual(outcome(verifyVector(kat, { signature: `${others} ${kat.signature}` })), "Verified")
    })
  })

  describe("keys", () => {
    it("prints a key as <redacted>", () => {
      const key = keyOf(kat.secret)
      for (const text of renderings(key)) assert.include(text, "redacted")
      assertShowsNone(key, secretsOf(kat))
      assertShowsNone({ keys: [key] }, secretsOf(kat))
    })

    it("reports a bad secret as a SecretError", () => {
      const result = WebhookSignature.key("whsec_ab!d")
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.instanceOf(result.left, WebhookError.SecretError)
        assert.strictEqual(result.left.reason, "InvalidBase64")
      }
    })
  })

  describe("no leaks", () => {
    const ts = Number(kat.timestamp)
    const failures: ReadonlyArray<readonly [string, Override]> = [
      ["a missing webhook-id", { id: undefined }],
      ["a missing webhook-timestamp", { timestamp: undefined }],
      ["a missing webhook-signature", { signature: undefined }],
      ["an invalid timestamp", { timestamp: "abc" }],
      ["a timestamp too old", { now: ts + 301 }],
      ["a timestamp too new", { now: ts - 301 }],
      ["a changed body", { payload: `${kat.body} ` }],
      ["a wrong secret", { keys: [keyOf(vector("openai-sdk-kat").secret)] }],
      ...vectors.decoys.headers.map((signature, i) => [`decoy ${i + 1}`, { signature }] as const)
    ]
    for (const [name, override] of failures) {
      it(`shows neither the secret nor the expected signature on ${name}`, () => {
        const result = verifyVector(kat, override)
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.instanceOf(result.left, WebhookError.SignatureError)
          assertShowsNone(result.left, secretsOf(kat))
          if (override.signature !== undefined) assertShowsNone(result.left, [override.signature])
        }
      })
    }
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
