import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { WebhookError, WebhookEvent, Webhooks, WebhookSecret, WebhookTesting } from "effect4-openai-webhooks"
import { referenceOf } from "../../engine/test/tables/events.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

const exampleOf = (type: string) => referenceOf(type).example

describe("WebhookTesting", () => {
  describe("samples", () => {
    for (const type of WebhookEvent.EventType.literals) {
      it(`samples ${type} as the reference example`, () => {
        const event = WebhookTesting.sample(type)
        assert.strictEqual(event._tag, type)
        assert.notInstanceOf(event, WebhookEvent.UnknownWebhookEvent)
        const json = WebhookTesting.encode(event)
        assert.strictEqual(json, JSON.stringify(exampleOf(type)))
        assert.deepStrictEqual<unknown>(Schema.encodeSync(WebhookEvent.UnwrapWebhookEvent)(event), exampleOf(type))
      })
    }

    it("gives one sample of every type, in the order of EventType", () => {
      const samples = WebhookTesting.samples()
      assert.strictEqual(samples.length, 33)
      assert.deepStrictEqual(samples.map((event) => event._tag), [...WebhookEvent.EventType.literals])
      for (const [index, event] of samples.entries()) {
        assert.instanceOf(event, WebhookEvent.classes[index] as new(...args: Array<any>) => unknown)
      }
    })

    it("types a sample by its type", () => {
      const call = WebhookTesting.sample("realtime.call.incoming")
      assert.strictEqual(call.data.callId, "rtc_u0_479a275623b54bdb9b6fbae2f7cbd408")
      const session = WebhookTesting.sample("agent.session.created")
      assert.strictEqual(session.data.connect?.remoteUrl, "wss://example.com/connect")
    })
  })

  layer(WebhookSecret.layer(secret))((it) => {
    describe("sign", () => {
      for (const event of WebhookTesting.samples()) {
        it.effect(`signs ${event._tag} so that Webhooks.unwrap gives back an equal event`, () =>
          Effect.gen(function*() {
            const signed = yield* WebhookTesting.sign({ event, secret })
            assert.strictEqual(signed.body, WebhookTesting.encode(event))
            const unwrapped = yield* Webhooks.unwrap(signed.body, signed.headers)
            assert.strictEqual(unwrapped.constructor, event.constructor)
            assert.deepStrictEqual(unwrapped, event)
          }))
      }

      it.effect("signs an unknown event so that Webhooks.unwrap gives it back", () =>
        Effect.gen(function*() {
          const event = new WebhookEvent.UnknownWebhookEvent({
            id: "evt_new",
            object: "event",
            createdAt: 1719168000,
            type: "brand.new.event",
            data: { id: "thing_1", list: [1, 2] }
          })
          const signed = yield* WebhookTesting.sign({ event, secret })
          const unwrapped = yield* Webhooks.unwrap(signed.body, signed.headers)
          assert.instanceOf(unwrapped, WebhookEvent.UnknownWebhookEvent)
          assert.deepStrictEqual(unwrapped, event)
        }))

      it.effect("stamps the delivery with the Clock's time and the given id", () =>
        Effect.gen(function*() {
          yield* TestClock.setTime(1_719_168_000_500)
          const signed = yield* WebhookTesting.sign({
            event: WebhookTesting.sample("batch.completed"),
            secret,
            id: "msg_fixed"
          })
          assert.strictEqual(signed.headers["webhook-id"], "msg_fixed")
          assert.strictEqual(signed.headers["webhook-timestamp"], "1719168000")
          assert.strictEqual(signed.headers["content-type"], "application/json")
          assert.match(signed.headers["webhook-signature"], /^v1,[A-Za-z0-9+/]+={0,2}$/)
          const delivery = yield* Webhooks.verify(signed.body, signed.headers)
          assert.strictEqual(delivery.id, "msg_fixed")
        }))

      it.effect("signs a raw payload byte for byte", () =>
        Effect.gen(function*() {
          const payload = JSON.stringify({ ...exampleOf("video.completed"), extra: "kept" })
          const signed = yield* WebhookTesting.sign({ payload, secret })
          assert.strictEqual(signed.body, payload)
          const event = yield* Webhooks.unwrap(signed.body, signed.headers)
          assert.strictEqual(event._tag, "video.completed")
        }))

      it.effect("signs with another secret so that unwrap rejects the delivery", () =>
        Effect.gen(function*() {
          const signed = yield* WebhookTesting.sign({
            event: WebhookTesting.sample("response.completed"),
            secret: "whsec_" + Buffer.alloc(32, 7).toString("base64")
          })
          const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
          assert.instanceOf(error, WebhookError.SignatureError)
          assert.strictEqual(error.reason, "NoMatchingSignature")
        }))
    })
  })
})

describe("WebhookTesting.unsafeSign", () => {
  it("signs without Effect, as sign does, and throws the SecretError itself on a bad secret", () => {
    const signed = WebhookTesting.unsafeSign({ payload: "{}", secret, id: "msg_1", timestamp: 1_750_861_210 })
    assert.deepStrictEqual(signed.headers["webhook-timestamp"], "1750861210")
    assert.match(signed.headers["webhook-signature"], /^v1,/)
    assert.throws(() => WebhookTesting.unsafeSign({ payload: "{}", secret: "whsec_ab!c" }), /base64/)
    try {
      WebhookTesting.unsafeSign({ payload: "{}", secret: "whsec_ab!c" })
    } catch (error) {
      assert.instanceOf(error, WebhookError.SecretError)
    }
  })
})
