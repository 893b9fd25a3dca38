/**
 * What `openai-webhooks verify` explains: `diagnose` on deliveries with one thing wrong each, its laws
 * over any event, secret and clock, and `parseHeaders` on headers as copied from a request log.
 */
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import { assert, describe, it } from "@effect/vitest"
import { type Check, diagnose, parseHeaders, type Report } from "../src/internal/diagnose.js"
import { WebhookEvent, WebhookSignature, WebhookTesting } from "../src/index.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const NOW = 1_700_000_000
const encoder = new TextEncoder()

type Headers = Record<string, string>

const signed = (options: { readonly secret?: string | ReadonlyArray<string>; readonly timestamp?: number } = {}) =>
  WebhookTesting.unsafeSign({
    event: WebhookTesting.sample("response.completed"),
    secret: options.secret ?? secret,
    timestamp: options.timestamp ?? NOW
  })

interface Changes {
  readonly body?: string
  readonly headers?: Headers
  readonly secret?: string | undefined
  readonly now?: number
}

/** Diagnoses a delivery as captured, or with its body, headers, secret or clock changed. */
const run = (delivery: WebhookTesting.Signed<string>, changes: Changes = {}): Report =>
  diagnose({
    body: encoder.encode(changes.body ?? delivery.body),
    headers: changes.headers ?? { ...delivery.headers },
    secret: "secret" in changes ? changes.secret : secret,
    now: changes.now ?? NOW,
    tolerance: 300
  })

const failures = (report: Report): ReadonlyArray<Check> => report.checks.filter((check) => !check.ok)

/** The report failed, and its last check is the one given (the diagnosis stops at the cause it found). */
const assertDiagnosis = (report: Report, message: string, hint?: RegExp) => {
  assert.isFalse(report.verified)
  const last = report.checks.at(-1)!
  assert.isFalse(last.ok)
  assert.strictEqual(last.message, message)
  if (hint !== undefined) assert.match(last.hint ?? "", hint)
}

/** Secrets and their key material never appear in a report. */
const assertShowsNone = (report: Report, secrets: ReadonlyArray<string>) => {
  const shown = JSON.stringify(report)
  for (const value of secrets) {
    assert.notInclude(shown, value)
    if (value.startsWith("whsec_")) assert.notInclude(shown, value.slice("whsec_".length))
  }
}

describe("diagnose", () => {
  it("verifies a delivery signed with the secret, within the tolerance", () => {
    const delivery = signed()
    const report = run(delivery)
    assert.isTrue(report.verified)
    assert.deepStrictEqual(report.checks, [
      {
        ok: true,
        message: `headers: webhook-id ${delivery.headers["webhook-id"]}, webhook-timestamp ${NOW}`
      },
      { ok: true, message: "timestamp: 0 s old, within 300 s" },
      { ok: true, message: "signature: matches (1 v1 signature checked)" }
    ])
  })

  it("verifies a delivery signed with several secrets, one of them this one", () => {
    const report = run(signed({ secret: [otherSecret, secret] }))
    assert.isTrue(report.verified)
    assert.strictEqual(report.checks.at(-1)!.message, "signature: matches (2 v1 signatures checked)")
  })

  describe("timestamps", () => {
    it("accepts a delivery 300 s old or 300 s in the future: the tolerance's edges", () => {
      assert.isTrue(run(signed(), { now: NOW + 300 }).verified)
      assert.isTrue(run(signed(), { now: NOW - 300 }).verified)
      assert.strictEqual(
        run(signed(), { now: NOW - 300 }).checks[1]!.message,
        "timestamp: 300 s in the future, within 300 s"
      )
    })

    it("rejects a delivery 301 s old, says so and why, and still checks its signature", () => {
      const report = run(signed(), { now: NOW + 301 })
      assert.isFalse(report.verified)
      assert.deepStrictEqual(failures(report).map((check) => check.message), [
        "timestamp: 301 s old, more than the 300 s tolerance"
      ])
      assert.match(failures(report)[0]!.hint!, /a replay, a delivery captured a while ago/)
      assert.strictEqual(report.checks.at(-1)!.message, "signature: matches (1 v1 signature checked)")
    })

    it("rejects a delivery 301 s in the future and blames this machine's clock", () => {
      const report = run(signed(), { now: NOW - 301 })
      assert.isFalse(report.verified)
      assert.deepStrictEqual(failures(report).map((check) => [check.message, check.hint]), [
        ["timestamp: 301 s in the future, more than the 300 s tolerance", "this machine's clock is behind: check NTP"]
      ])
    })

    it("rejects a webhook-timestamp that is not a whole number of seconds", () => {
      const delivery = signed()
      const report = run(delivery, { headers: { ...delivery.headers, "webhook-timestamp": "2024-06-24T00:00:00Z" } })
      assertDiagnosis(report, "webhook-timestamp \"2024-06-24T00:00:00Z\" is not a whole number of seconds")
    })
  })

  describe("headers", () => {
    it("names each missing header, and all three when none is there", () => {
      const delivery = signed()
      for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
        const { [name]: _, ...headers } = delivery.headers
        assertDiagnosis(run(delivery, { headers }), `missing header: ${name}`, /copy every header of the request/)
      }
      assertDiagnosis(
        run(delivery, { headers: {} }),
        "missing headers: webhook-id, webhook-timestamp, webhook-signature",
        /OpenAI sends webhook-id, webhook-timestamp and webhook-signature/
      )
    })

    it("rejects a webhook-signature without a v1 signature", () => {
      const delivery = signed()
      const report = run(delivery, { headers: { ...delivery.headers, "webhook-signature": "v0,abc v2,def" } })
      assertDiagnosis(report, "webhook-signature has no v1 signature", /v1,<base64>/)
    })
  })

  describe("secrets", () => {
    it("says when no secret is given, empty or absent", () => {
      for (const given of [undefined, ""]) {
        const report = run(signed(), { secret: given })
        assertDiagnosis(report, "no secret given", /--secret whsec_\.\.\. or set OPENAI_WEBHOOK_SECRET/)
      }
    })

    it("points out whitespace around the secret, and checks the signature without it", () => {
      for (const given of [`${secret}\n`, ` ${secret}`, `\t${secret}\r\n`]) {
        const report = run(signed(), { secret: given })
        assert.isFalse(report.verified)
        assert.deepStrictEqual(failures(report).map((check) => check.message), ["the secret has whitespace around it"])
        assert.match(failures(report)[0]!.hint!, /remove the spaces or line breaks/)
        assert.strictEqual(report.checks.at(-1)!.message, "signature: matches (1 v1 signature checked)")
        assertShowsNone(report, [secret])
      }
    })

    it("recognises a signature pasted as the secret", () => {
      const delivery = signed()
      for (const given of [delivery.headers["webhook-signature"], `v1,${secret}`]) {
        const report = run(delivery, { secret: given })
        const message = "the secret starts with \"v1,\": that is a signature, not a secret"
        assertDiagnosis(report, message, /starts with whsec_/)
        assertShowsNone(report, [secret, given, given.slice("v1,".length)])
      }
    })

    it("points out a secret that is not in OpenAI's format, such as an API key", () => {
      const apiKey = "sk-proj-Xq3vT9LmN2pR7sK4wY8zB1cD5fG6hJ0a"
      const report = run(signed(), { secret: apiKey })
      assert.isFalse(report.verified)
      assert.strictEqual(
        failures(report)[0]!.message,
        "the secret does not start with \"whsec_\": it is not in OpenAI's format"
      )
      assert.match(failures(report)[0]!.hint!, /an API key \(sk-\.\.\.\) is not the webhook secret/)
      assertShowsNone(report, [apiKey])
    })

    it("explains a whsec_ secret that is not valid base64, without showing it", () => {
      const cut = secret.slice(0, -3)
      const report = run(signed(), { secret: cut })
      assert.isFalse(report.verified)
      assert.match(report.checks.at(-1)!.message, /^the secret starts with "whsec_" but the rest is not valid base64/)
      assertShowsNone(report, [cut])
    })
  })

  describe("bodies", () => {
    it("recognises a body that gained a final line break, LF or CRLF", () => {
      const delivery = signed()
      for (const ending of ["\n", "\r\n"]) {
        assertDiagnosis(
          run(delivery, { body: delivery.body + ending }),
          "signature: does not match the body file as it is, but matches it without its final line break",
          /gained a newline when it was saved/
        )
      }
    })

    it("recognises a pretty-printed body, a body with its keys reordered, and both", () => {
      const delivery = signed()
      const { created_at, data, id, object, type } = JSON.parse(delivery.body) as Record<string, unknown>
      const reordered = { type, id, object, created_at, data }
      const cases: ReadonlyArray<[string, string]> = [
        [JSON.stringify(JSON.parse(delivery.body), null, 2), "pretty-printed"],
        [JSON.stringify(reordered), "keys in the order type, id, object, created_at, data"],
        [JSON.stringify(reordered, null, 4), "pretty-printed, keys in the order type, id, object, created_at, data"]
      ]
      for (const [body, how] of cases) {
        assertDiagnosis(
          run(delivery, { body }),
          `signature: does not match; the body is valid JSON but looks re-serialised (${how})`,
          /express\.json\(\)/
        )
      }
    })

    it("blames another secret, or another body, when nothing else explains the mismatch", () => {
      const delivery = signed()
      const hint = /signed with a different secret .* or the body is not the one that was sent/
      const message = "signature: none of the v1 signatures matches this body with this secret"
      assertDiagnosis(run(signed({ secret: otherSecret })), message, hint)
      assertDiagnosis(run(delivery, { body: delivery.body.replace("resp_abc123", "resp_abc124") }), message, hint)
      assertDiagnosis(run(delivery, { body: "not json at all" }), message, hint)
    })
  })

  describe("laws", () => {
    const AnyEvent: FastCheck.Arbitrary<WebhookEvent.UnwrapWebhookEvent> = FastCheck.oneof(
      ...[...WebhookEvent.classes, WebhookEvent.UnknownWebhookEvent].map((cls) =>
        Arbitrary.make(cls as Schema.Schema.AnyNoContext) as FastCheck.Arbitrary<WebhookEvent.UnwrapWebhookEvent>
      )
    )
    const AnySecret = FastCheck.uint8Array({ minLength: 16, maxLength: 64 }).map((bytes) =>
      `whsec_${Buffer.from(bytes).toString("base64")}`
    )
    const Timestamp = Schema.Int.pipe(Schema.between(300, 9_999_999_999))
    const Skew = (min: number, max: number) => Schema.Int.pipe(Schema.between(min, max))

    const check = (event: WebhookEvent.UnwrapWebhookEvent, options: {
      readonly signWith: string
      readonly verifyWith: string
      readonly id?: string
      readonly timestamp?: number
      readonly now?: number
      readonly tolerance?: number
      readonly body?: (body: string) => string
    }) => {
      const timestamp = options.timestamp ?? NOW
      const delivery = WebhookTesting.unsafeSign({ event, secret: options.signWith, id: options.id, timestamp })
      const body = options.body === undefined ? delivery.body : options.body(delivery.body)
      const report = diagnose({
        body: encoder.encode(body),
        headers: { ...delivery.headers },
        secret: options.verifyWith,
        now: options.now ?? timestamp,
        tolerance: options.tolerance ?? 300
      })
      assertShowsNone(report, [options.signWith, options.verifyWith])
      return { delivery, body, report }
    }

    it.prop(
      "verifies any delivery signed with its secret, whatever the event, id and skew within the tolerance",
      { event: AnyEvent, secret: AnySecret, id: Schema.NonEmptyString, timestamp: Timestamp, skew: Skew(-300, 300) },
      ({ event, id, secret, skew, timestamp }) => {
        const { report } = check(event, { signWith: secret, verifyWith: secret, id, timestamp, now: timestamp + skew })
        assert.isTrue(report.verified, JSON.stringify(report.checks))
        assert.isTrue(report.checks.every((c) => c.ok))
      }
    )

    it.prop(
      "agrees with the library's verification on any delivery, secret, clock and body, and never shows a secret",
      {
        event: AnyEvent,
        signWith: AnySecret,
        other: AnySecret,
        same: FastCheck.boolean(),
        timestamp: Timestamp,
        skew: Skew(-1000, 1000),
        tamper: FastCheck.boolean()
      },
      ({ event, other, same, signWith, skew, tamper, timestamp }) => {
        const verifyWith = same ? signWith : other
        const now = timestamp + skew
        const { body, delivery, report } = check(event, {
          signWith,
          verifyWith,
          timestamp,
          now,
          body: (body) => tamper ? body.replace(/}$/, " }") : body
        })
        const library = WebhookSignature.verify({
          keys: [Either.getOrThrow(WebhookSignature.key(verifyWith))],
          id: delivery.headers["webhook-id"],
          timestamp: delivery.headers["webhook-timestamp"],
          signature: delivery.headers["webhook-signature"],
          payload: body,
          now
        })
        assert.strictEqual(report.verified, Either.isRight(library), JSON.stringify(report.checks))
      }
    )

    it.prop(
      "diagnoses any delivery re-serialised with JSON.stringify(parsed, null, 2) as re-serialised",
      { event: AnyEvent, secret: AnySecret },
      ({ event, secret }) => {
        const { report } = check(event, {
          signWith: secret,
          verifyWith: secret,
          body: (body) => JSON.stringify(JSON.parse(body), null, 2)
        })
        assert.isFalse(report.verified)
        assert.match(report.checks.at(-1)!.message, /looks re-serialised \(pretty-printed[,)]/)
      }
    )

    it.prop(
      "diagnoses any delivery with its top-level keys reordered as re-serialised, naming the order",
      { event: AnyEvent, secret: AnySecret, order: FastCheck.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5 }) },
      ({ event, order, secret }) => {
        let shown: ReadonlyArray<string> = []
        const { report } = check(event, {
          signWith: secret,
          verifyWith: secret,
          body: (body) => {
            const parsed = JSON.parse(body) as Record<string, unknown>
            const keys = Object.keys(parsed)
            const permuted = order.map((i) => keys[i]).filter((key) => key !== undefined)
            // Any other order will do: the one shuffled, or else its reverse.
            shown = permuted.join() === keys.join() ? [...keys].reverse() : permuted
            return JSON.stringify(Object.fromEntries(shown.map((key) => [key, parsed[key]])))
          }
        })
        assertDiagnosis(
          report,
          "signature: does not match; the body is valid JSON but looks re-serialised " +
            `(keys in the order ${shown.join(", ")})`
        )
      }
    )

    it.prop(
      "diagnoses any delivery whose body gained a final line break",
      { event: AnyEvent, secret: AnySecret },
      ({ event, secret }) => {
        const { report } = check(event, { signWith: secret, verifyWith: secret, body: (body) => `${body}\n` })
        assertDiagnosis(
          report,
          "signature: does not match the body file as it is, but matches it without its final line break"
        )
      }
    )

    it.prop(
      "diagnoses any delivery signed with another secret as signed with a different secret",
      { event: AnyEvent, signWith: AnySecret, verifyWith: AnySecret },
      ({ event, signWith, verifyWith }) => {
        FastCheck.pre(signWith !== verifyWith)
        const { report } = check(event, { signWith, verifyWith })
        assertDiagnosis(report, "signature: none of the v1 signatures matches this body with this secret")
      }
    )

    it.prop(
      "names the skew, in seconds and which way, of any delivery outside the tolerance",
      { timestamp: Timestamp, tolerance: Skew(0, 3600), beyond: Skew(1, 1_000_000), future: FastCheck.boolean() },
      ({ beyond, future, timestamp, tolerance }) => {
        const skew = tolerance + beyond
        const event = WebhookTesting.sample("batch.completed")
        const now = future ? timestamp - skew : timestamp + skew
        const { report } = check(event, { signWith: secret, verifyWith: secret, timestamp, now, tolerance })
        assert.isFalse(report.verified)
        assert.deepStrictEqual(failures(report).map((c) => c.message), [
          `timestamp: ${skew} s ${future ? "in the future" : "old"}, more than the ${tolerance} s tolerance`
        ])
      }
    )
  })
})

describe("parseHeaders", () => {
  it("reads a JSON object: names lowercased, lists joined with spaces, other values as text", () => {
    const text = JSON.stringify({
      "Webhook-Id": "msg_1",
      "WEBHOOK-TIMESTAMP": 1700000000,
      "webhook-signature": ["v1,a", "v1,b"]
    })
    assert.deepStrictEqual(parseHeaders(`\n  ${text}\n`), Either.right({
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": "v1,a v1,b"
    }))
  })

  it("reads Name: value lines: names lowercased, values trimmed, split at the first colon, CRLF, blank lines", () => {
    const text = "Host: 127.0.0.1:8787\r\n\r\nWebhook-Id:msg_1\r\n  WEBHOOK-Signature :  v1,abc=  \r\n"
    assert.deepStrictEqual(parseHeaders(text), Either.right({
      "host": "127.0.0.1:8787",
      "webhook-id": "msg_1",
      "webhook-signature": "v1,abc="
    }))
  })

  it("reads an empty file as no headers", () => {
    assert.deepStrictEqual(parseHeaders(" \n"), Either.right({}))
  })

  it("explains a file that looks like JSON but does not parse", () => {
    const result = parseHeaders("{\"webhook-id\": ")
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) assert.match(result.left, /^the headers file looks like JSON but does not parse: /)
  })

  it("skips a request line and HTTP/2 pseudo-headers, as copied from a log or a browser", () => {
    assert.deepStrictEqual(
      parseHeaders("POST /webhooks/openai HTTP/1.1\n:method: POST\n:path: /webhooks/openai\nWebhook-Id: msg_1\n"),
      Either.right({ "webhook-id": "msg_1" })
    )
  })

  it("names the first line that is not Name: value", () => {
    for (const line of ["webhook-id msg_1", "= no name"]) {
      assert.deepStrictEqual(
        parseHeaders(`Webhook-Id: msg_1\n${line}\n`),
        Either.left(`the headers file has a line that is not "Name: value": ${JSON.stringify(line)}`)
      )
    }
  })

  describe("laws", () => {
    const Name = FastCheck.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/)
    const Value = FastCheck.string({ maxLength: 40 }).filter((value) => !/[\r\n]/.test(value) && value.trim() === value)
    const Headers = FastCheck.dictionary(Name, Value, { maxKeys: 8 })
    const Cases = FastCheck.array(FastCheck.boolean(), { minLength: 8, maxLength: 8 })

    it.prop(
      "reads the same headers from a JSON object and from Name: value lines, whatever the case of the names",
      { headers: Headers, upper: Cases },
      ({ headers, upper }) => {
        const cased = Object.entries(headers).map(([name, value], i) =>
          [upper[i] ? name.toUpperCase() : name, value] as const
        )
        const lines = cased.map(([name, value]) => `${name}: ${value}`).join("\n")
        assert.deepStrictEqual(parseHeaders(JSON.stringify(Object.fromEntries(cased))), Either.right(headers))
        assert.deepStrictEqual(parseHeaders(lines), Either.right(headers))
      }
    )
  })
})
