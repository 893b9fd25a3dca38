/**
 * `WebhookEndpoints` of the Effect 4 edition against OpenAI's API as documented, served on a loopback port (the
 * engine's `test/support/openai-api.ts`, which the Effect 3 edition's test runs against too), through Effect 4's
 * `FetchHttpClient`: every call, pagination, the engine's tables of statuses, refusals and options, retries (on the
 * TestClock: a retry waits for the clock the test moves), timeouts, malformed answers, and neither the API key nor
 * a signing secret in any message, log line or printed value.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  ConfigProvider,
  type Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  Queue,
  Redacted,
  References,
  Result,
  Schema,
  Stream
} from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { errorFor, FakeOpenAI, subscribable } from "../../engine/test/support/openai-api.js"
import {
  apiKey,
  atTheLimits,
  type Call,
  refusals,
  refusedOptions,
  retries,
  statuses
} from "../../engine/test/tables/endpoints.js"
import { WebhookEndpoints, WebhookError } from "../src/index.js"

type Api = WebhookEndpoints.WebhookEndpoints

/** The fake OpenAI for the length of a scope. */
const scopedFake = (key: string) =>
  Effect.acquireRelease(Effect.promise(() => FakeOpenAI.start(key)), (fake) => Effect.promise(() => fake.close()))

interface Log {
  readonly lines: ReadonlyArray<string>
  readonly retries: Queue.Queue<string>
}

/** Every line logged while the test runs (debug included), as logfmt, and the retries as they are announced. */
const observe = Effect.gen(function*() {
  const lines: Array<string> = []
  const retries = yield* Queue.unbounded<string>()
  const logger = Logger.make((options) => {
    lines.push(String(Logger.formatLogFmt.log(options)))
    const message = inspect(options.message)
    if (message.includes("retrying")) Queue.offerUnsafe(retries, String([options.message].flat()[0]))
  })
  const layer = Layer.merge(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel, "Debug"))
  return { lines, retries, layer }
})

/**
 * Runs `f` with a fresh fake OpenAI and the service on it (options over the defaults), then checks that no log
 * line holds the API key or any signing secret the fake gave out.
 */
const withApi = <A, E>(
  f: (fake: FakeOpenAI, log: Log) => Effect.Effect<A, E, Api>,
  options: Partial<WebhookEndpoints.Options> = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const fake = yield* scopedFake(apiKey)
    const log = yield* observe
    const live = WebhookEndpoints.layer({ apiKey: Redacted.make(apiKey), baseUrl: fake.baseUrl, ...options }).pipe(
      Layer.provide(FetchHttpClient.layer),
      Layer.orDie
    )
    const result = yield* f(fake, log).pipe(Effect.provide(live), Effect.provide(log.layer))
    assertNoSecrets(log.lines.join("\n"), fake)
    return result
  }))

/** Neither the key nor a `whsec_` secret (other than a hint's last four characters) appears in `text`. */
const assertNoSecrets = (text: string, fake?: FakeOpenAI) => {
  assert.notInclude(text, apiKey)
  assert.notMatch(text, /whsec_[A-Za-z0-9+/]{8,}/)
  for (const request of fake?.requests ?? []) assert.notInclude(text, request.headers.authorization ?? "Bearer")
}

/** The error an effect fails with. */
const failure = <A>(effect: Effect.Effect<A, WebhookError.ApiError, Api>) =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    const error = Exit.findErrorOption(exit)
    return error._tag === "Some" ? Effect.succeed(error.value) : Effect.die(`expected an ApiError, got ${inspect(exit)}`)
  })

/** The wait a retry announced, in milliseconds. */
const waitOf = (announced: string) => Number(/in (\d+) ms/.exec(announced)?.[1])

/** A call of the engine's table as this edition's service call. */
const callOf = (call: Call): Effect.Effect<unknown, WebhookError.ApiError, Api> => {
  switch (call._tag) {
    case "create":
      return WebhookEndpoints.create(call)
    case "update":
      return WebhookEndpoints.update(call.id, call)
    case "listPage":
      return WebhookEndpoints.listPage({ limit: call.limit })
    case "test":
      return WebhookEndpoints.test(call.id, call)
    case "eventTypes":
      return WebhookEndpoints.eventTypes
    case "list":
      return Stream.runDrain(WebhookEndpoints.list({ limit: call.limit }))
    case "retrieve":
      return WebhookEndpoints.retrieve(call.id)
    case "del":
      return WebhookEndpoints.del(call.id)
    case "rotateSecret":
      return WebhookEndpoints.rotateSecret(call.id, call)
  }
}

const created = {
  url: "https://example.com/webhooks/openai",
  name: "production",
  eventTypes: ["response.completed", "batch.completed"]
} as const

describe("WebhookEndpoints calls", () => {
  it.effect("create sends OpenAI's JSON with the key, and answers the endpoint with its secret", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const endpoint = yield* WebhookEndpoints.create(created)
        assert.instanceOf(endpoint, WebhookEndpoints.WebhookEndpointWithSecret)
        assert.match(endpoint.id, /^whe_/)
        assert.strictEqual(endpoint.name, "production")
        assert.strictEqual(endpoint.url, created.url)
        assert.deepStrictEqual(endpoint.eventTypes, ["response.completed", "batch.completed"])
        assert.strictEqual(endpoint.createdAt, fake.now)
        assert.isUndefined(endpoint.updatedAt)
        assert.deepStrictEqual(fake.secretsOf(endpoint.id), [Redacted.value(endpoint.signingSecret)])
        assert.strictEqual(endpoint.signingSecretHint, `whsec_...${Redacted.value(endpoint.signingSecret).slice(-4)}`)
        const [request] = fake.requests
        assert.strictEqual(request?.method, "POST")
        assert.strictEqual(request?.path, "/v1/webhook_endpoints")
        assert.strictEqual(request?.headers.authorization, `Bearer ${apiKey}`)
        assert.strictEqual(request?.headers["content-type"], "application/json")
        assert.isUndefined(request?.headers["openai-project"])
        assert.deepStrictEqual(JSON.parse(request!.body), {
          url: created.url,
          name: "production",
          event_types: ["response.completed", "batch.completed"]
        })
      })
    ))

  it.effect("sends OpenAI-Organization and OpenAI-Project when configured", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        yield* WebhookEndpoints.eventTypes
        yield* WebhookEndpoints.listPage()
        assert.strictEqual(fake.requests.length, 2)
        for (const request of fake.requests) {
          assert.strictEqual(request.headers["openai-organization"], "org_123")
          assert.strictEqual(request.headers["openai-project"], "proj_456")
        }
      }), { organization: "org_123", project: "proj_456" }))

  it.effect("retrieves, updates (event types replaced, not added), deletes, and then finds nothing", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const { id } = yield* WebhookEndpoints.create(created)
        const got = yield* WebhookEndpoints.retrieve(id)
        assert.instanceOf(got, WebhookEndpoints.WebhookEndpoint)
        assert.notProperty(got, "signingSecret")
        const updated = yield* WebhookEndpoints.update(id, { name: "renamed", eventTypes: ["video.completed"] })
        assert.strictEqual(updated.name, "renamed")
        assert.strictEqual(updated.url, created.url)
        assert.deepStrictEqual(updated.eventTypes, ["video.completed"])
        assert.strictEqual(updated.updatedAt, fake.now)
        assert.deepStrictEqual(JSON.parse(fake.requests.at(-1)!.body), {
          name: "renamed",
          event_types: ["video.completed"]
        })
        const deleted = yield* WebhookEndpoints.del(id)
        assert.deepStrictEqual({ id: deleted.id, deleted: deleted.deleted }, { id, deleted: true })
        assert.strictEqual(fake.requests.at(-1)?.method, "DELETE")
        const gone = yield* failure(WebhookEndpoints.retrieve(id))
        assert.deepStrictEqual([gone.reason, gone.status, gone.param], ["NotFound", 404, "id"])
        assert.include(gone.message, `GET /webhook_endpoints/${id}: 404`)
        assert.strictEqual(fake.requestsTo("GET", `/v1/webhook_endpoints/${id}`).length, 2)
      })
    ))

  it.effect("rotates the secret, keeping the old one active for 24 hours only when asked", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const first = yield* WebhookEndpoints.create(created)
        const kept = yield* WebhookEndpoints.rotateSecret(first.id, { keepOldSecretActiveFor24Hours: true })
        assert.deepStrictEqual(JSON.parse(fake.requests.at(-1)!.body), { keep_old_secret_active_for_24_hours: true })
        assert.deepStrictEqual(fake.secretsOf(first.id), [
          Redacted.value(kept.signingSecret),
          Redacted.value(first.signingSecret)
        ])
        const dropped = yield* WebhookEndpoints.rotateSecret(first.id)
        assert.deepStrictEqual(JSON.parse(fake.requests.at(-1)!.body), {})
        assert.deepStrictEqual(fake.secretsOf(first.id), [Redacted.value(dropped.signingSecret)])
      })
    ))

  it.effect("asks OpenAI to send a test event and answers how the endpoint answered", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const { id } = yield* WebhookEndpoints.create(created)
        const ok = yield* WebhookEndpoints.test(id, { eventType: "response.completed" })
        assert.instanceOf(ok, WebhookEndpoints.TestEventResult)
        assert.deepStrictEqual({ ...ok }, {
          object: "webhook_endpoint.test",
          webhookEndpointId: id,
          eventType: "response.completed",
          statusCode: 200,
          success: true
        })
        assert.deepStrictEqual(JSON.parse(fake.requests.at(-1)!.body), { event_type: "response.completed" })
        fake.testDeliveryStatus = 503
        const failed = yield* WebhookEndpoints.test(id, { eventType: "batch.completed" })
        assert.deepStrictEqual([failed.statusCode, failed.success], [503, false])
      })
    ))

  it.effect("lists the event types OpenAI says an endpoint may subscribe to", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* WebhookEndpoints.eventTypes, subscribable)
        assert.strictEqual(fake.requests[0]?.path, "/v1/webhook_event_types")
      })
    ))
})

describe("WebhookEndpoints.list and listPage", () => {
  it.effect("follows the cursor across pages, newest first, asking for each page as the stream is read", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const ids = fake.seed(45)
        const all = yield* Stream.runCollect(WebhookEndpoints.list({ limit: 20 }))
        assert.deepStrictEqual(all.map((endpoint) => endpoint.id), [...ids].reverse())
        assert.deepStrictEqual(fake.requestsTo("GET", "/v1/webhook_endpoints").map((page) => page.query.toString()), [
          "limit=20",
          `after=${ids[25]}&limit=20`,
          `after=${ids[5]}&limit=20`
        ])
        const firstFive = yield* Stream.runCollect(Stream.take(WebhookEndpoints.list({ limit: 5 }), 5))
        assert.strictEqual(firstFive.length, 5)
        assert.strictEqual(fake.requestsTo("GET", "/v1/webhook_endpoints").length, 4)
      })
    ))

  it.effect("asks for pages of 100 by default and stops on the last page", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        fake.seed(3)
        assert.strictEqual((yield* Stream.runCollect(WebhookEndpoints.list())).length, 3)
        assert.deepStrictEqual(fake.requests.map((request) => request.query.toString()), ["limit=100"])
      })
    ))

  it.effect("listPage answers one page with OpenAI's cursors, and an empty page with null cursors", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const empty = yield* WebhookEndpoints.listPage()
        assert.deepStrictEqual([empty.data.length, empty.firstId, empty.lastId, empty.hasMore], [0, null, null, false])
        const ids = fake.seed(3)
        const page = yield* WebhookEndpoints.listPage({ limit: 2 })
        assert.instanceOf(page.data[0], WebhookEndpoints.WebhookEndpoint)
        assert.deepStrictEqual(page.data.map((endpoint) => endpoint.id), [ids[2], ids[1]])
        assert.deepStrictEqual([page.firstId, page.lastId, page.hasMore], [ids[2], ids[1], true])
        const next = yield* WebhookEndpoints.listPage({ limit: 2, after: page.lastId! })
        assert.deepStrictEqual(next.data.map((endpoint) => endpoint.id), [ids[0]])
        assert.isFalse(next.hasMore)
      })
    ))

  it.effect("fails with InvalidResponse, rather than asking forever, when has_more comes without a cursor", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        fake.answerNext(1, { status: 200, body: JSON.stringify({ object: "list", data: [], has_more: true }) })
        const error = yield* failure(Stream.runDrain(WebhookEndpoints.list()))
        assert.strictEqual(error.reason, "InvalidResponse")
        assert.include(error.message, "no new cursor")
        assert.strictEqual(fake.requests.length, 1)
      })
    ))
})

describe("WebhookEndpoints errors", () => {
  it.effect("gives each status of the engine's table its reason, with OpenAI's error fields and the request id", () =>
    withApi((fake) =>
      Effect.forEach(statuses, ([status, reason]) =>
        Effect.gen(function*() {
          fake.answerNext(1, { status })
          const error = yield* failure(WebhookEndpoints.retrieve("whe_123"))
          assert.instanceOf(error, WebhookError.ApiError)
          assert.strictEqual(error.reason, reason, String(status))
          assert.strictEqual(error.status, status)
          assert.strictEqual(error.requestId, `req_${String(fake.requests.length).padStart(6, "0")}`)
          assert.include(error.message, `GET /webhook_endpoints/whe_123: ${status}`)
          if (status === 422) assert.strictEqual(error.param, "url")
          if (status === 429) assert.strictEqual(error.code, "rate_limit_exceeded")
          assert.strictEqual(error.type, errorFor(status).type)
          assert.include(error.message, errorFor(status).message)
        }), { discard: true }), { maxRetries: 0 }))

  it.effect("says which key OpenAI refused without repeating the key, even when OpenAI's message does", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        fake.answerNext(1, {
          status: 401,
          body: JSON.stringify({ error: { message: `Incorrect API key provided: ${apiKey}.`, code: "invalid_api_key" } })
        })
        const error = yield* failure(WebhookEndpoints.retrieve("whe_123"))
        assert.strictEqual(error.reason, "Authentication")
        assert.include(error.message, "Incorrect API key provided: <redacted>.")
        for (const text of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
          assertNoSecrets(text, fake)
        }
      })
    ))

  it.effect("answers a key OpenAI does not know with Authentication and OpenAI's masked message", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* scopedFake("sk-the-right-one")
      const live = WebhookEndpoints.layer({ apiKey: Redacted.make(apiKey), baseUrl: fake.baseUrl }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
      const error = yield* failure(WebhookEndpoints.retrieve("whe_123")).pipe(Effect.provide(live))
      assert.strictEqual(error.reason, "Authentication")
      assert.include(error.message, `Incorrect API key provided: sk-...${apiKey.slice(-4)}.`)
      assert.strictEqual(fake.requests.length, 1)
      assertNoSecrets(`${error.message} ${inspect(error)} ${JSON.stringify(error)}`)
    })))

  it.effect("calls an answer that is not JSON, or not an endpoint, InvalidResponse, without repeating it", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        fake.answerNext(1, { status: 200, body: "<html>gateway</html>" })
        const notJson = yield* failure(WebhookEndpoints.retrieve("whe_123"))
        assert.deepStrictEqual([notJson.reason, notJson.status], ["InvalidResponse", 200])
        assert.include(notJson.message, "not JSON")
        assert.notInclude(notJson.message, "gateway")
        const leaked = "whsec_bGVha2VkLXNlY3JldC1ieXRlcy1hdC1sZWFzdC0zMg=="
        fake.answerNext(1, {
          status: 200,
          body: JSON.stringify({ id: 7, name: "x", url: "https://x", signing_secret: leaked })
        })
        const wrong = yield* failure(WebhookEndpoints.create(created))
        assert.strictEqual(wrong.reason, "InvalidResponse")
        // The wire names, as OpenAI spells them: the path comes from SchemaIssue, through the encodeKeys codec.
        assert.include(wrong.message, "id is not of the documented type")
        assert.include(wrong.message, "event_types is missing")
        assert.notInclude(wrong.message, leaked)
        assert.notInclude(inspect(wrong), leaked)
        // Never retried: a second attempt would get the same answer (and create would create twice).
        assert.strictEqual(fake.requests.length, 2)
      })
    ))

  it.effect("ignores keys OpenAI adds to its answers", () =>
    withApi(() =>
      Effect.gen(function*() {
        const endpoint = yield* WebhookEndpoints.create(created)
        assert.notProperty(endpoint, "status")
        assert.strictEqual(endpoint.object, "webhook_endpoint")
      })
    ))
})

describe("WebhookEndpoints input checks", () => {
  const refused = <A>(effect: Effect.Effect<A, WebhookError.ApiError, Api>, param: string, message: RegExp) =>
    withApi((fake) =>
      Effect.gen(function*() {
        const error = yield* failure(effect)
        assert.strictEqual(error.reason, "UnprocessableEntity")
        assert.strictEqual(error.param, param)
        assert.isUndefined(error.status)
        assert.match(error.message, message)
        assert.include(error.message, "(not sent)")
        assert.deepStrictEqual(fake.requests, [])
      })
    )

  for (const row of refusals) {
    it.effect(`refuses ${row.name}, without sending it`, () => refused(callOf(row.call), row.param, row.message))
  }

  it.effect("takes a URL of exactly 2048 characters and a name of 256 (counted in characters, not UTF-16 units)", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        assert.strictEqual(atTheLimits.url.length, 2048)
        const endpoint = yield* WebhookEndpoints.create(atTheLimits)
        assert.strictEqual(endpoint.url, atTheLimits.url)
        assert.strictEqual(fake.requests.length, 1)
      })
    ))

  it.effect("escapes an ID that is not refused", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const error = yield* failure(WebhookEndpoints.retrieve("../webhook_event_types?x=1"))
        assert.strictEqual(error.reason, "NotFound")
        assert.strictEqual(fake.requests[0]?.path, "/v1/webhook_endpoints/..%2Fwebhook_event_types%3Fx%3D1")
      })
    ))
})

describe("WebhookEndpoints retries", () => {
  for (const row of retries) {
    it.effect(row.name, () =>
      withApi((fake, log) =>
        Effect.gen(function*() {
          for (const answer of row.answers) fake.answerNext(1, answer)
          const call = yield* Effect.forkChild(Effect.exit(callOf(row.call)))
          for (const [i, retry] of row.retries.entries()) {
            const announced = yield* Queue.take(log.retries)
            assert.include(announced, retry.announced)
            const wait = waitOf(announced)
            if (retry.wait !== undefined) {
              assert.isAtLeast(wait, retry.wait[0])
              assert.isAtMost(wait, retry.wait[1])
            }
            yield* TestClock.adjust(wait - 1)
            assert.strictEqual(fake.requests.length, i + 1, "nothing sent before the wait is over")
            yield* TestClock.adjust(1)
          }
          const exit = yield* Fiber.join(call)
          assert.strictEqual(fake.requests.length, row.requests)
          assert.strictEqual(yield* Queue.size(log.retries), 0, "no retry beyond the row's")
          if (row.fails === undefined) {
            assert.isTrue(Exit.isSuccess(exit), inspect(exit))
          } else {
            const error = Exit.findErrorOption(exit)
            assert.strictEqual(error._tag, "Some", inspect(exit))
            if (error._tag === "Some") {
              assert.strictEqual(error.value.reason, row.fails.reason)
              for (const words of row.fails.message) assert.include(error.value.message, words)
            }
          }
        }), row.maxRetries === undefined ? {} : { maxRetries: row.maxRetries }))
  }

  it.effect("reads a retry-after given as an HTTP date against the clock", () =>
    withApi((fake, log) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.parse("2026-11-29T12:00:00Z"))
        fake.answerNext(1, { status: 503, retryAfter: "Sun, 29 Nov 2026 12:00:05 GMT" })
        const call = yield* Effect.forkChild(WebhookEndpoints.eventTypes)
        assert.include(yield* Queue.take(log.retries), "in 5000 ms (retry 1 of 2) after 503 Server")
        yield* TestClock.adjust("5 seconds")
        assert.deepStrictEqual(yield* Fiber.join(call), subscribable)
        assert.strictEqual(fake.requests.length, 2)
      })
    ))
})

describe("WebhookEndpoints timeouts and transport errors", () => {
  it.effect("create gets no answer within the timeout: Transport, sent once, and the error says to check first", () =>
    withApi((fake) =>
      Effect.gen(function*() {
        const stall = fake.stallNext()
        const call = yield* Effect.forkChild(failure(WebhookEndpoints.create(created)))
        yield* Effect.promise(() => stall.arrived)
        yield* TestClock.adjust("10 seconds")
        const error = yield* Fiber.join(call)
        assert.strictEqual(error.reason, "Transport")
        assert.isUndefined(error.status)
        assert.include(error.message, `POST /webhook_endpoints: no answer from ${fake.baseUrl} within 10s.`)
        assert.include(
          error.message,
          "The request may have reached OpenAI; not retried: check with list/retrieve before trying again"
        )
        assert.strictEqual(fake.requestsTo("POST", "/v1/webhook_endpoints").length, 1)
      }), { timeout: "10 seconds" }))

  it.effect("retrieve gets no answer within the default 30 s: retried after a backoff, and answered", () =>
    withApi((fake, log) =>
      Effect.gen(function*() {
        const [id] = fake.seed(1)
        const stall = fake.stallNext()
        const call = yield* Effect.forkChild(WebhookEndpoints.retrieve(id!))
        yield* Effect.promise(() => stall.arrived)
        yield* TestClock.adjust("29999 millis")
        assert.isUndefined(call.pollUnsafe())
        yield* TestClock.adjust("1 millis")
        const announced = yield* Queue.take(log.retries)
        assert.include(announced, "after Transport")
        yield* TestClock.adjust(waitOf(announced))
        assert.strictEqual((yield* Fiber.join(call)).id, id)
        assert.strictEqual(fake.requests.length, 2)
      })
    ))

  it.effect("a connection refused is Transport; create is not retried, and says so", () =>
    Effect.gen(function*() {
      const closed = yield* Effect.promise(closedPort)
      const live = (maxRetries: number) =>
        WebhookEndpoints.layer({ apiKey: Redacted.make(apiKey), baseUrl: `http://127.0.0.1:${closed}/v1`, maxRetries })
          .pipe(Layer.provide(FetchHttpClient.layer))
      const refused = yield* failure(WebhookEndpoints.create(created)).pipe(Effect.provide(live(2)))
      assert.strictEqual(refused.reason, "Transport")
      assert.include(refused.message, `no answer from http://127.0.0.1:${closed}/v1: connect ECONNREFUSED`)
      assert.include(refused.message, "not retried")
      const listed = yield* failure(WebhookEndpoints.listPage()).pipe(Effect.provide(live(0)))
      assert.strictEqual(listed.reason, "Transport")
      assert.notInclude(listed.message, "not retried")
      assertNoSecrets(`${inspect(refused)} ${JSON.stringify(listed)}`)
    }))

  it.effect("a delete retried after an unanswered attempt, then not found, says the first may have done it", () =>
    withApi((fake, log) =>
      Effect.gen(function*() {
        const [id] = fake.seed(1)
        const stall = fake.stallNext()
        const call = yield* Effect.forkChild(failure(WebhookEndpoints.del(id!)))
        yield* Effect.promise(() => stall.arrived)
        // The held request is released after the client gave up on it: the endpoint is deleted all the same.
        yield* TestClock.adjust("30 seconds")
        const announced = yield* Queue.take(log.retries)
        stall.release()
        yield* Effect.promise(() => stall.handled)
        assert.deepStrictEqual(fake.secretsOf(id!), [])
        yield* TestClock.adjust(waitOf(announced))
        const error = yield* Fiber.join(call)
        assert.strictEqual(error.reason, "NotFound")
        assert.include(error.message, "an earlier attempt got no answer and may have deleted it")
      })
    ))
})

describe("WebhookEndpoints secrets", () => {
  it.effect("a signing secret never prints: String, inspect, JSON.stringify and logs show <redacted>", () =>
    withApi((_, log) =>
      Effect.gen(function*() {
        const endpoint = yield* WebhookEndpoints.create(created)
        const secret = Redacted.value(endpoint.signingSecret)
        assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
        for (const text of [String(endpoint), inspect(endpoint, { depth: 10 }), JSON.stringify(endpoint)]) {
          assert.notInclude(text, secret)
        }
        yield* Effect.log("created", endpoint)
        yield* Effect.logInfo(endpoint)
        yield* Effect.annotateLogs(Effect.log("with annotations"), { endpoint })
        assert.isAtLeast(log.lines.length, 3)
        // withApi checks every log line for the key and for any whsec_ secret.
        const wire = Schema.encodeSync(WebhookEndpoints.wire.WebhookEndpointWithSecret)(endpoint)
        assert.strictEqual(wire.signing_secret, secret, "the wire codec gives OpenAI's JSON back, on purpose")
        assert.deepStrictEqual(
          Schema.decodeUnknownSync(WebhookEndpoints.wire.WebhookEndpointWithSecret)(wire).id,
          endpoint.id
        )
      })
    ))

  it.effect("the API key never appears in a log line, even while retrying and failing", () =>
    withApi((fake, log) =>
      Effect.gen(function*() {
        fake.answerNext(1, { status: 429, retryAfter: "1" })
        const call = yield* Effect.forkChild(WebhookEndpoints.eventTypes)
        yield* Queue.take(log.retries)
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(call)
        fake.answerNext(1, { status: 401, body: JSON.stringify({ error: { message: `bad key ${apiKey}` } }) })
        const error = yield* failure(WebhookEndpoints.eventTypes)
        yield* Effect.logError("failed", error)
        yield* Effect.logError(Cause.fail(error))
        assert.isAtLeast(log.lines.length, 3)
        assert.include(log.lines.join("\n"), "<redacted>")
      })
    ))
})

describe("WebhookEndpoints layers", () => {
  const build = (options: WebhookEndpoints.Options) =>
    Effect.flip(Effect.scoped(Layer.build(WebhookEndpoints.layer(options).pipe(Layer.provide(FetchHttpClient.layer)))))

  for (const row of refusedOptions) {
    it.effect(`refuses ${row.option} (${row.message}) when the layer is built, never showing the key`, () =>
      Effect.gen(function*() {
        const { timeoutMillis, ...rest } = row.options
        const error = yield* build({
          ...rest,
          apiKey: Redacted.make(row.options.apiKey),
          ...(timeoutMillis === undefined ? {} : { timeout: timeoutMillis })
        })
        assert.instanceOf(error, WebhookError.IllegalArgumentError)
        // The one error every module refuses options with: Effect's, with the option and a reason.
        assert.isTrue(Cause.isIllegalArgumentError(error))
        assert.deepStrictEqual([error.option, error.reason], [row.option, row.reason])
        assert.include(error.message, `WebhookEndpoints: ${row.option}: ${row.message}`)
        assertNoSecrets(`${error.message} ${inspect(error)}`)
        assert.notInclude(error.message, "hunter2")
      }))
  }

  it.effect("refuses a timeout Effect cannot read as Malformed, not with a throw", () =>
    Effect.gen(function*() {
      const error = yield* build({ apiKey: Redacted.make(apiKey), timeout: "soon" as Duration.Input })
      assert.deepStrictEqual([error._tag, error.reason, error.option], ["IllegalArgumentError", "Malformed", "timeout"])
      assert.strictEqual(
        error.message,
        "WebhookEndpoints: timeout: Expected a duration such as \"10 seconds\" or \"1500 millis\"; got \"soon\""
      )
    }))

  it("defaultBaseUrl is OpenAI's", () => {
    assert.strictEqual(WebhookEndpoints.defaultBaseUrl, "https://api.openai.com/v1")
  })

  it.effect("forgives one final line break on the key, as on webhook secrets", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* scopedFake(apiKey)
      const live = WebhookEndpoints.layer({ apiKey: Redacted.make(`${apiKey}\n`), baseUrl: `${fake.baseUrl}/` }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
      yield* WebhookEndpoints.eventTypes.pipe(Effect.provide(live))
      assert.strictEqual(fake.requests[0]?.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(fake.requests[0]?.path, "/v1/webhook_event_types")
    })))

  const fromEnv = (variables: Record<string, string>) =>
    WebhookEndpoints.layerConfig().pipe(
      Layer.provide(FetchHttpClient.layer),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: variables, preserveEmptyStrings: true })))
    )

  it.effect("layerConfig reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* scopedFake(apiKey)
      yield* WebhookEndpoints.eventTypes.pipe(
        Effect.provide(fromEnv({
          OPENAI_API_KEY: apiKey,
          OPENAI_BASE_URL: fake.baseUrl,
          OPENAI_ORG_ID: "org_abc",
          OPENAI_PROJECT_ID: "proj_def"
        }))
      )
      yield* WebhookEndpoints.eventTypes.pipe(
        Effect.provide(fromEnv({ OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: fake.baseUrl, OPENAI_ORG_ID: "" }))
      )
      const [first, second] = fake.requests
      assert.strictEqual(first?.headers.authorization, `Bearer ${apiKey}`)
      assert.strictEqual(first?.headers["openai-organization"], "org_abc")
      assert.strictEqual(first?.headers["openai-project"], "proj_def")
      assert.isUndefined(second?.headers["openai-organization"], "an empty variable counts as unset")
      assert.isUndefined(second?.headers["openai-project"])
    })))

  it.effect("layerConfig fails with a ConfigError naming the variable: the key missing or unusable, a bad base URL", () =>
    Effect.gen(function*() {
      const error = (variables: Record<string, string>) => Effect.flip(Effect.scoped(Layer.build(fromEnv(variables))))
      const missing = yield* error({})
      assert.strictEqual(missing._tag, "ConfigError")
      assert.include(String(missing), "OPENAI_API_KEY")
      const empty = yield* error({ OPENAI_API_KEY: "" })
      assert.include(String(empty), "OPENAI_API_KEY")
      assert.include(String(empty), "the API key is empty")
      const spaced = yield* error({ OPENAI_API_KEY: `${apiKey} x` })
      assert.include(String(spaced), "the API key contains whitespace")
      const bad = yield* error({ OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: "localhost:8080" })
      assert.include(String(bad), "OPENAI_BASE_URL")
      assert.include(String(bad), "Expected an http(s) URL")
      for (const found of [spaced, bad]) assertNoSecrets(`${String(found)} ${inspect(found, { depth: 20 })}`)
    }))
})

describe("WebhookEndpoints models", () => {
  it.prop("WebhookEndpoint decodes from OpenAI's JSON what it encodes to it", [WebhookEndpoints.WebhookEndpoint], ([
    endpoint
  ]) => {
    const wire = Schema.encodeSync(WebhookEndpoints.wire.WebhookEndpoint)(endpoint)
    assert.deepStrictEqual(Schema.decodeUnknownSync(WebhookEndpoints.wire.WebhookEndpoint)(wire), endpoint)
  })

  it("reads an updated_at of null as absent, and a missing signing_secret_hint as null", () => {
    const endpoint = Schema.decodeUnknownSync(WebhookEndpoints.wire.WebhookEndpoint)({
      id: "whe_1",
      name: "n",
      url: "https://example.com",
      event_types: [],
      created_at: 1,
      updated_at: null
    })
    assert.notProperty(endpoint, "updatedAt")
    assert.isNull(endpoint.signingSecretHint)
    assert.isTrue(Result.isSuccess(Schema.decodeUnknownResult(WebhookEndpoints.wire.Page)({ data: [], has_more: false })))
  })
})

// Rotation without downtime through layerConfig, with receivers given both secrets: the README's example
// (examples/endpoints.ts), in test/examples.test.ts.

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = http.createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
