import { assert, describe, it, layer } from "@effect/vitest"
import * as Headers from "@effect/platform/Headers"
import { Deferred, Duration, Effect, Either, TestClock } from "effect"
import type * as http from "node:http"
import * as net from "node:net"
import { listenLoopback } from "./support/http.js"
import { shapes } from "../packages/engine/test/tables/headers.js"
import { revealing, type Verification, verifications } from "../packages/engine/test/tables/signatures.js"
import { kat, sdk, rust, vectors, type Vector } from "./fixtures/vectors.js"
import { assertShowsNone, assertVerdict } from "./support/tables.js"
import { WebhookError, Webhooks, WebhookSecret, WebhookTesting } from "../src/index.js"

const ts = Number(kat.timestamp)

const withKat = Effect.provide(WebhookSecret.layer(kat.secret))

/** Sets the TestClock to a Unix time in seconds. */
const at = (seconds: number) => TestClock.setTime(seconds * 1000)

const headersOf = (v: Vector, signature: string = v.signature): Record<string, string> => ({
  "webhook-id": v.id,
  "webhook-timestamp": v.timestamp,
  "webhook-signature": signature
})

/**
 * What Node's HTTP parser makes of a request sent with these raw header lines: the headers and the body
 * its listener receives (a real server on a loopback port, for as long as the scope lasts).
 */
const receivedByNode = (headerLines: ReadonlyArray<string>, body: string) =>
  Effect.gen(function*() {
    const received = yield* Deferred.make<{ readonly headers: http.IncomingHttpHeaders; readonly body: Buffer }>()
    const { port } = yield* listenLoopback((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        Deferred.unsafeDone(received, Effect.succeed({ headers: request.headers, body: Buffer.concat(chunks) }))
        response.writeHead(204).end()
      })
    })
    const socket = net.connect(port, "127.0.0.1")
    yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
    socket.end(
      ["POST /webhooks HTTP/1.1", "Host: 127.0.0.1", ...headerLines, `Content-Length: ${Buffer.byteLength(body)}`]
        .join("\r\n") + `\r\n\r\n${body}`
    )
    return yield* Deferred.await(received)
  })

/** A row's headers as a plain record, an absent header left out. */
const headersOfRow = (row: Verification): Record<string, string> => {
  const headers: Record<string, string> = {}
  if (row.id !== undefined) headers["webhook-id"] = row.id
  if (row.timestamp !== undefined) headers["webhook-timestamp"] = row.timestamp
  if (row.signature !== undefined) headers["webhook-signature"] = row.signature
  return headers
}

describe("Webhooks.verify", () => {
  // The engine's rows, through Webhooks.verify with the TestClock at the row's time and the rows' secrets as the
  // WebhookSecret: the same verdict, reason, header and message, and nothing secret in the error.
  describe("the engine's verification table", () => {
    for (const row of verifications) {
      const verb = row.expected.ok ? "verifies" : `rejects (${row.expected.reason})`
      it.effect(`${verb} ${row.name}, from the body as text and as bytes`, () =>
        Effect.gen(function*() {
          yield* at(row.now)
          const options = row.tolerance === undefined ? undefined : { tolerance: Duration.seconds(row.tolerance) }
          for (const body of [row.body, new TextEncoder().encode(row.body)]) {
            const result = yield* Effect.either(Webhooks.verify(body, headersOfRow(row), options))
            assertVerdict(result, row.expected, WebhookError.SignatureError)
            const received = row.signature === undefined ? [] : [row.signature]
            if (Either.isLeft(result)) {
              assertShowsNone(result.left, [...[kat, sdk, rust].flatMap(revealing), ...received])
            }
          }
        }).pipe(Effect.provide(WebhookSecret.layer(row.secrets))))
    }
  })

  describe("rotation", () => {
    const signedWithBoth = Effect.zipRight(
      at(ts),
      WebhookTesting.sign({ payload: "{}", secret: [sdk.secret, kat.secret], id: "msg_rotating" })
    )

    it.effect("signs one delivery with one signature per secret", () =>
      Effect.map(signedWithBoth, (signed) => {
        const entries = signed.headers["webhook-signature"].split(" ")
        assert.strictEqual(entries.length, 2)
        assert.notStrictEqual(entries[0], entries[1])
      }))

    for (const v of [sdk, kat]) {
      it.effect(`accepts a header signed with two secrets when only one is configured (${v.name})`, () =>
        Effect.gen(function*() {
          const signed = yield* signedWithBoth
          const delivery = yield* Webhooks.verify(signed.body, signed.headers)
          assert.strictEqual(delivery.id, "msg_rotating")
        }).pipe(Effect.provide(WebhookSecret.layer(v.secret))))
    }

    it.effect("rejects a header signed with two secrets when neither is configured", () =>
      Effect.gen(function*() {
        const signed = yield* signedWithBoth
        const error = yield* Effect.flip(Webhooks.verify(signed.body, signed.headers))
        assert.strictEqual(error.reason, "NoMatchingSignature")
      }).pipe(Effect.provide(WebhookSecret.layer(rust.secret))))
  })
})

describe("Webhooks.unwrap", () => {
  it.effect("rejects invalid JSON with a bad signature as a SignatureError, not a DecodeError", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const signed = yield* WebhookTesting.sign({ payload: "{not json", secret: rust.secret })
      const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
      assert.strictEqual(error._tag, "SignatureError")
      assert.strictEqual(error.reason, "NoMatchingSignature")
    }).pipe(withKat))

  it.effect("rejects invalid JSON without headers as a SignatureError", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const error = yield* Effect.flip(Webhooks.unwrap("{not json", {}))
      assert.strictEqual(error._tag, "SignatureError")
      assert.strictEqual(error.reason, "MissingHeader")
    }).pipe(withKat))

  it.effect("rejects invalid JSON with a good signature as a DecodeError (InvalidJson)", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const signed = yield* WebhookTesting.sign({ payload: "{not json", secret: kat.secret })
      const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
      assert.strictEqual(error._tag, "DecodeError")
      assert.strictEqual(error.reason, "InvalidJson")
    }).pipe(withKat))

  it.effect("rejects an expired delivery of a valid event as a SignatureError", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const event = WebhookTesting.sample("response.completed")
      const signed = yield* WebhookTesting.sign({ event, secret: kat.secret })
      yield* at(ts + 301)
      const error = yield* Effect.flip(Webhooks.unwrap(signed.body, signed.headers))
      assert.strictEqual(error._tag, "SignatureError")
      assert.strictEqual(error.reason, "TimestampTooOld")
    }).pipe(withKat))

  it.effect("decodes a verified event", () =>
    Effect.gen(function*() {
      yield* at(ts)
      const sample = WebhookTesting.sample("response.completed")
      const signed = yield* WebhookTesting.sign({ event: sample, secret: kat.secret })
      const event = yield* Webhooks.unwrap(signed.body, signed.headers)
      assert.strictEqual(event._tag, "response.completed")
      assert.strictEqual(event.id, "evt_abc123")
    }).pipe(withKat))

  it.effect("decodes the openai-sdk-kat vector once verified", () =>
    Effect.gen(function*() {
      yield* at(Number(sdk.timestamp))
      const event = yield* Webhooks.unwrap(new TextEncoder().encode(sdk.body), headersOf(sdk))
      assert.strictEqual(event._tag, "response.completed")
      assert.strictEqual(event.id, "evt_685c059ae3a481909bdc86819b066fb6")
    }).pipe(Effect.provide(WebhookSecret.layer(sdk.secret))))
})

describe("WebhookTesting", () => {
  it.effect("sign takes the default timestamp from the Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_750_861_210_999)
      const signed = yield* WebhookTesting.sign({ payload: kat.body, secret: kat.secret })
      assert.strictEqual(signed.headers["webhook-timestamp"], "1750861210")
      const delivery = yield* Webhooks.verify(signed.body, signed.headers)
      assert.strictEqual(delivery.timestamp, 1_750_861_210)
    }).pipe(Effect.provide(WebhookSecret.layer(kat.secret))))

  it.effect("sign uses the TestClock's start (0) when the test has not set it", () =>
    Effect.map(
      WebhookTesting.sign({ payload: "{}", secret: kat.secret }),
      (signed) => assert.strictEqual(signed.headers["webhook-timestamp"], "0")
    ))

  it.effect("sign gives a random msg_ id by default", () =>
    Effect.gen(function*() {
      const first = yield* WebhookTesting.sign({ payload: "{}", secret: kat.secret })
      const second = yield* WebhookTesting.sign({ payload: "{}", secret: kat.secret })
      assert.match(first.headers["webhook-id"], /^msg_[0-9a-f]{32}$/)
      assert.notStrictEqual(first.headers["webhook-id"], second.headers["webhook-id"])
    }))

  it.effect("sign accepts a Date as the timestamp", () =>
    Effect.map(
      WebhookTesting.sign({ payload: "{}", secret: kat.secret, timestamp: new Date(1_614_265_330_750) }),
      (signed) => assert.strictEqual(signed.headers["webhook-timestamp"], "1614265330")
    ))

  it.effect("sign fails with a SecretError on a bad secret", () =>
    Effect.map(Effect.flip(WebhookTesting.sign({ payload: "{}", secret: "whsec_ab!c" })), (error) => {
      assert.instanceOf(error, WebhookError.SecretError)
      assert.strictEqual(error.reason, "InvalidBase64")
    }))

  it("unsafeSign reproduces a known vector without Effect", () => {
    for (const v of vectors.valid) {
      const signed = WebhookTesting.unsafeSign({
        payload: v.body,
        secret: v.secret,
        id: v.id,
        timestamp: Number(v.timestamp)
      })
      assert.deepStrictEqual(signed, {
        body: v.body,
        headers: {
          "content-type": "application/json",
          "webhook-id": v.id,
          "webhook-timestamp": v.timestamp,
          "webhook-signature": v.signature
        }
      })
    }
  })

  it("unsafeSign takes the default timestamp from Date.now()", () => {
    const before = Math.floor(Date.now() / 1000)
    const signed = WebhookTesting.unsafeSign({ payload: "{}", secret: kat.secret })
    const after = Math.floor(Date.now() / 1000)
    const timestamp = Number(signed.headers["webhook-timestamp"])
    assert.isAtLeast(timestamp, before)
    assert.isAtMost(timestamp, after)
  })

  it("unsafeSign throws the SecretError itself on a bad secret", () => {
    let thrown: unknown
    try {
      WebhookTesting.unsafeSign({ payload: "{}", secret: "whsec_ab!c" })
    } catch (error) {
      thrown = error
    }
    assert.instanceOf(thrown, WebhookError.SecretError)
    assert.strictEqual((thrown as WebhookError.SecretError).reason, "InvalidBase64")
  })

  it("unsafeSign signs an event as its wire JSON", () => {
    const event = WebhookTesting.sample("batch.completed")
    const signed = WebhookTesting.unsafeSign({ event, secret: kat.secret, id: "msg_1", timestamp: ts })
    assert.strictEqual(signed.body, WebhookTesting.encode(event))
    assert.deepInclude(JSON.parse(signed.body as string), { type: "batch.completed", id: "evt_abc123" })
  })
})

// Kept last on purpose: @effect/vitest 0.30's `layer` rebinds the module-wide `it.effect` to its shared runtime
// (Object.assign on vitest's `it`), so top-level tests registered after it would share its TestClock and secret.
layer(WebhookSecret.layer(kat.secret))("Webhooks.verify with the secret of standard-webhooks-kat-1", (it) => {
  describe("tolerance", () => {
    const verifyAt = (now: number, options?: Webhooks.Options) =>
      Effect.zipRight(at(now), Webhooks.verify(kat.body, headersOf(kat), options))

    it.effect("ignores the milliseconds of the clock", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime((ts + 300) * 1000 + 999)
        const delivery = yield* Webhooks.verify(kat.body, headersOf(kat))
        assert.strictEqual(delivery.id, kat.id)
      }))

    for (const tolerance of ["10 seconds", Duration.seconds(10)] as const) {
      const label = typeof tolerance === "string" ? `"${tolerance}"` : "Duration.seconds(10)"

      it.effect(`honours a tolerance of ${label} for past deliveries`, () =>
        Effect.gen(function*() {
          const delivery = yield* verifyAt(ts + 10, { tolerance })
          assert.strictEqual(delivery.id, kat.id)
          const error = yield* Effect.flip(verifyAt(ts + 11, { tolerance }))
          assert.strictEqual(error.reason, "TimestampTooOld")
        }))

      it.effect(`honours a tolerance of ${label} for future deliveries`, () =>
        Effect.gen(function*() {
          const delivery = yield* verifyAt(ts - 10, { tolerance })
          assert.strictEqual(delivery.id, kat.id)
          const error = yield* Effect.flip(verifyAt(ts - 11, { tolerance }))
          assert.strictEqual(error.reason, "TimestampTooNew")
        }))
    }

    it.effect("honours a tolerance wider than the default", () =>
      Effect.map(verifyAt(ts + 3600, { tolerance: "1 hour" }), (delivery) => assert.strictEqual(delivery.id, kat.id)))
  })

  describe("headers", () => {
    // The engine's header shapes, each carrying the kat delivery: the verdict the table gives.
    for (const shape of shapes) {
      it.effect(`verifies through ${shape.name} as the engine's table says`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const result = yield* Effect.either(Webhooks.verify(kat.body, shape.input()))
          assertVerdict(result, shape.expected, WebhookError.SignatureError)
        }))
    }

    it.effect("reads @effect/platform Headers", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const headers = Headers.fromInput({
          "Webhook-Id": kat.id,
          "Webhook-Timestamp": kat.timestamp,
          "Webhook-Signature": kat.signature
        })
        const delivery = yield* Webhooks.verify(kat.body, headers)
        assert.deepStrictEqual(delivery, { id: kat.id, timestamp: ts })
      }))

    it.effect("rejects a delivery signed over an empty webhook-id as MissingHeader", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const signed = yield* WebhookTesting.sign({ payload: kat.body, secret: kat.secret, id: "" })
        const error = yield* Effect.flip(Webhooks.verify(kat.body, signed.headers))
        assert.strictEqual(error.reason, "MissingHeader")
        assert.strictEqual(error.header, "webhook-id")
      }))

    const [decoy] = vectors.decoys.headers
    const lines: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      ["the lines v1 and the MAC", ["v1", kat.signature.slice(3)]],
      ["two entries, the good one second", [decoy!, kat.signature]],
      ["two entries, the good one first", [kat.signature, decoy!]]
    ]
    for (const [name, values] of lines) {
      it.scoped(`verifies a webhook-signature sent as two header lines (${name}), as Node joins them`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const lines = [
            `webhook-id: ${kat.id}`,
            `webhook-timestamp: ${kat.timestamp}`,
            ...values.map((value) => `webhook-signature: ${value}`)
          ]
          const received = yield* receivedByNode(lines, kat.body)
          assert.strictEqual(received.headers["webhook-signature"], values.join(", "))
          const delivery = yield* Webhooks.verify(received.body, received.headers)
          assert.deepStrictEqual(delivery, { id: kat.id, timestamp: ts })
        }))
    }
  })

  describe("bodies", () => {
    const text = "héllo ☃ 日本"

    it.effect("verifies the bytes of a non-ASCII string body signed as a string", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const signed = yield* WebhookTesting.sign({ payload: text, secret: kat.secret, id: "msg_unicode" })
        const delivery = yield* Webhooks.verify(new TextEncoder().encode(text), signed.headers)
        assert.strictEqual(delivery.id, "msg_unicode")
      }))

    it.effect("verifies a non-ASCII string body signed as bytes", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const signed = yield* WebhookTesting.sign({ payload: new TextEncoder().encode(text), secret: kat.secret })
        const delivery = yield* Webhooks.verify(text, signed.headers)
        assert.strictEqual(delivery.timestamp, ts)
      }))
  })
})
