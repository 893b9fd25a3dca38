import { assert, describe, it, layer } from "@effect/vitest"
import * as Headers from "@effect/platform/Headers"
import { Deferred, Duration, Effect, TestClock } from "effect"
import type * as http from "node:http"
import * as net from "node:net"
import * as util from "node:util"
import { listenLoopback } from "./support/http.js"
import { kat, sdk, rust, vectors, type Vector } from "./fixtures/vectors.js"
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

/** Everything a failure must never show about `v`'s secret and expected signature. */
const secretsOf = (v: Vector): ReadonlyArray<string> => {
  const body = v.secret.slice("whsec_".length)
  const key = Buffer.from(body, "base64")
  return [v.secret, body, key.toString("base64"), key.toString("hex"), v.signature, v.signature.slice(3)]
}

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

const assertShowsNone = (error: Error, forbidden: ReadonlyArray<string>) => {
  const renderings = [error.message, String(error), JSON.stringify(error), util.inspect(error, { depth: 10 })]
  for (const text of renderings) {
    for (const secret of forbidden) {
      if (secret.length >= 8) assert.notInclude(text, secret)
    }
  }
}

describe("Webhooks.verify", () => {
  describe("known-answer vectors", () => {
    for (const v of vectors.valid) {
      it.effect(`verifies the ${v.name} vector at its own timestamp`, () =>
        Effect.gen(function*() {
          yield* at(Number(v.timestamp))
          const delivery = yield* Webhooks.verify(v.body, headersOf(v))
          assert.deepStrictEqual(delivery, { id: v.id, timestamp: Number(v.timestamp) })
        }).pipe(Effect.provide(WebhookSecret.layer(v.secret))))
    }

    it.effect("rejects the vector an hour after its timestamp", () =>
      Effect.gen(function*() {
        yield* at(ts + 3600)
        const error = yield* Effect.flip(Webhooks.verify(kat.body, headersOf(kat)))
        assert.strictEqual(error.reason, "TimestampTooOld")
      }).pipe(Effect.provide(WebhookSecret.layer(kat.secret))))
  })

  describe("rotation", () => {
    const Rotating = WebhookSecret.layer([sdk.secret, kat.secret])

    for (const v of [sdk, kat]) {
      it.effect(`accepts a delivery signed with either configured secret (${v.name})`, () =>
        Effect.gen(function*() {
          yield* at(Number(v.timestamp))
          const delivery = yield* Webhooks.verify(v.body, headersOf(v))
          assert.strictEqual(delivery.id, v.id)
        }).pipe(Effect.provide(Rotating)))
    }

    it.effect("rejects a delivery signed with a secret that is not configured", () =>
      Effect.gen(function*() {
        yield* at(Number(rust.timestamp))
        const error = yield* Effect.flip(Webhooks.verify(rust.body, headersOf(rust)))
        assert.strictEqual(error.reason, "NoMatchingSignature")
      }).pipe(Effect.provide(Rotating)))

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

  describe("no leaks", () => {
    const failures: ReadonlyArray<readonly [string, number, Webhooks.HeadersInput, string?]> = [
      ["a missing webhook-id", ts, { ...headersOf(kat), "webhook-id": undefined }],
      ["a missing webhook-timestamp", ts, { ...headersOf(kat), "webhook-timestamp": undefined }],
      ["a missing webhook-signature", ts, { ...headersOf(kat), "webhook-signature": undefined }],
      ["an invalid timestamp", ts, { ...headersOf(kat), "webhook-timestamp": "1e9" }],
      ["a timestamp too old", ts + 301, headersOf(kat)],
      ["a timestamp too new", ts - 301, headersOf(kat)],
      ["a changed body", ts, headersOf(kat), `${kat.body} `],
      ["10,000 bogus signatures", ts, headersOf(kat, Array(10_000).fill(vectors.decoys.headers[1]!).join(" "))],
      ...vectors.decoys.headers.map((decoy, i) => [`decoy ${i + 1}`, ts, headersOf(kat, decoy)] as const)
    ]

    for (const [name, now, headers, body] of failures) {
      it.effect(`shows neither the secret nor the expected signature on ${name}`, () =>
        Effect.gen(function*() {
          yield* at(now)
          const error = yield* Effect.flip(Webhooks.verify(body ?? kat.body, headers))
          assert.instanceOf(error, WebhookError.SignatureError)
          assertShowsNone(error, secretsOf(kat))
        }).pipe(Effect.provide(WebhookSecret.layer(kat.secret))))
    }

    it.effect("shows no configured secret when a rotation does not match", () =>
      Effect.gen(function*() {
        yield* at(Number(rust.timestamp))
        const error = yield* Effect.flip(Webhooks.verify(rust.body, headersOf(rust)))
        assert.strictEqual(error.reason, "NoMatchingSignature")
        assertShowsNone(error, [...secretsOf(sdk), ...secretsOf(kat), ...secretsOf(rust)])
      }).pipe(Effect.provide(WebhookSecret.layer([sdk.secret, kat.secret]))))
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
  describe("decoys", () => {
    vectors.decoys.headers.forEach((decoy, i) => {
      it.effect(`rejects decoy ${i + 1} (${decoy.slice(0, 16)}...) on its own`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const error = yield* Effect.flip(Webhooks.verify(kat.body, headersOf(kat, decoy)))
          assert.strictEqual(error.reason, "NoMatchingSignature")
          assert.strictEqual(error.header, "webhook-signature")
        }))

      it.effect(`accepts the valid signature with decoy ${i + 1} before it`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const delivery = yield* Webhooks.verify(kat.body, headersOf(kat, `${decoy} ${kat.signature}`))
          assert.strictEqual(delivery.id, kat.id)
        }))

      it.effect(`accepts the valid signature with decoy ${i + 1} after it`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const delivery = yield* Webhooks.verify(kat.body, headersOf(kat, `${kat.signature} ${decoy}`))
          assert.strictEqual(delivery.id, kat.id)
        }))
    })
  })

  describe("tolerance", () => {
    const verifyAt = (now: number, options?: Webhooks.Options) =>
      Effect.zipRight(at(now), Webhooks.verify(kat.body, headersOf(kat), options))

    it.effect("accepts a delivery signed exactly 300 s ago", () =>
      Effect.map(verifyAt(ts + 300), (delivery) => assert.strictEqual(delivery.timestamp, ts)))

    it.effect("accepts a delivery signed exactly 300 s in the future", () =>
      Effect.map(verifyAt(ts - 300), (delivery) => assert.strictEqual(delivery.timestamp, ts)))

    it.effect("rejects a delivery signed 301 s ago", () =>
      Effect.map(Effect.flip(verifyAt(ts + 301)), (error) => {
        assert.strictEqual(error.reason, "TimestampTooOld")
        assert.strictEqual(error.header, "webhook-timestamp")
      }))

    it.effect("rejects a delivery signed 301 s in the future", () =>
      Effect.map(Effect.flip(verifyAt(ts - 301)), (error) => {
        assert.strictEqual(error.reason, "TimestampTooNew")
        assert.strictEqual(error.header, "webhook-timestamp")
      }))

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
    for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      it.effect(`rejects a delivery without ${header}, naming it`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const headers = headersOf(kat)
          delete headers[header]
          const error = yield* Effect.flip(Webhooks.verify(kat.body, headers))
          assert.strictEqual(error.reason, "MissingHeader")
          assert.strictEqual(error.header, header)
          assert.include(error.message, header)
        }))
    }

    it.effect("reports the first missing header when all are absent", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const error = yield* Effect.flip(Webhooks.verify(kat.body, {}))
        assert.strictEqual(error.reason, "MissingHeader")
        assert.strictEqual(error.header, "webhook-id")
      }))

    // Standard Webhooks treats an empty header as a missing one.
    for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      for (const value of ["", "  ", [""], ["", " "]]) {
        it.effect(`rejects a delivery whose ${header} is ${JSON.stringify(value)} as MissingHeader, naming it`, () =>
          Effect.gen(function*() {
            yield* at(ts)
            const error = yield* Effect.flip(Webhooks.verify(kat.body, { ...headersOf(kat), [header]: value }))
            assert.strictEqual(error.reason, "MissingHeader")
            assert.strictEqual(error.header, header)
            assert.strictEqual(error.message, `The ${header} header is empty: is this request from OpenAI?`)
          }))
      }
    }

    it.effect("rejects a delivery signed over an empty webhook-id as MissingHeader", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const signed = yield* WebhookTesting.sign({ payload: kat.body, secret: kat.secret, id: "" })
        const error = yield* Effect.flip(Webhooks.verify(kat.body, signed.headers))
        assert.strictEqual(error.reason, "MissingHeader")
        assert.strictEqual(error.header, "webhook-id")
      }))

    const malformed = ["abc", "-5", "1.5", " 123", "1e9", "1".padEnd(40, "0"), `${kat.timestamp} `]
    for (const timestamp of malformed) {
      it.effect(`rejects the timestamp ${JSON.stringify(timestamp)} as invalid`, () =>
        Effect.gen(function*() {
          yield* at(ts)
          const error = yield* Effect.flip(
            Webhooks.verify(kat.body, { ...headersOf(kat), "webhook-timestamp": timestamp })
          )
          assert.strictEqual(error.reason, "InvalidTimestamp")
          assert.strictEqual(error.header, "webhook-timestamp")
        }))
    }

    it.effect("reads fetch Headers", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const delivery = yield* Webhooks.verify(kat.body, new globalThis.Headers(headersOf(kat)))
        assert.deepStrictEqual(delivery, { id: kat.id, timestamp: ts })
      }))

    it.effect("reads a repeated webhook-signature in fetch Headers", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const headers = new globalThis.Headers(headersOf(kat, vectors.decoys.headers[1]!))
        headers.append("webhook-signature", kat.signature)
        const delivery = yield* Webhooks.verify(kat.body, headers)
        assert.strictEqual(delivery.id, kat.id)
      }))

    it.effect("reports a header missing from fetch Headers", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const headers = new globalThis.Headers(headersOf(kat))
        headers.delete("webhook-signature")
        const error = yield* Effect.flip(Webhooks.verify(kat.body, headers))
        assert.strictEqual(error.reason, "MissingHeader")
        assert.strictEqual(error.header, "webhook-signature")
      }))

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

    it.effect("reads a plain record whatever the case of its keys", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const delivery = yield* Webhooks.verify(kat.body, {
          "Webhook-Id": kat.id,
          "webhook-TIMESTAMP": kat.timestamp,
          "WEBHOOK-SIGNATURE": kat.signature,
          "content-type": undefined
        })
        assert.deepStrictEqual(delivery, { id: kat.id, timestamp: ts })
      }))

    it.effect("reads array values, checking every signature of a repeated header", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const delivery = yield* Webhooks.verify(kat.body, {
          "webhook-id": [kat.id],
          "webhook-timestamp": [kat.timestamp],
          "webhook-signature": [vectors.decoys.headers[0]!, kat.signature]
        })
        assert.deepStrictEqual(delivery, { id: kat.id, timestamp: ts })
      }))

    it.effect("verifies a webhook-signature folded into the list [\"v1\", mac] by an intermediary", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const [, mac] = kat.signature.split(",")
        const folded = { ...headersOf(kat), "webhook-signature": ["v1", mac!] }
        assert.deepStrictEqual(yield* Webhooks.verify(kat.body, folded), { id: kat.id, timestamp: ts })
      }))

    it.effect("verifies a webhook-signature appended to fetch Headers as \"v1\" then the MAC", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const [, mac] = kat.signature.split(",")
        const headers = new globalThis.Headers(headersOf(kat, "v1"))
        headers.append("webhook-signature", mac!)
        assert.strictEqual(headers.get("webhook-signature"), `v1, ${mac}`)
        assert.deepStrictEqual(yield* Webhooks.verify(kat.body, headers), { id: kat.id, timestamp: ts })
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

    it.effect("treats an empty array as a missing header", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const error = yield* Effect.flip(Webhooks.verify(kat.body, { ...headersOf(kat), "webhook-signature": [] }))
        assert.strictEqual(error.reason, "MissingHeader")
        assert.strictEqual(error.header, "webhook-signature")
      }))

    it.effect("treats an undefined value as a missing header", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const error = yield* Effect.flip(Webhooks.verify(kat.body, { ...headersOf(kat), "webhook-id": undefined }))
        assert.strictEqual(error.reason, "MissingHeader")
        assert.strictEqual(error.header, "webhook-id")
      }))

    it.effect("finds a header under another case when the lower-case key holds undefined", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const headers = { ...headersOf(kat), "webhook-id": undefined, "Webhook-Id": kat.id }
        const delivery = yield* Webhooks.verify(kat.body, headers)
        assert.strictEqual(delivery.id, kat.id)
      }))
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

    it.effect("rejects a body re-serialised as JSON", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const error = yield* Effect.flip(Webhooks.verify(JSON.stringify(JSON.parse(kat.body)), headersOf(kat)))
        assert.strictEqual(error.reason, "NoMatchingSignature")
      }))
  })

  describe("bounded work", () => {
    const bogus = Array(10_000).fill("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=").join(" ")

    it.effect("rejects a valid signature after 10,000 bogus v1 entries", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const error = yield* Effect.flip(Webhooks.verify(kat.body, headersOf(kat, `${bogus} ${kat.signature}`)))
        assert.strictEqual(error.reason, "NoMatchingSignature")
      }))

    it.effect("accepts a valid signature before 10,000 bogus v1 entries", () =>
      Effect.gen(function*() {
        yield* at(ts)
        const delivery = yield* Webhooks.verify(kat.body, headersOf(kat, `${kat.signature} ${bogus}`))
        assert.strictEqual(delivery.id, kat.id)
      }))
  })
})
