import { afterAll, assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tables from "../../engine/test/tables/secrets.js"
import { kat, rust, sdk, type Vector, vectors } from "../../engine/test/tables/vectors.js"
import { WebhookError, Webhooks, WebhookSecret, WebhookSignature } from "effect4-openai-webhooks"
import { assertShowsNone, assertVerdict } from "./support/tables.js"

const headersOf = (v: Vector) => ({
  "webhook-id": v.id,
  "webhook-timestamp": v.timestamp,
  "webhook-signature": v.signature
})

/** Verifies vector `v` at its own timestamp against the WebhookSecret in context. */
const verifyVector = (v: Vector) =>
  Effect.andThen(TestClock.setTime(Number(v.timestamp) * 1000), Webhooks.verify(v.body, headersOf(v)))

type Input = WebhookSecret.SecretInput | ReadonlyArray<WebhookSecret.SecretInput>

const plainStrings = (input: Input): ReadonlyArray<string> =>
  (typeof input === "string" || Redacted.isRedacted(input) ? [input] : input).map((item) =>
    typeof item === "string" ? item : Redacted.value(item)
  )

const showsNoSecret = (value: unknown, secrets: ReadonlyArray<string>) =>
  assertShowsNone(value, secrets.flatMap(tables.revealingSecret))

const service = Effect.service(WebhookSecret.WebhookSecret)

const fromLayer = (input: Input) => Effect.provide(service, WebhookSecret.layer(input))

/** The service `layerConfig()` builds from these environment variables (Effect 4's `ConfigProvider.fromEnv`). */
const fromEnvironment = (
  env: Record<string, string>,
  options: { readonly preserveEmptyStrings?: boolean } = {}
) =>
  Effect.provide(
    service,
    WebhookSecret.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env, ...options }))))
  )

/** The signature `secret` gives a fixed delivery: two secrets are the same key when these are equal. */
const signatureWith = (secret: string) =>
  WebhookSignature.sign(Result.getOrThrow(WebhookSignature.key(secret)), { id: "msg_1", timestamp: 1, payload: "{}" })

/** The engine's refused secrets, and the same given as `Redacted`, which only the editions' API takes. */
const rejected: ReadonlyArray<{
  readonly name: string
  readonly input: Input
  readonly reason: WebhookError.SecretError["reason"]
  readonly message?: string | RegExp | undefined
}> = [
  ...tables.rejected,
  { name: "an empty Redacted", input: Redacted.make(""), reason: "Missing" },
  { name: "a Redacted secret with a trailing space", input: Redacted.make(`${sdk.secret} `), reason: "Whitespace" }
]

describe("WebhookSecret", () => {
  describe("make and layer (the engine's secrets table)", () => {
    for (const { input, message, name, reason } of rejected) {
      it.effect(`make and layer reject ${name} (${reason}), showing no secret`, () =>
        Effect.gen(function*() {
          const made = yield* Effect.result(WebhookSecret.make(input))
          assertVerdict(made, { ok: false, reason, message }, WebhookError.SecretError)
          const layered = yield* Effect.result(fromLayer(input))
          assertVerdict(layered, { ok: false, reason, message }, WebhookError.SecretError)
          if (Result.isFailure(made)) showsNoSecret(made.failure, plainStrings(input))
        }))

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

    for (const v of vectors.valid) {
      it.effect(`verifies the ${v.name} vector with its secret given to layer as Redacted`, () =>
        Effect.map(verifyVector(v), (delivery) => assert.strictEqual(delivery.id, v.id)).pipe(
          Effect.provide(WebhookSecret.layer(Redacted.make(v.secret)))
        ))
    }

    it.effect("verifies a delivery signed with the UTF-8 bytes of a plain (not whsec_) secret", () =>
      Effect.gen(function*() {
        const plain = "a plain-text secret, not whsec: héllo ☃"
        const mac = createHmac("sha256", Buffer.from(plain, "utf8")).update("msg_plain.1700000000.{}").digest("base64")
        yield* TestClock.setTime(1_700_000_000_000)
        const headers = {
          "webhook-id": "msg_plain",
          "webhook-timestamp": "1700000000",
          "webhook-signature": `v1,${mac}`
        }
        const delivery = yield* Webhooks.verify("{}", headers)
        assert.deepStrictEqual(delivery, { id: "msg_plain", timestamp: 1_700_000_000 })
      }).pipe(Effect.provide(WebhookSecret.layer("a plain-text secret, not whsec: héllo ☃"))))

    it.effect("prints the service without its secrets", () =>
      Effect.map(WebhookSecret.make([sdk.secret, Redacted.make(kat.secret)]), (secrets) => {
        showsNoSecret(secrets, [sdk.secret, kat.secret])
        assert.strictEqual(String(secrets), "WebhookSecret(2 keys, redacted)")
      }))
  })

  describe("layerConfig (the engine's configured values, from the environment)", () => {
    // Every row through OPENAI_WEBHOOK_SECRET: the same keys, or the same refusal. Effect 4's ConfigProvider.fromEnv
    // reads an empty variable as unset unless told to keep it: kept, the empty value reaches the secret's own check.
    for (const row of tables.lists) {
      const expected = row.expected
      const built = fromEnvironment({ OPENAI_WEBHOOK_SECRET: row.value }, { preserveEmptyStrings: true })
      if (expected.ok) {
        it.effect(`reads ${row.name}`, () =>
          Effect.gen(function*() {
            const secrets = yield* built
            assert.strictEqual(secrets.keys.length, expected.secrets.length)
            // Each vector verifies exactly when its secret is among those configured.
            for (const v of vectors.valid) {
              const verified = Effect.provideService(verifyVector(v), WebhookSecret.WebhookSecret, secrets)
              const result = yield* Effect.result(verified)
              assert.strictEqual(Result.isSuccess(result), expected.secrets.includes(v.secret), v.name)
            }
          }))
      } else {
        it.effect(`fails with SecretError ${expected.reason} on ${row.name}, showing no secret`, () =>
          Effect.map(Effect.result(built), (result) => {
            const verdict = { ok: false, reason: expected.reason, message: expected.message } as const
            assertVerdict(result, verdict, WebhookError.SecretError)
            if (Result.isFailure(result)) {
              const shown = [sdk.secret, kat.secret, rust.secret, kat.signature, kat.signature.slice(3)]
              assertShowsNone(result.failure, shown)
            }
          }))
      }
    }

    it.effect("fails with a ConfigError naming the variable when it is empty and the provider drops empty values", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromEnvironment({ OPENAI_WEBHOOK_SECRET: "" }))
        assert.instanceOf(error, Config.ConfigError)
        assert.include(String(error), "Expected OPENAI_WEBHOOK_SECRET or OPENAI_WEBHOOK_SECRET_FILE to be set")
      }))

    it.effect("reads OPENAI_WEBHOOK_SECRET from the ConfigProvider in context", () =>
      Effect.gen(function*() {
        const delivery = yield* Effect.provide(verifyVector(rust), WebhookSecret.layerConfig())
        assert.strictEqual(delivery.id, rust.id)
      }).pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { OPENAI_WEBHOOK_SECRET: rust.secret } })))
      ))

    it.effect("reads another variable, as Redacted, when given a Config", () =>
      Effect.gen(function*() {
        const delivery = yield* verifyVector(kat)
        assert.strictEqual(delivery.id, kat.id)
      }).pipe(
        Effect.provide(WebhookSecret.layerConfig(Config.Redacted("MY_WEBHOOK_SECRET"))),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { MY_WEBHOOK_SECRET: kat.secret } })))
      ))

    it.effect("fails with a ConfigError, not a SecretError, when OPENAI_WEBHOOK_SECRET is not set", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromEnvironment({ OTHER: sdk.secret }))
        assert.instanceOf(error, Config.ConfigError)
        assert.notInstanceOf(error, WebhookError.SecretError)
        assert.include(String(error), "OPENAI_WEBHOOK_SECRET")
        showsNoSecret(error, [sdk.secret])
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
    /** The ConfigError building with `env` gives, as printed; it must show no secret. */
    const refusal = (env: Record<string, string>, secrets: ReadonlyArray<string> = [rust.secret]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromEnvironment(env))
        assert.instanceOf(error, Config.ConfigError, String(error))
        showsNoSecret(error, secrets)
        return String(error)
      })

    it.effect("reads the secret from the file, written by echo (one final line break), and verifies with it", () =>
      Effect.gen(function*() {
        const path = file("echoed", `${rust.secret}\n`)
        const secrets = yield* fromEnvironment({ OPENAI_WEBHOOK_SECRET_FILE: path })
        const delivery = yield* Effect.provideService(verifyVector(rust), WebhookSecret.WebhookSecret, secrets)
        assert.strictEqual(delivery.id, rust.id)
      }))

    it.effect("reads a rotation list from the file", () =>
      Effect.gen(function*() {
        const path = file("rotation", `${sdk.secret} ${kat.secret}\r\n`)
        const secrets = yield* fromEnvironment({ OPENAI_WEBHOOK_SECRET_FILE: path })
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
        const error = yield* Effect.flip(fromEnvironment({ OPENAI_WEBHOOK_SECRET_FILE: path }))
        assert.instanceOf(error, WebhookError.SecretError)
        assert.strictEqual((error as WebhookError.SecretError).reason, "InvalidBase64")
      }))
  })
})

describe("one parse for secrets from code and from OPENAI_WEBHOOK_SECRET", () => {
  const verdict = <E>(effect: Effect.Effect<unknown, E>): string =>
    Effect.runSync(
      effect.pipe(
        Effect.as("Accepted"),
        Effect.catch((error) => Effect.succeed(error instanceof WebhookError.SecretError ? error.reason : "Missing"))
      )
    )
  const single = [...tables.rejected, ...tables.accepted].flatMap(({ input, name }) =>
    typeof input === "string" ? [[name, input] as const] : []
  )
  for (const [name, input] of single) {
    it(`gives the same verdict on ${name} from code and from the environment`, () => {
      const fromEnv = verdict(fromEnvironment({ OPENAI_WEBHOOK_SECRET: input }, { preserveEmptyStrings: true }))
      assert.strictEqual(fromEnv, verdict(WebhookSecret.make(input)))
    })
  }
})
