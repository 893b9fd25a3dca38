import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Schema } from "effect"
import { Json, Secret, Signature } from "openai-webhooks-engine"
import { WebhookError } from "effect4-openai-webhooks"

describe("WebhookError", () => {
  it("declares the engine's reasons, so both editions accept the same literals", () => {
    assert.deepStrictEqual(WebhookError.SignatureError.fields.reason.literals, Signature.reasons)
    assert.deepStrictEqual(WebhookError.SecretError.fields.reason.literals, Secret.reasons)
    assert.deepStrictEqual(WebhookError.DecodeError.fields.reason.literals, Json.reasons)
  })

  it("refuses a reason the engine does not have", () => {
    const decode = Schema.decodeUnknownExit(WebhookError.SignatureError)
    assert.isTrue(decode({ _tag: "SignatureError", reason: "NoMatchingSignature", message: "m" })._tag === "Success")
    assert.isTrue(decode({ _tag: "SignatureError", reason: "Nope", message: "m" })._tag === "Failure")
  })

  it.effect("IllegalArgumentError is Effect's own: same _tag, Cause.isIllegalArgumentError holds", () =>
    Effect.gen(function*() {
      const error = new WebhookError.IllegalArgumentError({ reason: "OutOfRange", option: "maxBodySize", message: "m" })
      assert.isTrue(Cause.isIllegalArgumentError(error))
      assert.instanceOf(error, Error)
      const caught = yield* Effect.fail(error).pipe(
        Effect.catchTag("IllegalArgumentError", (e) => Effect.succeed(`${e.option}: ${e.reason}`))
      )
      assert.strictEqual(caught, "maxBodySize: OutOfRange")
    }))

  it("keeps an absent optional field absent (exact optional keys)", () => {
    const error = new WebhookError.DecodeError({ reason: "InvalidJson", message: "m" })
    assert.isFalse("path" in error)
    assert.strictEqual(error.message, "m")
  })
})
