import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import * as Secret from "../src/Secret.js"
import * as Signature from "../src/Signature.js"
import { accepted, lists, rejected, revealingSecret } from "./tables/secrets.js"
import { revealing } from "./tables/signatures.js"
import { kat, rust, sdk } from "./tables/vectors.js"
import { expectShowsNone, expectVerdict, renderings } from "./verdict.js"

const parseInput = (input: string | ReadonlyArray<string>) =>
  typeof input === "string" ? Secret.parse(input) : Secret.parseAll(input)

/** The signature a key gives a fixed delivery: two keys are the same when these are equal. */
const signatureWith = (key: Secret.Key) => Signature.sign(key, "msg_1", "1", "{}")

const keyOf = (secret: string): Secret.Key => {
  const key = Secret.parse(secret)
  if (!key.ok) throw new Error(`not a secret: ${key.error.message}`)
  return key.value
}

const verdictOf = (result: { readonly ok: true } | { readonly ok: false; readonly error: Secret.Problem }) =>
  result.ok ? "Accepted" : result.error.reason

describe("Secret", () => {
  it("requires keys of at least 16 bytes", () => {
    expect(Secret.minKeyBytes).toBe(16)
  })

  describe("the table of refused secrets", () => {
    for (const row of rejected) {
      it(`refuses ${row.name} (${row.reason}), showing none of it`, () => {
        const result = parseInput(row.input)
        expectVerdict(result, { ok: false, reason: row.reason, message: row.message })
        const given = typeof row.input === "string" ? [row.input] : row.input
        if (!result.ok) expectShowsNone(result.error, given.flatMap(revealingSecret))
      })
    }
  })

  describe("the table of accepted secrets", () => {
    for (const row of accepted) {
      it(`accepts ${row.name}${row.sameAs === undefined ? "" : ", as the same key"}`, () => {
        const result = parseInput(row.input)
        expect(result.ok).toBe(true)
        if (!result.ok) return
        const keys = Array.isArray(result.value) ? result.value : [result.value]
        expect(keys).toHaveLength(row.keys)
        if (row.sameAs !== undefined) expect(signatureWith(keys[0]!)).toBe(signatureWith(keyOf(row.sameAs)))
      })
    }
  })

  describe("the table of configured values", () => {
    for (const row of lists) {
      it(`${row.expected.ok ? "reads" : `refuses (${row.expected.reason})`} ${row.name}`, () => {
        const result = Secret.parseList(row.value)
        if (!row.expected.ok) {
          expectVerdict(result, { ok: false, reason: row.expected.reason, message: row.expected.message })
          if (!result.ok) expectShowsNone(result.error, [sdk, kat, rust].flatMap(revealing))
          return
        }
        expect(result.ok).toBe(true)
        if (!result.ok) return
        const expected = row.expected.secrets.map((secret) => signatureWith(keyOf(secret)))
        expect(result.value.map(signatureWith)).toEqual(expected)
      })
    }

    const single = [
      ...rejected.flatMap((row) => typeof row.input === "string" ? [[row.name, row.input] as const] : []),
      ...accepted.flatMap((row) => typeof row.input === "string" ? [[row.name, row.input] as const] : [])
    ]
    for (const [name, input] of single) {
      it(`gives the same verdict on ${name} as one secret and as a configured value`, () => {
        expect(verdictOf(Secret.parseList(input))).toBe(verdictOf(Secret.parse(input)))
      })
    }
  })

  describe("split", () => {
    it("splits at runs of spaces and commas, keeping an entry that starts with v1, whole", () => {
      expect(Secret.split("a b,c , d\n\te")).toEqual(["a", "b", "c", "d", "e"])
      expect(Secret.split(`${sdk.secret},${kat.signature}`)).toEqual([sdk.secret, kat.signature])
      expect(Secret.split(" ,, ")).toEqual([])
    })
  })

  describe("checkTyped", () => {
    it("forgives one final line break and gives the value without it", () => {
      expect(Secret.checkTyped(`${sdk.secret}\n`)).toEqual({ ok: true, value: sdk.secret })
      expect(Secret.checkTyped(`${sdk.secret}\r\n`)).toEqual({ ok: true, value: sdk.secret })
    })

    it("names the secret by its label", () => {
      const result = Secret.checkTyped(" x", "MY_SECRET")
      expect(result.ok || result.error.message).toMatch(/^MY_SECRET has whitespace around it/)
    })
  })

  describe("keys", () => {
    it("prints a key as <redacted>, showing nothing of the secret", () => {
      const key = keyOf(kat.secret)
      for (const text of renderings(key)) expect(text).toContain("redacted")
      expectShowsNone(key, revealing(kat))
      expectShowsNone({ keys: [key] }, revealing(kat))
    })

    it("uses the UTF-8 bytes of a secret without whsec_", () => {
      const plain = "a plain-text secret, not whsec: héllo ☃"
      const expected = createHmac("sha256", Buffer.from(plain, "utf8")).update("msg_1.1.{}").digest("base64")
      expect(signatureWith(keyOf(plain))).toBe(`v1,${expected}`)
    })
  })

  describe("whsec_ secrets with and without base64 padding", () => {
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    // Every length from 16 to 64 bytes, with bytes that use every bit of the alphabet's characters.
    const keys = Array.from(
      { length: 49 },
      (_, i) => Buffer.from(Array.from({ length: 16 + i }, (_, j) => (j * 37 + i * 11) % 256))
    )

    it("gives the same key for the padded and the unpadded encoding of any 16 to 64 bytes", () => {
      for (const bytes of keys) {
        const padded = `whsec_${bytes.toString("base64")}`
        const direct = createHmac("sha256", bytes).update("msg_1.1.{}").digest("base64")
        expect(signatureWith(keyOf(padded))).toBe(`v1,${direct}`)
        expect(signatureWith(keyOf(padded.replace(/=+$/, "")))).toBe(`v1,${direct}`)
      }
    })

    it("refuses any truncation leaving a length of 1 mod 4 or bits set after the last byte, as InvalidBase64", () => {
      for (const bytes of keys) {
        const encoded = bytes.toString("base64").replace(/=+$/, "")
        for (let cut = 1; cut <= 40; cut++) {
          const kept = encoded.slice(0, Math.max(0, encoded.length - cut))
          const rest = kept.length % 4
          // The bits of the last character that no whole byte uses: 4 when 2 characters remain, 2 when 3 do.
          const last = ALPHABET.indexOf(kept.at(-1) ?? "A")
          const strayBits = rest === 2 ? last & 0b1111 : rest === 3 ? last & 0b11 : 0
          const result = Secret.parse(`whsec_${kept}`)
          if (rest === 1 || strayBits !== 0) {
            expect(result.ok || result.error.reason, kept).toBe("InvalidBase64")
          } else {
            expect(result.ok, kept).toBe(Math.floor((kept.length * 6) / 8) >= 16)
          }
        }
      }
    })
  })
})

describe("Secret.Secrets", () => {
  it("prints how many keys it holds and nothing of them", () => {
    const secrets = new Secret.Secrets([keyOf(kat.secret), keyOf(sdk.secret)])
    expect(String(secrets)).toBe("WebhookSecret(2 keys, redacted)")
    expect(JSON.stringify({ secrets })).toBe("{\"secrets\":\"WebhookSecret(2 keys, redacted)\"}")
    expectShowsNone(secrets, [...revealing(kat), ...revealing(sdk)])
  })
})
