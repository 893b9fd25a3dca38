import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import * as crypto from "../src/internal/crypto.js"
import * as Secret from "../src/Secret.js"
import * as Signature from "../src/Signature.js"
import { foldedLayouts, limits, revealing, verifications } from "./tables/signatures.js"
import { kat, rust, sdk, vectors } from "./tables/vectors.js"
import { expectShowsNone, expectVerdict } from "./verdict.js"

const keyOf = (secret: string): Secret.Key => {
  const key = Secret.parse(secret)
  if (!key.ok) throw new Error(`not a secret: ${key.error.message}`)
  return key.value
}

const bytes = (text: string) => new TextEncoder().encode(text)

describe("Signature", () => {
  it("has the limits the tables are written against", () => {
    expect(Signature.maxSignatures).toBe(limits.maxSignatures)
    expect(Signature.defaultToleranceSeconds).toBe(limits.defaultToleranceSeconds)
  })

  describe("known-answer vectors", () => {
    for (const v of vectors.valid) {
      it(`sign reproduces the ${v.name} signature exactly, from the body as text and as bytes`, () => {
        expect(Signature.sign(keyOf(v.secret), v.id, v.timestamp, v.body)).toBe(v.signature)
        expect(Signature.sign(keyOf(v.secret), v.id, v.timestamp, bytes(v.body))).toBe(v.signature)
      })
    }
  })

  describe("the verification table", () => {
    for (const row of verifications) {
      const verb = row.expected.ok ? "verifies" : `rejects (${row.expected.reason})`
      it(`${verb} ${row.name}`, () => {
        const keys = row.secrets.map(keyOf)
        const tolerance = row.tolerance ?? Signature.defaultToleranceSeconds
        for (const payload of [row.body, bytes(row.body)]) {
          expectVerdict(
            Signature.verify(keys, row.id, row.timestamp, row.signature, payload, row.now, tolerance),
            row.expected
          )
        }
        const headers = { "webhook-id": row.id, "webhook-timestamp": row.timestamp, "webhook-signature": row.signature }
        expectVerdict(Signature.verifyRequest(keys, headers, row.body, row.now, tolerance), row.expected)
      })
    }

    it("shows neither a secret nor the expected or received signature in any failure", () => {
      for (const row of verifications) {
        const result = Signature.verify(
          row.secrets.map(keyOf),
          row.id,
          row.timestamp,
          row.signature,
          row.body,
          row.now,
          row.tolerance ?? Signature.defaultToleranceSeconds
        )
        if (result.ok) continue
        const received = row.signature === undefined ? [] : [row.signature]
        expectShowsNone(result.error, [...[kat, sdk, rust].flatMap(revealing), ...received])
      }
    })
  })

  describe("bodies", () => {
    const text = "héllo ☃ 日本"
    const key = keyOf(kat.secret)
    const id = "msg_unicode"
    const timestamp = "1700000000"
    const verify = (signature: string, payload: string | Uint8Array) =>
      Signature.verify([key], id, timestamp, signature, payload, Number(timestamp), 300)

    it("verifies the UTF-8 bytes of a non-ASCII string it signed", () => {
      const signature = Signature.sign(key, id, timestamp, text)
      expect(verify(signature, bytes(text))).toEqual({ ok: true, value: { id, timestamp: Number(timestamp) } })
    })

    it("verifies the string of non-ASCII bytes it signed", () => {
      expect(verify(Signature.sign(key, id, timestamp, bytes(text)), text).ok).toBe(true)
    })

    it("signs the UTF-8 bytes of a string, as node:crypto does", () => {
      const expected = createHmac("sha256", Buffer.from(kat.secret.slice("whsec_".length), "base64"))
        .update(Buffer.from(`${id}.${timestamp}.${text}`, "utf8"))
        .digest("base64")
      expect(Signature.sign(key, id, timestamp, text)).toBe(`v1,${expected}`)
    })

    it("rejects a body whose text was normalised differently", () => {
      // "é" precomposed (NFC) and decomposed (NFD) look alike but are different bytes.
      const result = verify(Signature.sign(key, id, timestamp, text.normalize("NFC")), text.normalize("NFD"))
      expect(result.ok || result.error.reason).toBe("NoMatchingSignature")
    })

    it("signs with the UTF-8 bytes of a secret without whsec_, as node:crypto does", () => {
      const plain = "a plain-text secret, not whsec: héllo ☃"
      const body = "{\"type\":\"héllo\"}"
      const expected = createHmac("sha256", Buffer.from(plain, "utf8")).update(`msg_plain.${timestamp}.${body}`, "utf8")
        .digest("base64")
      expect(Signature.sign(keyOf(plain), "msg_plain", timestamp, body)).toBe(`v1,${expected}`)
    })

    // The HMAC is set up once per key (RFC 2104's padded keys), and messages past its reused buffer take createHmac.
    it("signs as createHmac does with keys around SHA-256's 64-byte block and bodies around 16 KiB", () => {
      const sizes = [0, 1, 100, 16 * 1024 - 200, 16 * 1024 - 60, 16 * 1024, 40 * 1024]
      for (const keyLength of [24, 63, 64, 65, 200]) {
        const secret = "k".repeat(keyLength - 1) + "é".slice(0, keyLength > 1 ? 1 : 0)
        const key = keyOf(secret)
        for (const size of sizes) {
          for (const body of ["x".repeat(size), "☃".repeat(Math.ceil(size / 3))]) {
            const expected = createHmac("sha256", Buffer.from(secret, "utf8"))
              .update(`${id}.${timestamp}.${body}`, "utf8")
              .digest("base64")
            expect(Signature.sign(key, id, timestamp, body)).toBe(`v1,${expected}`)
            expect(Signature.sign(key, id, timestamp, bytes(body))).toBe(`v1,${expected}`)
          }
        }
      }
    })
  })

  describe("matchingEntry", () => {
    const keys = [keyOf(kat.secret)]
    const bogus = vectors.decoys.headers[1]!
    const entry = (signature: string, among = keys) =>
      Signature.matchingEntry(among, kat.id, kat.timestamp, signature, kat.body)

    it("finds the matching entry, counting every v1 entry", () => {
      expect(entry(kat.signature)).toEqual({ index: 0, entries: 1 })
      expect(entry(`${bogus} v2,abc ${kat.signature} ${bogus}`)).toEqual({ index: 1, entries: 3 })
    })

    it("looks beyond the entries verification checks", () => {
      const header = [...Array(limits.maxSignatures).fill(bogus), kat.signature, bogus].join(" ")
      expect(entry(header)).toEqual({ index: limits.maxSignatures, entries: limits.maxSignatures + 2 })
    })

    it("says -1 when none matches, and how many entries there are", () => {
      expect(entry(`${bogus} ${bogus}`)).toEqual({ index: -1, entries: 2 })
      expect(entry("v2,abc")).toEqual({ index: -1, entries: 0 })
      expect(entry(kat.signature, [keyOf(rust.secret)])).toEqual({ index: -1, entries: 1 })
    })

    for (const [name, signature] of foldedLayouts) {
      it(`finds the match in ${name}`, () => {
        expect(entry(signature).index).toBeGreaterThanOrEqual(0)
      })
    }
  })

  // Where node:crypto is absent (Workers without nodejs_compat, Vercel Edge), verification runs on Web Crypto: the
  // same tables, the same verdicts. Node has both, so the Web Crypto path is run here directly; the real edge runtime
  // (workerd) runs it in test/edge.test.ts.
  describe("the Web Crypto path", () => {
    it("is not taken on Node: node:crypto is found without importing it, and verification stays synchronous", () => {
      expect(Signature.synchronous).toBe(true)
    })

    it("signs every known-answer vector exactly", async () => {
      for (const v of vectors.valid) {
        expect(await Signature.signWeb(keyOf(v.secret), v.id, v.timestamp, v.body)).toBe(v.signature)
        expect(await Signature.signWeb(keyOf(v.secret), v.id, v.timestamp, bytes(v.body))).toBe(v.signature)
        expect(await Signature.signAsync(keyOf(v.secret), v.id, v.timestamp, v.body)).toBe(v.signature)
      }
    })

    it("gives every row of the verification table its verdict, as verify and verifyAsync do", async () => {
      for (const row of verifications) {
        const keys = row.secrets.map(keyOf)
        const tolerance = row.tolerance ?? Signature.defaultToleranceSeconds
        for (const payload of [row.body, bytes(row.body)]) {
          const args = [keys, row.id, row.timestamp, row.signature, payload, row.now, tolerance] as const
          expectVerdict(await Signature.verifyWeb(...args), row.expected)
          expectVerdict(await Signature.verifyAsync(...args), row.expected)
          expect(await Signature.verifyWeb(...args), row.name).toEqual(Signature.verify(...args))
        }
        const headers = { "webhook-id": row.id, "webhook-timestamp": row.timestamp, "webhook-signature": row.signature }
        expectVerdict(await Signature.verifyRequestAsync(keys, headers, row.body, row.now, tolerance), row.expected)
      }
    })

    it("decodes a MAC's base64 as Buffer does, so that both paths read a header alike", () => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=!. é"
      let seed = 7
      const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648)
      const samples = ["", "=", "Q", "QU", "QUJ", "QUJD", "QUJDRA==x", "AB==CD", "a!bc", "Q=U=J=D", kat.signature.slice(3)]
      for (let i = 0; i < 5000; i++) {
        let text = ""
        for (let n = next() % 48; n > 0; n--) text += alphabet[next() % alphabet.length]
        samples.push(text)
      }
      for (const text of samples) {
        expect([...crypto.decodeBase64(text)], text).toEqual([...Buffer.from(text, "base64")])
      }
    })

    it("encodes base64 as Buffer does", () => {
      for (let length = 0; length < 40; length++) {
        const data = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff)
        expect(crypto.encodeBase64(data)).toBe(Buffer.from(data).toString("base64"))
      }
    })

    it("compares MACs in constant time: every byte is looked at, whichever differs", () => {
      const a = new Uint8Array(32).fill(7)
      expect(crypto.constantTimeEqual(a, new Uint8Array(32).fill(7))).toBe(true)
      for (const at of [0, 15, 31]) {
        const b = new Uint8Array(32).fill(7)
        b[at] = 8
        expect(crypto.constantTimeEqual(a, b)).toBe(false)
      }
      expect(crypto.constantTimeEqual(a, new Uint8Array(31).fill(7))).toBe(false)
    })

    it("keeps the key's bytes out of every printing of a key", () => {
      const key = keyOf(kat.secret)
      expectShowsNone(key, [kat.secret, kat.secret.slice("whsec_".length)])
    })
  })

  describe("predicates", () => {
    it("isBlank is true of empty and whitespace-only values only", () => {
      for (const value of ["", " ", "\t", "\r\n", " \r\n\t "]) expect(Signature.isBlank(value), value).toBe(true)
      for (const value of ["a", " a ", "\u00a0", "0"]) expect(Signature.isBlank(value), value).toBe(false)
    })

    it("isTimestamp accepts 1 to 15 decimal digits and nothing else", () => {
      for (const value of ["0", "1614265330", "9".repeat(15)]) expect(Signature.isTimestamp(value), value).toBe(true)
      for (const value of ["", "9".repeat(16), "-5", "+5", "1.5", "1e9", " 1", "1 ", "0x10", "١٢"]) {
        expect(Signature.isTimestamp(value), value).toBe(false)
      }
    })
  })
})

describe("Signature.signDelivery", () => {
  it("signs each published vector as it was published, synchronously and on any runtime", async () => {
    for (const v of vectors.valid) {
      const delivery = { keys: [keyOf(v.secret)], body: v.body, id: v.id, timestamp: Number(v.timestamp), now: 0 }
      const expected = {
        body: v.body,
        headers: {
          "content-type": "application/json",
          "webhook-id": v.id,
          "webhook-timestamp": v.timestamp,
          "webhook-signature": v.signature
        }
      }
      expect(Signature.signDelivery(delivery)).toEqual(expected)
      expect(await Signature.signDeliveryAsync(delivery)).toEqual(expected)
    }
  })

  it("carries one signature per key, each of which verifies alone", () => {
    const keys = [sdk, kat].map((v) => keyOf(v.secret))
    const signed = Signature.signDelivery({ keys, body: "{}", id: "msg_1", timestamp: 1_700_000_000, now: 0 })
    const entries = signed.headers["webhook-signature"].split(" ")
    expect(entries).toHaveLength(2)
    for (const key of keys) {
      expect(Signature.verifyRequest([key], signed.headers, "{}", 1_700_000_000, 300).ok).toBe(true)
    }
  })

  it("defaults the timestamp to now (its milliseconds dropped), takes a Date, and makes a new msg_ id", () => {
    const key = keyOf(kat.secret)
    const first = Signature.signDelivery({ keys: [key], body: "{}", now: 1_750_861_210_999 })
    const second = Signature.signDelivery({ keys: [key], body: "{}", now: 0, timestamp: new Date(1_614_265_330_750) })
    expect(first.headers["webhook-timestamp"]).toBe("1750861210")
    expect(second.headers["webhook-timestamp"]).toBe("1614265330")
    expect(first.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(first.headers["webhook-id"]).not.toBe(second.headers["webhook-id"])
  })
})
