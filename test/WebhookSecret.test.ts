import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { Config, ConfigError, ConfigProvider, Effect, Either, FastCheck, Layer, Redacted, TestClock } from "effect"
import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tables from "../packages/engine/test/tables/secrets.js"
import { kat, sdk, rust, vectors, type Vector } from "./fixtures/vectors.js"
import { assertShowsNone as expectShowsNone, assertVerdict } from "./support/tables.js"
import { WebhookError, Webhooks, WebhookSecret, WebhookSignature } from "../src/index.js"

const headersOf = (v: Vector) => ({
  "webhook-id": v.id,
  "webhook-timestamp": v.timestamp,
  "webhook-signature": v.signature
})

/** Verifies vector `v` at its own timestamp against the WebhookSecret in context. */
const verifyVector = (v: Vector) =>
  Effect.zipRight(TestClock.setTime(Number(v.timestamp) * 1000), Webhooks.verify(v.body, headersOf(v)))

/** Asserts that no printing of `value` shows anything of `secrets` (the engine's check). */
const assertShowsNone = (value: unknown, secrets: ReadonlyArray<string>) =>
  expectShowsNone(value, secrets.flatMap(tables.revealingSecret))

type Input = WebhookSecret.SecretInput | ReadonlyArray<WebhookSecret.SecretInput>

const plainStrings = (input: Input): ReadonlyArray<string> =>
  (typeof input === "string" || Redacted.isRedacted(input) ? [input] : input).map((item) =>
    typeof item === "string" ? item : Redacted.value(item)
  )

const fromLayer = (input: Input) => Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layer(input))

interface Rejected {
  readonly name: string
  readonly input: Input
  readonly reason: WebhookError.SecretError["reason"]
  readonly message?: string | RegExp | undefined
}

/** The engine's refused secrets, and the same given as `Redacted`, which only this edition's API takes. */
const rejected: ReadonlyArray<Rejected> = [
  ...tables.rejected,
  { name: "an empty Redacted", input: Redacted.make(""), reason: "Missing" },
  { name: "a Redacted secret with a trailing space", input: Redacted.make(`${sdk.secret} `), reason: "Whitespace" },
  {
    name: "a bad first secret, Redacted, beside a good one",
    input: [Redacted.make(` ${kat.secret}`), sdk.secret],
    reason: "Whitespace",
    message: /^Webhook secret 1 of 2 has whitespace around it/
  }
]

/** The signature `secret` gives a fixed delivery: two secrets are the same key when these are equal. */
const signatureWith = (secret: string) =>
  WebhookSignature.sign(Either.getOrThrow(WebhookSignature.key(secret)), { id: "msg_1", timestamp: 1, payload: "{}" })

describe("WebhookSecret", () => {
  describe("make and layer", () => {
    for (const { input, message, name, reason } of rejected) {
      it.effect(`make rejects ${name} (${reason})`, () =>
        Effect.map(Effect.either(WebhookSecret.make(input)), (result) =>
          assertVerdict(result, { ok: false, reason, message }, WebhookError.SecretError)))

      it.effect(`layer rejects ${name} (${reason})`, () =>
        Effect.map(Effect.either(fromLayer(input)), (result) =>
          assertVerdict(result, { ok: false, reason, message }, WebhookError.SecretError)))

      it.effect(`shows no secret when rejecting ${name}`, () =>
        Effect.map(Effect.flip(WebhookSecret.make(input)), (error) => assertShowsNone(error, plainStrings(input))))

      if (typeof input === "string") {
        it(`WebhookSignature.key rejects ${name} alike (${reason})`, () =>
          assertVerdict(WebhookSignature.key(input), { ok: false, reason, message }, WebhookError.SecretError))
      }
    }

    for (const row of tables.accepted) {
      it.effect(`accepts ${row.name}${row.sameAs === undefined ? "" : ", as the same key"}`, () =>
        Effect.gen(function*() {
          const secrets = yield* WebhookSecret.make(row.input)
          assert.strictEqual(secrets.keys.length, row.keys)
          if (row.sameAs !== undefined && typeof row.input === "string") {
            assert.strictEqual(signatureWith(row.input), signatureWith(row.sameAs))
          }
        }))
    }

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

    // The engine's configured values, through the layer: the same keys, or the same refusal.
    for (const row of tables.lists) {
      const Live = WebhookSecret.layerConfig().pipe(Layer.provide(env(row.value)))
      const expected = row.expected
      if (expected.ok) {
        it.effect(`reads ${row.name}`, () =>
          Effect.gen(function*() {
            const secrets = yield* WebhookSecret.WebhookSecret
            assert.strictEqual(secrets.keys.length, expected.secrets.length)
            // Each vector verifies exactly when its secret is among those configured.
            for (const v of vectors.valid) {
              const result = yield* Effect.either(verifyVector(v))
              assert.strictEqual(Either.isRight(result), expected.secrets.includes(v.secret), v.name)
              if (Either.isLeft(result)) assert.strictEqual(result.left.reason, "NoMatchingSignature")
            }
          }).pipe(Effect.provide(Live)))
      } else {
        it.effect(`fails with SecretError ${expected.reason} on ${row.name}, showing no secret`, () =>
          Effect.map(Effect.either(Effect.provide(WebhookSecret.WebhookSecret, Live)), (result) => {
            const verdict = { ok: false, reason: expected.reason, message: expected.message } as const
            assertVerdict(result, verdict, WebhookError.SecretError)
            if (Either.isLeft(result)) {
              assertShowsNone(result.left, [sdk.secret, kat.secret, rust.secret, kat.signature, kat.signature.slice(3)])
            }
          }))
      }
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
  })

  describe("layerConfig from a file (OPENAI_WEBHOOK_SECRET_FILE)", () => {
    // Real files, as Docker and Kubernetes mount them.
    const folder = mkdtempSync(join(tmpdir(), "webhook-secret-"))
    afterAll(() => rmSync(folder, { recursive: true, force: true }))
    const file = (name: string, contents: string) => {
      const path = join(folder, name)
      writeFileSync(path, contents)
      return path
    }
    const build = (variables: Record<string, string>) =>
      Effect.provide(WebhookSecret.WebhookSecret, WebhookSecret.layerConfig()).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))
      )
    /** The ConfigError building with `variables` gives, and its rendering, which must show no secret. */
    const refusal = (variables: Record<string, string>, secrets: ReadonlyArray<string> = [rust.secret]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(build(variables))
        assert.isTrue(ConfigError.isConfigError(error), String(error))
        assertShowsNone(error, secrets)
        return String(error)
      })

    it.effect("reads the secret from the file, written by echo (one final line break)", () =>
      Effect.gen(function*() {
        const path = file("echoed", `${rust.secret}\n`)
        const delivery = yield* Effect.provide(verifyVector(rust), WebhookSecret.layerConfig()).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OPENAI_WEBHOOK_SECRET_FILE", path]])))
        )
        assert.strictEqual(delivery.id, rust.id)
      }))

    it.effect("reads a rotation list from the file, with OPENAI_WEBHOOK_SECRET set to the empty string", () =>
      Effect.gen(function*() {
        const path = file("rotation", `${sdk.secret} ${kat.secret}\r\n`)
        const secrets = yield* build({ OPENAI_WEBHOOK_SECRET: "", OPENAI_WEBHOOK_SECRET_FILE: path })
        assert.strictEqual(secrets.keys.length, 2)
      }))

    it.effect("refuses both variables set, naming both and neither value", () =>
      Effect.gen(function*() {
        const path = file("both", rust.secret)
        const shown = yield* refusal({ OPENAI_WEBHOOK_SECRET: sdk.secret, OPENAI_WEBHOOK_SECRET_FILE: path }, [
          sdk.secret,
          rust.secret
        ])
        assert.include(shown, "OPENAI_WEBHOOK_SECRET_FILE")
        assert.include(shown, "both OPENAI_WEBHOOK_SECRET and OPENAI_WEBHOOK_SECRET_FILE are set")
      }))

    it.effect("refuses a file that does not exist, naming the variable and the path", () =>
      Effect.gen(function*() {
        const path = join(folder, "absent")
        const shown = yield* refusal({ OPENAI_WEBHOOK_SECRET_FILE: path })
        assert.include(shown, "OPENAI_WEBHOOK_SECRET_FILE")
        assert.include(shown, `cannot read ${path}: there is no such file`)
      }))

    it.effect("refuses a folder, and an empty file", () =>
      Effect.gen(function*() {
        assert.include(yield* refusal({ OPENAI_WEBHOOK_SECRET_FILE: folder }), "it is a folder, not a file")
        const empty = file("empty", "\n")
        assert.include(yield* refusal({ OPENAI_WEBHOOK_SECRET_FILE: empty }), `the file ${empty} is empty`)
      }))

    it.effect("refuses a malformed secret in the file with the SecretError the variable would give", () =>
      Effect.gen(function*() {
        const path = file("malformed", "whsec_ab!c")
        const error = yield* Effect.flip(build({ OPENAI_WEBHOOK_SECRET_FILE: path }))
        assert.instanceOf(error, WebhookError.SecretError)
        assert.strictEqual((error as WebhookError.SecretError).reason, "InvalidBase64")
      }))

    it.effect("still fails with a ConfigError MissingData when neither is set", () =>
      Effect.gen(function*() {
        const shown = yield* refusal({})
        assert.include(shown, "OPENAI_WEBHOOK_SECRET or OPENAI_WEBHOOK_SECRET_FILE")
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

  const single = [...tables.rejected, ...tables.accepted].flatMap(({ input, name }) =>
    typeof input === "string" ? [[name, input] as const] : []
  )
  for (const [name, input] of single) {
    it(`gives the same verdict on ${name} from code and from the environment`, () => {
      assert.strictEqual(fromEnv(input), fromCode(input))
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
