/**
 * The token rule of the receiver's operator endpoints (`packages/cli/src/receiver/access.ts`): the variable it reads,
 * the constant-time comparison, and the ways a request carries the token, through a real server on loopback.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted, Result, Schema } from "effect"
import * as Access from "../src/receiver/access.js"
import { Reply } from "openai-webhooks-engine"
import { listenLoopback } from "../../effect4/test/support/mount.js"

const TOKEN = "tok_0123456789abcdef-XYZ"

const read = (value: string | undefined) =>
  Effect.runSync(Effect.result(
    Effect.provideService(
      Access.config("WEBHOOK_INSPECTOR_TOKEN"),
      ConfigProvider.ConfigProvider,
      ConfigProvider.fromEnv({
        env: value === undefined ? {} : { WEBHOOK_INSPECTOR_TOKEN: value },
        preserveEmptyStrings: true
      })
    )
  ))

/** A token as a variable may hold one: visible ASCII, at least 16 characters. */
const token = Schema.String.check(Schema.isPattern(new RegExp(`^[\\x21-\\x7e]{${Access.MIN_LENGTH},}$`)))

describe("Access.config", () => {
  it("is None when the variable is unset", () => {
    assert.deepStrictEqual(read(undefined), Result.succeed(Option.none()))
  })

  it("takes a token of 16 visible ASCII characters, kept redacted", () => {
    const result = read("0123456789abcdef")
    assert.isTrue(Result.isSuccess(result) && Option.isSome(result.success))
    const redacted = Option.getOrThrow(Result.getOrThrow(result))
    assert.strictEqual(Redacted.value(redacted), "0123456789abcdef")
    assert.notInclude(String(redacted), "0123456789abcdef")
  })

  for (const [what, value] of [
    ["empty", ""],
    ["15 characters", "0123456789abcde"],
    ["a space inside", "0123456789 abcdef"],
    ["a line break after it", "0123456789abcdef\n"],
    ["non-ASCII", "0123456789abcdefé"]
  ] as const) {
    it(`refuses a token that is ${what}, naming the variable and never showing the value`, () => {
      const result = read(value)
      assert.isTrue(Result.isFailure(result))
      const message = String(Result.getFailure(result).pipe(Option.getOrThrow))
      assert.include(message, "WEBHOOK_INSPECTOR_TOKEN")
      if (value.length > 0) assert.notInclude(message, value.trim())
    })
  }
})

describe("Access.make", () => {
  it.prop("matches a candidate exactly when it is the token", [token, Schema.String], ([secret, other]) => {
    const check = Access.make(Redacted.make(secret))
    assert.isTrue(check.matches(secret))
    assert.strictEqual(check.matches(other), other === secret)
    assert.isFalse(check.matches(secret.slice(0, -1)))
    assert.isFalse(check.matches(`${secret} `))
    assert.isFalse(check.matches(undefined))
    assert.isFalse(check.matches(null))
  })

  it("generates tokens the config accepts, different each time", () => {
    const one = Redacted.value(Access.generate())
    const two = Redacted.value(Access.generate())
    assert.notStrictEqual(one, two)
    assert.isTrue(Result.isSuccess(read(one)))
    assert.strictEqual(encodeURIComponent(one), one)
  })

  /** Answers 204 to a request the check allows (saying how it carried the token), 401 to any other. */
  const serve = (check: Access.Check) =>
    listenLoopback((request, response) => {
      const carrier = check.carrier(request)
      assert.strictEqual(check.allows(request), carrier !== undefined)
      return carrier !== undefined
        ? response.writeHead(204, { "x-carrier": carrier }).end()
        : Reply.toNode(response, Access.UNAUTHORIZED)
    })

  const carrierOf = (port: number, headers: Record<string, string>) =>
    Effect.promise(() =>
      fetch(`http://127.0.0.1:${port}/inbox`, { headers }).then((response) => response.headers.get("x-carrier"))
    )

  it.effect("says the token came as a bearer token", () =>
    Effect.gen(function*() {
      const { port } = yield* serve(Access.make(Redacted.make(TOKEN)))
      assert.strictEqual(yield* carrierOf(port, { authorization: `Bearer ${TOKEN}` }), "bearer")
      assert.isNull(yield* carrierOf(port, { authorization: "Bearer wrong" }))
    }))

  const statusOf = (port: number, headers: Record<string, string>) =>
    Effect.promise(() => fetch(`http://127.0.0.1:${port}/inbox`, { headers }).then((response) => response.status))

  it.effect("allows a request carrying the token as a bearer token, in any case of the scheme", () =>
    Effect.gen(function*() {
      const { port } = yield* serve(Access.make(Redacted.make(TOKEN)))
      assert.strictEqual(yield* statusOf(port, { authorization: `Bearer ${TOKEN}` }), 204)
      assert.strictEqual(yield* statusOf(port, { authorization: `bearer ${TOKEN}` }), 204)
      assert.strictEqual(yield* statusOf(port, {}), 401)
      assert.strictEqual(yield* statusOf(port, { authorization: `Bearer ${TOKEN}x` }), 401)
      assert.strictEqual(yield* statusOf(port, { authorization: `Basic ${TOKEN}` }), 401)
      assert.strictEqual(yield* statusOf(port, { authorization: TOKEN }), 401)
      // A cookie holding the token is not enough: the inspector's cookie is WebhookInspector's (its own test).
      assert.strictEqual(yield* statusOf(port, { cookie: `inspector=${TOKEN}` }), 401)
      assert.strictEqual(yield* statusOf(port, { cookie: `inspector_token=${TOKEN}` }), 401)
    }))

  it.effect("refuses with 401, a bearer challenge and no-store, and nothing of the token", () =>
    Effect.gen(function*() {
      const { port } = yield* serve(Access.make(Redacted.make(TOKEN)))
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/inbox/api/deliveries`))
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.headers.get("www-authenticate"), "Bearer")
      assert.strictEqual(response.headers.get("cache-control"), "no-store")
      const body = yield* Effect.promise(() => response.text())
      assert.deepStrictEqual(JSON.parse(body), { error: { type: "Unauthorized" } })
      assert.notInclude(body, TOKEN)
    }))
})
