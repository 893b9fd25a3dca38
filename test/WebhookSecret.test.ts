import { assert, describe, it, layer } from "@effect/vitest"
import { Config, ConfigError, ConfigProvider, Effect, Either, FastCheck, Layer, Redacted, TestClock } from "effect"
import { createHmac } from "node:crypto"
import * as util from "node:util"
import { kat, sdk, rust, vectors, type Vector } from "./fixtures/vectors.js"
import { WebhookError, Webhooks, WebhookSecret, WebhookSignature } from "../src/index.js"


const whsec = (bytes: number) => `whsec_${Buffer.alloc(bytes, 7).toString("base64")}`

const headersOf = (v: Vector) => ({
  "webhook-id": v.id,
  "webhook-timestamp": v.timestamp,
  "webhook-signature": v.signature
})

/** Verifies vector `v` at its own timestamp against the WebhookSecret in context. */
const verifyVector = (v: Vector) =>
  Effect.zipRight(TestClock.setTime(Number(v.timestamp) * 1000), Webhooks.verify(v.body, headersOf(v)))

/** Everything printing must never show of a secret: itself, its base64 body, its key bytes in base64 and hex. */
const revealing = (secret: string): ReadonlyArray<string> => {
  const trimmed = secret.trim()
  const body = trimmed.startsWith("whsec_") ? trimmed.slice("whsec_".length) : undefined
  const key = body === undefined ? Buffer.from(trimmed, "utf8") : Buffer.from(body, "base64")
  return [secret, trimmed, body ?? "", key.toString("base64"), key.toString("hex")].filter((s) => s.length >= 8)
}

const assertShowsNone = (value: unknown, secrets: ReadonlyArray<string>) => {
  const renderings = [
    ...(value instanceof Error ? [value.message] : []),
    String(value),
    JSON.stringify(value),
    util.inspect(value, { depth: 10 }),
    util.inspect({ value }, { depth: 10, showHidden: true })
  ]
  for (const text of renderings) {
    for (const secret of secrets.flatMap(revealing)) assert.notInclude(text, secret)
  }
}

type Input = WebhookSecret.SecretInput | ReadonlyArray<WebhookSecret.SecretInput>

const plainStrings = (input: Input): ReadonlyArray<string> =>
  (typeof input === "string" || Redacted.isRedacted(input) ? [input] : input).map((item) =>
    typeof item === "string" ? item : Redacted.value(item)
  )

const fromLayer = (input: Input) => Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layer(input))

const rejected: ReadonlyArray<readonly [string, Input, WebhookError.SecretError["reason"]]> = [
  ["an empty string", "", "Missing"],
  ["an empty list", [], "Missing"],
  ["an empty Redacted", Redacted.make(""), "Missing"],
  ["a line break alone", "\n", "Missing"],
  ["a secret with a leading space", ` ${sdk.secret}`, "Whitespace"],
  ["a secret with a trailing space", `${sdk.secret} `, "Whitespace"],
  ["a secret with a trailing tab", `${sdk.secret}\t`, "Whitespace"],
  ["a secret with two trailing line breaks", `${sdk.secret}\n\n`, "Whitespace"],
  ["a secret with a space before its final line break", `${sdk.secret} \n`, "Whitespace"],
  ["a secret with a final carriage return alone", `${sdk.secret}\r`, "Whitespace"],
  ["a Redacted secret with a trailing space", Redacted.make(`${sdk.secret} `), "Whitespace"],
  ["whsec_!!!", "whsec_!!!", "InvalidBase64"],
  ["a secret with a character outside base64", `${sdk.secret.slice(0, 10)}!${sdk.secret.slice(11)}`, "InvalidBase64"],
  ["a secret in base64url", `whsec_${Buffer.alloc(32, 0xfb).toString("base64url")}`, "InvalidBase64"],
  ["a secret cut short to a length of 1 mod 4", sdk.secret.slice(0, -3), "InvalidBase64"],
  ["a secret cut short leaving bits after its last byte", sdk.secret.slice(0, -2), "InvalidBase64"],
  ["a secret with padding that does not fit its length", `${sdk.secret}=`, "InvalidBase64"],
  ["a secret with padding in the middle", `whsec_${"A".repeat(20)}=${"A".repeat(23)}`, "InvalidBase64"],
  ["an 8-byte whsec_ secret", whsec(8), "TooShort"],
  ["a 15-byte whsec_ secret", whsec(15), "TooShort"],
  ["a 15-byte whsec_ secret without its padding", whsec(15).replace(/=+$/, ""), "TooShort"],
  ["whsec_ alone", "whsec_", "TooShort"],
  ["whsec_abc (2 bytes, unpadded)", "whsec_abc", "TooShort"],
  ["a 15-byte plain secret", "0123456789abcde", "TooShort"],
  ["a webhook signature", kat.signature, "LooksLikeSignature"],
  ["a webhook signature with a final line break", `${kat.signature}\n`, "LooksLikeSignature"],
  ["a v1, string", "v1,abcdefghijklmnopqrstuvwxyz0123456789", "LooksLikeSignature"],
  ["a bad second secret", [sdk.secret, "whsec_ab!c"], "InvalidBase64"],
  ["a bad first secret beside a good one", [Redacted.make(` ${kat.secret}`), sdk.secret], "Whitespace"]
]

/** Secrets the library takes as given, each with the key it must give: one final line break is forgiven. */
const accepted: ReadonlyArray<readonly [string, string, string]> = [
  ["a secret with a final line break (what echo and env files add)", `${sdk.secret}\n`, sdk.secret],
  ["a secret with a final CRLF", `${sdk.secret}\r\n`, sdk.secret],
  ["a secret without its = padding", sdk.secret.replace(/=+$/, ""), sdk.secret],
  ["a secret without its padding and with a final line break", `${sdk.secret.replace(/=+$/, "")}\n`, sdk.secret],
  ["a 16-byte secret without its == padding", whsec(16).replace(/=+$/, ""), whsec(16)]
]

/** The signature `secret` gives a fixed delivery: two secrets are the same key when these are equal. */
const signatureWith = (secret: string) =>
  WebhookSignature.sign(Either.getOrThrow(WebhookSignature.key(secret)), { id: "msg_1", timestamp: 1, payload: "{}" })

describe("WebhookSecret", () => {
  describe("make and layer", () => {
    for (const [name, input, reason] of rejected) {
      it.effect(`make rejects ${name} (${reason})`, () =>
        Effect.map(Effect.flip(WebhookSecret.make(input)), (error) => {
          assert.instanceOf(error, WebhookError.SecretError)
          assert.strictEqual(error.reason, reason)
        }))

      it.effect(`layer rejects ${name} (${reason})`, () =>
        Effect.map(Effect.flip(fromLayer(input)), (error) => {
          assert.instanceOf(error, WebhookError.SecretError)
          assert.strictEqual(error.reason, reason)
        }))

      it.effect(`shows no secret when rejecting ${name}`, () =>
        Effect.map(Effect.flip(WebhookSecret.make(input)), (error) => assertShowsNone(error, plainStrings(input))))
    }

    for (const [name, input, same] of accepted) {
      it.effect(`accepts ${name}, as the same key`, () =>
        Effect.gen(function*() {
          const secrets = yield* WebhookSecret.make(input)
          assert.strictEqual(secrets.keys.length, 1)
          assert.strictEqual(signatureWith(input), signatureWith(same))
        }))
    }

    it("says which base64 rule a whsec_ secret breaks, showing none of it", () => {
      const cases: ReadonlyArray<readonly [string, RegExp]> = [
        [`${sdk.secret.slice(0, 10)}!${sdk.secret.slice(11)}`, /characters outside A-Z, a-z, 0-9/],
        [sdk.secret.slice(0, -3), /its length is one that no base64 encoding has: was it cut short\?/],
        [`${sdk.secret}=`, /its "=" padding does not fit its length/],
        [sdk.secret.slice(0, -2), /its last character has bits set that no encoder leaves: was it cut short\?/]
      ]
      for (const [secret, why] of cases) {
        const error = Either.flip(WebhookSignature.key(secret)).pipe(Either.getOrThrow)
        assert.strictEqual(error.reason, "InvalidBase64")
        assert.match(error.message, /^The webhook secret starts with "whsec_" but the rest is not valid base64: /)
        assert.match(error.message, why)
        assertShowsNone(error, [secret])
      }
    })

    it.effect("names which secret of a list is wrong", () =>
      Effect.map(Effect.flip(WebhookSecret.make([sdk.secret, kat.secret, "whsec_ab!c"])), (error) => {
        assert.strictEqual(error.reason, "InvalidBase64")
        assert.include(error.message, "3 of 3")
      }))

    it.effect("accepts a whsec_ secret of exactly 16 bytes", () =>
      Effect.map(WebhookSecret.make(whsec(16)), (secrets) => assert.strictEqual(secrets.keys.length, 1)))

    it.effect("accepts a plain secret of exactly 16 bytes", () =>
      Effect.map(WebhookSecret.make("0123456789abcdef"), (secrets) => assert.strictEqual(secrets.keys.length, 1)))

    it.effect("accepts plain and Redacted secrets together, keeping each", () =>
      Effect.map(
        WebhookSecret.make([sdk.secret, Redacted.make(kat.secret), rust.secret]),
        (secrets) => assert.strictEqual(secrets.keys.length, 3)
      ))

    for (const v of vectors.valid) {
      it.effect(`verifies the ${v.name} vector with its secret given as Redacted`, () =>
        Effect.map(verifyVector(v), (delivery) => assert.strictEqual(delivery.id, v.id)).pipe(
          Effect.provide(WebhookSecret.layer(Redacted.make(v.secret)))
        ))
    }
  })

  describe("plain secrets", () => {
    const plain = "a plain-text secret, not whsec: héllo ☃"
    const id = "msg_plain"
    const timestamp = "1700000000"
    const body = "{\"type\":\"héllo\"}"
    const expected = `v1,${
      createHmac("sha256", Buffer.from(plain, "utf8")).update(`${id}.${timestamp}.${body}`, "utf8").digest("base64")
    }`

    it("signs with the UTF-8 bytes of a secret without whsec_, as node:crypto does", () => {
      const key = Either.getOrThrow(WebhookSignature.key(plain))
      assert.strictEqual(WebhookSignature.sign(key, { id, timestamp, payload: body }), expected)
    })

    it.effect("verifies a delivery signed with the UTF-8 bytes of a plain secret", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Number(timestamp) * 1000)
        const headers = { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": expected }
        const delivery = yield* Webhooks.verify(new TextEncoder().encode(body), headers)
        assert.deepStrictEqual(delivery, { id, timestamp: Number(timestamp) })
      }).pipe(Effect.provide(WebhookSecret.layer(plain))))

    it.effect("does not base64-decode a secret without whsec_, even when it looks like base64", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(verifyVector(kat))
        assert.strictEqual(error.reason, "NoMatchingSignature")
      }).pipe(Effect.provide(WebhookSecret.layer(kat.secret.slice("whsec_".length)))))
  })

  describe("layerConfig", () => {
    const env = (value: string) =>
      Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", value]])))

    for (const separator of [" ", ",", ", ", " , ", "\n", "\t"]) {
      const value = `${sdk.secret}${separator}${kat.secret}`
      const Live = WebhookSecret.layerConfig().pipe(Layer.provide(env(value)))

      it.effect(`reads two secrets separated by ${JSON.stringify(separator)}`, () =>
        Effect.gen(function*() {
          const secrets = yield* WebhookSecret.WebhookSecret
          assert.strictEqual(secrets.keys.length, 2)
          assert.strictEqual((yield* verifyVector(sdk)).id, sdk.id)
          assert.strictEqual((yield* verifyVector(kat)).id, kat.id)
          const error = yield* Effect.flip(verifyVector(rust))
          assert.strictEqual(error.reason, "NoMatchingSignature")
        }).pipe(Effect.provide(Live)))
    }

    it.effect("reads OPENAI_WEBHOOK_SECRET from the fiber's ConfigProvider", () =>
      Effect.gen(function*() {
        const delivery = yield* Effect.provide(verifyVector(rust), WebhookSecret.layerConfig())
        assert.strictEqual(delivery.id, rust.id)
      }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", rust.secret]])))))

    it.effect("reads another variable when given a Config", () =>
      Effect.gen(function*() {
        const delivery = yield* verifyVector(kat)
        assert.strictEqual(delivery.id, kat.id)
      }).pipe(
        Effect.provide(WebhookSecret.layerConfig(Config.redacted("MY_WEBHOOK_SECRET"))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["MY_WEBHOOK_SECRET", kat.secret]])))
      ))

    it.effect("fails with a ConfigError when OPENAI_WEBHOOK_SECRET is not set", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layerConfig()).pipe(
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OTHER", sdk.secret]])))
          )
        )
        assert.isTrue(ConfigError.isConfigError(error))
        assert.notInstanceOf(error, WebhookError.SecretError)
        assertShowsNone(error, [sdk.secret])
      }))

    for (const value of [",", ",,", ", ,"]) {
      it.effect(`fails with SecretError Missing when OPENAI_WEBHOOK_SECRET holds only separators (${value})`, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layerConfig().pipe(Layer.provide(env(value))))
          )
          assert.instanceOf(error, WebhookError.SecretError)
          if (error instanceof WebhookError.SecretError) assert.strictEqual(error.reason, "Missing")
        }))
    }

    for (const [name, value] of [
      ["a pasted signature", kat.signature],
      ["a pasted signature after a good secret", `${sdk.secret} ${kat.signature}`],
      ["a pasted signature after a good secret and a comma", `${sdk.secret},${kat.signature}`]
    ]) {
      it.effect(`fails with SecretError LooksLikeSignature on ${name}, not TooShort`, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layerConfig().pipe(Layer.provide(env(value!))))
          )
          assert.instanceOf(error, WebhookError.SecretError)
          if (error instanceof WebhookError.SecretError) assert.strictEqual(error.reason, "LooksLikeSignature")
          assertShowsNone(error, [sdk.secret, kat.signature, kat.signature.slice(3)])
        }))
    }

    for (const value of [` ${sdk.secret}`, `${sdk.secret} `, `${sdk.secret} ${kat.secret}\t`, `\n${sdk.secret}`]) {
      it.effect(`fails with SecretError Whitespace on OPENAI_WEBHOOK_SECRET=${JSON.stringify(value)}`, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(
            Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layerConfig().pipe(Layer.provide(env(value))))
          )
          assert.instanceOf(error, WebhookError.SecretError)
          if (error instanceof WebhookError.SecretError) assert.strictEqual(error.reason, "Whitespace")
        }))
    }

    for (const value of [`${sdk.secret}\n`, `${sdk.secret} ${kat.secret}\r\n`]) {
      it.effect(`forgives the final line break of OPENAI_WEBHOOK_SECRET=${JSON.stringify(value)}`, () =>
        Effect.gen(function*() {
          const secrets = yield* WebhookSecret.WebhookSecret
          assert.strictEqual(secrets.keys.length, value.split(" ").length)
          assert.strictEqual((yield* verifyVector(sdk)).id, sdk.id)
        }).pipe(Effect.provide(WebhookSecret.layerConfig().pipe(Layer.provide(env(value))))))
    }

    it.effect("fails with a SecretError naming the bad secret of several, showing none of them", () =>
      Effect.gen(function*() {
        const Live = WebhookSecret.layerConfig().pipe(Layer.provide(env(`${sdk.secret},whsec_ab!c`)))
        const error = yield* Effect.flip(Effect.provide(WebhookSecret.WebhookSecret, Live))
        assert.instanceOf(error, WebhookError.SecretError)
        if (error instanceof WebhookError.SecretError) {
          assert.strictEqual(error.reason, "InvalidBase64")
          assert.include(error.message, "2 of 2")
        }
        assertShowsNone(error, [sdk.secret, "whsec_ab!c"])
      }))
  })

  describe("printing", () => {
    it.effect("shows no secret when printing the service built by make", () =>
      Effect.map(WebhookSecret.make([sdk.secret, Redacted.make(kat.secret)]), (secrets) => {
        assertShowsNone(secrets, [sdk.secret, kat.secret])
        assertShowsNone(secrets.keys, [sdk.secret, kat.secret])
        assert.include(String(secrets), "redacted")
      }))

    it.effect("shows no secret when printing a plain secret's service", () =>
      Effect.map(WebhookSecret.make("a plain-text secret of some length"), (secrets) => {
        assertShowsNone(secrets, ["a plain-text secret of some length"])
      }))
  })
})

describe("one parse for secrets from code and from OPENAI_WEBHOOK_SECRET", () => {
  type Verdict = WebhookError.SecretError["reason"] | "Accepted"

  const verdict = <E>(effect: Effect.Effect<unknown, E>): Verdict =>
    Effect.runSync(
      effect.pipe(
        Effect.as("Accepted" as const),
        Effect.catchAll((error) => Effect.succeed(error instanceof WebhookError.SecretError ? error.reason : "Missing"))
      )
    )
  const fromCode = (value: string) => verdict(WebhookSecret.make(value))
  const fromEnv = (value: string) =>
    verdict(
      Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layerConfig()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", value]])))
      )
    )

  const single = [
    ...rejected.filter(([, input]) => typeof input === "string").map(([name, input]) => [name, input as string]),
    ...accepted.map(([name, input]) => [name, input])
  ]
  for (const [name, input] of single) {
    it(`gives the same verdict on ${name} from code and from the environment`, () => {
      assert.strictEqual(fromEnv(input!), fromCode(input!))
    })
  }

  const Around = FastCheck.constantFrom("", " ", "\t", "\n", "\r\n", "\n\n", " \n", "\r")
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64")
  const Secret = FastCheck.oneof(
    FastCheck.uint8Array({ minLength: 8, maxLength: 48 }).map((bytes) => `whsec_${base64(bytes)}`),
    FastCheck.uint8Array({ minLength: 8, maxLength: 48 }).map((bytes) => `whsec_${base64(bytes).replace(/=+$/, "")}`),
    FastCheck.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `v1,${base64(bytes)}`),
    FastCheck.stringMatching(/^[A-Za-z0-9_-]{0,40}$/)
  )

  it.prop(
    "gives the same verdict from code and from the environment for any secret with any whitespace around it",
    { before: Around, secret: Secret, after: Around },
    ({ after, before, secret }) => {
      const value = `${before}${secret}${after}`
      const code = fromCode(value)
      assert.strictEqual(fromEnv(value), code, JSON.stringify(value))
      if (secret.length > 0 && (before !== "" || !["", "\n", "\r\n"].includes(after))) {
        assert.strictEqual(code, "Whitespace", JSON.stringify(value))
      }
    }
  )
})

describe("whsec_ secrets with and without base64 padding", () => {
  const KeyBytes = FastCheck.uint8Array({ minLength: 16, maxLength: 64 })
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

  it.prop(
    "gives the same key for the padded and the unpadded encoding of any 16 to 64 bytes",
    { bytes: KeyBytes },
    ({ bytes }) => {
      const padded = `whsec_${Buffer.from(bytes).toString("base64")}`
      const unpadded = padded.replace(/=+$/, "")
      const direct = createHmac("sha256", bytes).update("msg_1.1.{}").digest("base64")
      assert.strictEqual(signatureWith(padded), `v1,${direct}`)
      assert.strictEqual(signatureWith(unpadded), `v1,${direct}`)
    }
  )

  it.prop(
    "refuses any truncation that leaves a length of 1 mod 4 or bits set after the last byte, as InvalidBase64",
    { bytes: KeyBytes, cut: FastCheck.integer({ min: 1, max: 40 }) },
    ({ bytes, cut }) => {
      const encoded = Buffer.from(bytes).toString("base64").replace(/=+$/, "")
      const kept = encoded.slice(0, Math.max(0, encoded.length - cut))
      const rest = kept.length % 4
      // The bits of the last character that no whole byte uses: 4 when 2 characters remain, 2 when 3 do.
      const last = ALPHABET.indexOf(kept.at(-1) ?? "A")
      const strayBits = rest === 2 ? last & 0b1111 : rest === 3 ? last & 0b11 : 0
      const result = WebhookSignature.key(`whsec_${kept}`)
      if (rest === 1 || strayBits !== 0) {
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) assert.strictEqual(result.left.reason, "InvalidBase64")
      } else {
        const bytesKept = Math.floor((kept.length * 6) / 8)
        assert.strictEqual(Either.isRight(result), bytesKept >= 16)
      }
    }
  )
})

// Kept last on purpose: @effect/vitest 0.30's `layer` rebinds the module-wide `it.effect` to its shared runtime
// (Object.assign on vitest's `it`), so top-level tests registered after it would share its TestClock and secret.
layer(
  WebhookSecret.layerConfig().pipe(
    Layer.provide(
      Layer.setConfigProvider(
        ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET", `${sdk.secret} ${kat.secret}`]]))
      )
    )
  )
)("WebhookSecret.layerConfig shared by several tests", (it) => {
  it.effect("prints the service read from config without its secrets", () =>
    Effect.map(WebhookSecret.WebhookSecret, (secrets) => {
      assert.strictEqual(secrets.keys.length, 2)
      assertShowsNone(secrets, [sdk.secret, kat.secret])
    }))

  for (const v of [sdk, kat]) {
    it.effect(`accepts a delivery signed with either secret of the rotation (${v.name})`, () =>
      Effect.map(verifyVector(v), (delivery) => {
        assert.deepStrictEqual(delivery, { id: v.id, timestamp: Number(v.timestamp) })
      }))
  }

  it.effect("rejects a delivery signed with a third secret", () =>
    Effect.map(Effect.flip(verifyVector(rust)), (error) => {
      assert.strictEqual(error.reason, "NoMatchingSignature")
      assertShowsNone(error, [sdk.secret, kat.secret, rust.secret, rust.signature])
    }))
})
