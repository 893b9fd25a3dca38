/**
 * One table of requests, sent through every mounting style on real loopback servers (a web handler also
 * called directly): each row must get the same status, body and log outcome from all of them. A style
 * that answers differently from the table is a mounting that drifted from the core.
 */
import { assert, layer } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer } from "effect"
import { type Endpoint, type Init, type Observed, observe, otherSecret, secret, styles } from "./support/mount.js"
import { WebhookTesting, type WebhookEvent, type Webhooks } from "../src/index.js"
import type { Reply } from "openai-webhooks-engine"
import { replyOf, tooLargeLimit } from "../packages/engine/test/tables/replies.js"

/** Small, so that the limit rows are cheap; a real delivery is well under it. The reply table's 413 names it. */
const LIMIT = tooLargeLimit
/** Long enough that no row but the timeout row comes near it on a loaded machine. */
const TIMEOUT = "2 seconds"

/** The handler every style runs: the event type says what it does, so that a row chooses by what it signs. */
const handle = (event: WebhookEvent.UnwrapWebhookEvent, _delivery: Webhooks.Delivery): Effect.Effect<void, Error> => {
  switch (event._tag) {
    case "response.failed":
      return Effect.fail(new Error("the handler failed"))
    case "video.failed":
      return Effect.die(new Error("the handler died"))
    case "batch.failed":
      // A throw instead of a failed Effect: user code with a bug.
      throw new Error("the handler threw")
    case "batch.expired":
      return Effect.never
    default:
      return Effect.void
  }
}

interface Mounted {
  readonly style: string
  readonly endpoint: Endpoint
  readonly observed: Observed
  /** How many times the handler was called. */
  readonly calls: () => number
}

class Mounts extends Context.Tag("test/conformance/Mounts")<Mounts, ReadonlyArray<Mounted>>() {}

// Each style is mounted in a fiber of its own: the observability layer sets the logger and the tracer on
// the fiber that builds it, and one style's must not reach the next one's runtime.
const MountsLive = Layer.scoped(
  Mounts,
  Effect.forEach(styles, (style) =>
    Effect.gen(function*() {
      const observed = observe()
      let calls = 0
      const endpoint = yield* Effect.orDie(style.mount({
        handle: (event, delivery) => {
          calls++
          return handle(event, delivery)
        },
        maxBodySize: LIMIT,
        timeout: TIMEOUT
      }, observed.layer))
      return { style: style.name, endpoint, observed, calls: () => calls }
    }), { concurrency: "unbounded" })
)

// The table.

type Outcome = Reply.Outcome

interface Expected {
  readonly status: number
  readonly body: unknown
  /** The `allow` header, on a 405 only. */
  readonly allow: string | null
  readonly outcome: Outcome
  /** Whether the handler runs. */
  readonly handled: boolean
}

interface Row {
  readonly name: string
  /** A fresh request for each style (a fresh id, signed now). */
  readonly request: Effect.Effect<Init>
  readonly expected: Expected
}

/** The answer of the engine's reply table (the fixture both editions run) for `outcome`. */
const expected = (outcome: Outcome, handled: boolean, reason?: string): Expected => {
  const row = replyOf(outcome, reason)
  return { status: row.status, body: row.body, allow: row.headers["allow"] ?? null, outcome, handled }
}

const PROCESSED = expected("processed", true)
const FAILED = expected("failed", true)
const NOT_ALLOWED = expected("method_not_allowed", false)
const TOO_LARGE = expected("too_large", false)
const rejected = (reason: string): Expected => expected("rejected", false, reason)
const invalid = (reason: string): Expected => expected("invalid", false, reason)

type Headers = Record<string, string>

/** A POST of a signed delivery, its headers changed by `edit`. */
const post = (signing: Effect.Effect<WebhookTesting.Signed, unknown>, edit: (headers: Headers) => Headers = (h) => h) =>
  Effect.map(Effect.orDie(signing), (signed): Init => ({
    method: "POST",
    headers: edit({ ...signed.headers }),
    body: typeof signed.body === "string" ? signed.body : new Uint8Array(signed.body)
  }))

const event = (type: WebhookEvent.EventType, options: { readonly id?: string; readonly at?: Date } = {}) =>
  WebhookTesting.sign({ event: WebhookTesting.sample(type), secret, id: options.id, timestamp: options.at })

const payload = (body: string) => WebhookTesting.sign({ payload: body, secret })

/** A valid `response.completed` body padded with JSON whitespace to exactly `size` bytes. */
const paddedTo = (size: number): string => {
  const body = WebhookTesting.encode(WebhookTesting.sample("response.completed"))
  return body + " ".repeat(size - Buffer.byteLength(body))
}

const without = (name: string) => (headers: Headers) => {
  const { [name]: _, ...rest } = headers
  return rest
}

const emptied = (name: string) => (headers: Headers) => ({ ...headers, [name]: "" })

const minutes = (n: number) => new Date(Date.now() + n * 60_000)

const rows: ReadonlyArray<Row> = [
  { name: "a signed delivery", request: post(event("response.completed")), expected: PROCESSED },
  {
    name: "a signed delivery of a type this version does not know",
    request: post(payload(JSON.stringify({ id: "evt_new", created_at: 1719168000, type: "brand.new", data: {} }))),
    expected: PROCESSED
  },
  { name: "a body of exactly the limit", request: post(payload(paddedTo(LIMIT))), expected: PROCESSED },
  { name: "a body one byte over the limit", request: post(payload(paddedTo(LIMIT + 1))), expected: TOO_LARGE },
  { name: "GET", request: Effect.succeed({ method: "GET" }), expected: NOT_ALLOWED },
  {
    name: "PUT of a signed delivery",
    request: Effect.map(post(event("response.completed")), (init) => ({ ...init, method: "PUT" })),
    expected: NOT_ALLOWED
  },
  ...["webhook-id", "webhook-timestamp", "webhook-signature"].flatMap((header): ReadonlyArray<Row> => [
    {
      name: `${header} missing`,
      request: post(event("batch.completed"), without(header)),
      expected: rejected("MissingHeader")
    },
    {
      name: `${header} empty`,
      request: post(event("batch.completed"), emptied(header)),
      expected: rejected("MissingHeader")
    }
  ]),
  {
    name: "a webhook-timestamp that is not a number",
    request: post(event("batch.completed"), (headers) => ({ ...headers, "webhook-timestamp": "yesterday" })),
    expected: rejected("InvalidTimestamp")
  },
  {
    name: "a delivery signed 10 minutes ago",
    request: post(event("batch.completed", { at: minutes(-10) })),
    expected: rejected("TimestampTooOld")
  },
  {
    name: "a delivery signed 10 minutes ahead",
    request: post(event("batch.completed", { at: minutes(10) })),
    expected: rejected("TimestampTooNew")
  },
  {
    name: "a delivery signed with another secret",
    request: post(WebhookTesting.sign({ event: WebhookTesting.sample("batch.completed"), secret: otherSecret })),
    expected: rejected("NoMatchingSignature")
  },
  {
    name: "a signature folded at its inner comma (v1, <mac>)",
    request: post(event("batch.completed"), (headers) => ({
      ...headers,
      "webhook-signature": headers["webhook-signature"]!.replace("v1,", "v1, ")
    })),
    expected: PROCESSED
  },
  { name: "webhook-id: none", request: post(event("batch.completed", { id: "none" })), expected: PROCESSED },
  { name: "an authentic body that is not JSON", request: post(payload("not json")), expected: invalid("InvalidJson") },
  {
    name: "an authentic JSON body that is not an event",
    request: post(payload(JSON.stringify({ id: "evt_bad", created_at: 1, type: "response.completed", data: {} }))),
    expected: invalid("InvalidEvent")
  },
  { name: "a handler that fails", request: post(event("response.failed")), expected: FAILED },
  { name: "a handler that dies", request: post(event("video.failed")), expected: FAILED },
  { name: "a handler that throws", request: post(event("batch.failed")), expected: FAILED },
  { name: "a handler that outlives the timeout", request: post(event("batch.expired")), expected: FAILED }
]

/** Sends the row's request to one style and asserts the table's answer, line and handler call. */
const check = (mounted: Mounted, row: Row) =>
  Effect.gen(function*() {
    const init = yield* row.request
    const lines = mounted.observed.lines.length
    const calls = mounted.calls()
    const response = yield* Effect.promise(() => mounted.endpoint.fetch(init))
    const text = yield* Effect.promise(() => response.text())
    const where = `${row.name}, through ${mounted.style}`
    const { expected } = row
    assert.strictEqual(response.status, expected.status, `${where}: status (body ${text})`)
    assert.deepStrictEqual(JSON.parse(text), expected.body, `${where}: body ${text}`)
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/, `${where}: content-type`)
    assert.strictEqual(response.headers.get("allow"), expected.allow, `${where}: allow`)
    assert.strictEqual(response.headers.get("allow"), expected.status === 405 ? "POST" : null, `${where}: allow`)
    // The line may follow the answer (a timed-out handler is answered first).
    yield* mounted.observed.untilLines(lines + 1)
    const logged = mounted.observed.lines.slice(lines).map((line) => line.message)
    assert.deepStrictEqual(logged, [expected.outcome], `${where}: the log line`)
    assert.strictEqual(mounted.calls() - calls, expected.handled ? 1 : 0, `${where}: handler calls`)
  })

layer(MountsLive, { excludeTestServices: true })("every mounting style answers the table alike", (it) => {
  it.effect("mounts every style the README shows", () =>
    Effect.map(Mounts, (mounts) => {
      assert.deepStrictEqual(mounts.map((mounted) => mounted.style), [
        "toHttpApp on the classic HttpRouter",
        "layerRoute on HttpLayerRouter",
        "toWebHandler called with a Request",
        "toWebHandler behind node:http",
        "makeNodeListener on node:http",
        "makeNodeListener behind Express with express.raw()",
        "makeNodeListener behind Express with express.text()",
        "makeNodeListener behind Fastify"
      ])
    }))

  for (const row of rows) {
    // Every style answers before the row ends, even when one of them differs: a late line would land in
    // the next row. The failures of all styles that differ are reported together.
    it.effect(`${row.name}: ${row.expected.status} ${row.expected.outcome}`, () =>
      Effect.gen(function*() {
        const mounts = yield* Mounts
        const results = yield* Effect.forEach(mounts, (mounted) => Effect.exit(check(mounted, row)), {
          concurrency: "unbounded"
        })
        const differ = results.flatMap((exit) => (Exit.isFailure(exit) ? [String(Cause.squash(exit.cause))] : []))
        assert.deepStrictEqual(differ, [], differ.join("\n"))
      }))
  }
})
