/**
 * End to end over real HTTP on loopback ports: every mounting style of the Effect 4 edition's `WebhookHttp`
 * answers, logs, traces and counts deliveries the same way (the Effect 3 edition's suite, on Effect 4). Requests
 * are signed with `WebhookTesting`; nothing is mocked.
 */
import * as http from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Match, Metric } from "effect"
import { oneConnection as newAgent, postOn } from "../../engine/test/support/http.js"
import * as Bodies from "../../engine/test/tables/bodies.js"
import { replyOf } from "../../engine/test/tables/replies.js"
import { WebhookEvent, WebhookHttp, WebhookSecret, WebhookTesting } from "../src/index.js"
import {
  assertJson,
  bodyOf,
  idOf,
  lineOf,
  mount,
  otherSecret,
  paddedTo,
  parse,
  recorder,
  type Seen,
  secret,
  signed,
  signedPayload,
  textOf
} from "./support/deliveries.js"
import { nodeListener, observe, PATH, serveNode, styles } from "./support/mount.js"

/** `openai_webhook_deliveries_total` for one outcome and event type, read from the metric registry by name. */
const counted = (outcome: string, eventType: string) =>
  Effect.map(Metric.snapshot, (snapshots) => {
    let total = 0
    for (const snapshot of snapshots) {
      if (snapshot.id !== "openai_webhook_deliveries_total" || snapshot.type !== "Counter") continue
      const attributes = snapshot.attributes ?? {}
      if (attributes["outcome"] === outcome && attributes["event_type"] === eventType) {
        total += Number(snapshot.state.count)
      }
    }
    return total
  })

/** The engine's POST on an explicit agent (does a request reuse the connection?), and the agent, in the scope. */
const nodePost = (...args: Parameters<typeof postOn>) => Effect.promise(() => postOn(...args))
const oneConnection = Effect.acquireRelease(Effect.sync(newAgent), (agent) => Effect.sync(() => agent.destroy()))

describe("a newcomer on Effect 4", () => {
  // The check: the secret from a Layer, Match.tag narrowing, and a fetch handler answering 200, 401 and 405.
  it.live("gets 200, 401 and 405 from a fetch handler whose secret comes from a Layer, and Match.tag narrows", () =>
    Effect.gen(function*() {
      const completed: Array<string> = []
      const handle = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
        Match.tag("response.completed", (event) =>
          Effect.sync(() => {
            // Narrowed: `data.id` is the response's id.
            completed.push(event.data.id)
          })),
        Match.orElse(() => Effect.void)
      )
      const { dispose, handler } = WebhookHttp.toWebHandler({ handle, layer: WebhookSecret.layer(secret) })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const url = `http://127.0.0.1${PATH}`
      const delivery = yield* signed("response.completed")
      const ok = yield* Effect.promise(() =>
        handler(new Request(url, { method: "POST", headers: delivery.headers, body: bodyOf(delivery) }))
      )
      assert.strictEqual(ok.status, 200)
      assert.deepStrictEqual(yield* Effect.promise(() => ok.json()), { received: true })
      assert.deepStrictEqual(completed, [WebhookTesting.sample("response.completed").data.id])
      const forged = yield* signed("response.completed", otherSecret)
      const unauthorized = yield* Effect.promise(() =>
        handler(new Request(url, { method: "POST", headers: forged.headers, body: bodyOf(forged) }))
      )
      assert.strictEqual(unauthorized.status, 401)
      assert.deepStrictEqual(
        yield* Effect.promise(() => unauthorized.json()),
        replyOf("rejected", "NoMatchingSignature").body
      )
      const get = yield* Effect.promise(() => handler(new Request(url)))
      assert.strictEqual(get.status, 405)
      assert.strictEqual(get.headers.get("allow"), "POST")
      assert.strictEqual(completed.length, 1)
    }))
})

// The suite, once per mounting style. What the engine's conformance table already sends through every style
// (conformance.test.ts: each outcome's status, body, allow header, and its line's message, level, webhook_id,
// event_type and reason) is not sent again here.

for (const style of styles) {
  describe(style.name, () => {
    it.live("answers 200 {received:true} and gives the handler the decoded event and the delivery", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const delivery = yield* signed("response.completed")
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 200)
        assertJson(reply)
        assert.deepStrictEqual(parse(reply), { received: true })
        assert.strictEqual(seen.length, 1)
        const [{ delivery: given, event }] = seen as [Seen]
        assert.strictEqual(event._tag, "response.completed")
        assert.deepStrictEqual(event, WebhookTesting.sample("response.completed"))
        assert.deepStrictEqual(given, {
          id: delivery.headers["webhook-id"],
          timestamp: Number(delivery.headers["webhook-timestamp"])
        })
      }))

    it.live("hands an event of a type it does not know to the handler as unknown", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const body = JSON.stringify({ id: "evt_new", created_at: 1719168000, type: "brand.new", data: {} })
        const delivery = yield* signedPayload(body)
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 200)
        const event = seen[0]?.event
        assert.strictEqual(event?._tag, "unknown")
        assert.strictEqual(event?._tag === "unknown" ? event.type : undefined, "brand.new")
        assert.strictEqual(lineOf(server.lines, idOf(delivery)).annotations["event_type"], "brand.new")
      }))

    it.live("answers 401 TimestampTooOld to a delivery signed 10 minutes ago, 200 with tolerance 15 min", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const strict = yield* mount(style, { handle })
        const lenient = yield* mount(style, { handle, tolerance: "15 minutes" })
        const delivery = yield* WebhookTesting.sign({
          event: WebhookTesting.sample("batch.completed"),
          secret,
          timestamp: new Date(Date.now() - 10 * 60_000)
        })
        const rejected = yield* strict.post(delivery)
        assert.strictEqual(rejected.status, 401)
        assert.deepStrictEqual(parse(rejected), { error: { type: "SignatureError", reason: "TimestampTooOld" } })
        assert.strictEqual(seen.length, 0)
        const accepted = yield* lenient.post(delivery)
        assert.strictEqual(accepted.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.live("answers 400 to a known event type with the wrong shape, logging its event type and raw body", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const payload = JSON.stringify({ id: "evt_bad", created_at: 1719168000, type: "response.completed", data: {} })
        const delivery = yield* signedPayload(payload)
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 400)
        assert.deepStrictEqual(parse(reply), { error: { type: "DecodeError", reason: "InvalidEvent" } })
        assert.strictEqual(seen.length, 0)
        const line = lineOf(server.lines, idOf(delivery))
        assert.strictEqual(line.message, "invalid")
        assert.strictEqual(line.level, "Error")
        assert.strictEqual(line.annotations["event_type"], "response.completed")
        assert.strictEqual(line.annotations["body"], payload)
      }))

    it.live("answers 500 when the handler fails, logs the cause, and answers 200 to the next delivery", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, {
          handle: (event, delivery) =>
            event._tag === "response.failed" ? Effect.fail(new Error("the database is down")) : handle(event, delivery)
        })
        const failing = yield* signed("response.failed")
        const reply = yield* server.post(failing)
        assert.strictEqual(reply.status, 500)
        assertJson(reply)
        assert.deepStrictEqual(parse(reply), replyOf("failed").body)
        const line = lineOf(server.lines, idOf(failing))
        assert.strictEqual(line.message, "failed")
        assert.strictEqual(line.level, "Error")
        assert.strictEqual(line.annotations["event_type"], "response.failed")
        assert.include(line.cause, "the database is down")
        const next = yield* server.post(yield* signed("response.completed"))
        assert.strictEqual(next.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.live("answers 500 when the handler outlives its timeout, interrupts it and says so in the log", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const interrupted = yield* Deferred.make<void>()
        const server = yield* mount(style, {
          timeout: "50 millis",
          handle: (event, delivery) =>
            event._tag === "batch.expired"
              ? Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
              : handle(event, delivery)
        })
        const stuck = yield* signed("batch.expired")
        const reply = yield* server.post(stuck)
        assert.strictEqual(reply.status, 500)
        yield* Deferred.await(interrupted)
        yield* server.untilLines(1)
        const line = lineOf(server.lines, idOf(stuck))
        assert.strictEqual(line.message, "failed")
        assert.strictEqual(line.level, "Error")
        assert.strictEqual(line.annotations["event_type"], "batch.expired")
        assert.include(String(line.annotations["error"]), "did not finish within 50ms")
        const next = yield* server.post(yield* signed("batch.completed"))
        assert.strictEqual(next.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.live("handles 20 deliveries at the same time, each once", () =>
      Effect.gen(function*() {
        const count = 20
        const seen: Array<string> = []
        const allIn = yield* Deferred.make<void>()
        // Every handler waits until all 20 have started: this only finishes if they run concurrently.
        const server = yield* mount(style, {
          handle: (_event, delivery) =>
            Effect.suspend(() => {
              seen.push(delivery.id)
              return seen.length === count ? Deferred.succeed(allIn, undefined) : Deferred.await(allIn)
            })
        })
        const sent = yield* Effect.forEach(Array.from({ length: count }), () => signed("response.completed"))
        const replies = yield* Effect.forEach(sent, server.post, { concurrency: "unbounded" })
        assert.deepStrictEqual(replies.map((reply) => reply.status), Array(count).fill(200))
        assert.deepStrictEqual([...seen].sort(), sent.map(idOf).sort())
        assert.strictEqual(server.lines.length, count)
        for (const delivery of sent) assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "processed")
      }))

    describe(`with maxBodySize ${Bodies.limit}`, () => {
      // The engine's size rows, each a signed event padded to the row's size (so not the empty body's rows).
      const minimum = Buffer.byteLength(WebhookTesting.encode(WebhookTesting.sample("response.completed")))
      for (const row of Bodies.sizes.filter((row) => row.size >= minimum)) {
        const processed = row.expected._tag === "Body"
        it.live(`${processed ? "processes" : "answers 413 to"} ${row.name} (${row.size} bytes)`, () =>
          Effect.gen(function*() {
            const { handle, seen } = recorder()
            const server = yield* mount(style, { handle, maxBodySize: Bodies.limit })
            const delivery = yield* signedPayload(paddedTo(row.size))
            const bytes = new TextEncoder().encode(delivery.body as string)
            assert.strictEqual(bytes.byteLength, row.size)
            const reply = yield* row.transfer === "chunked"
              ? server.send({
                method: "POST",
                headers: delivery.headers,
                body: Bodies.chunkedStream(bytes),
                duplex: "half"
              })
              : server.send({
                method: "POST",
                // fetch sets content-length itself; a bare Request carries it as a server runtime would.
                headers: style.connected
                  ? delivery.headers
                  : { ...delivery.headers, "content-length": String(row.size) },
                body: bodyOf(delivery)
              })
            assertJson(reply)
            if (processed) {
              assert.strictEqual(reply.status, 200)
              assert.deepStrictEqual(parse(reply), replyOf("processed").body)
              assert.strictEqual(seen.length, 1)
              assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "processed")
            } else {
              assert.strictEqual(reply.status, 413)
              assert.deepStrictEqual(parse(reply), {
                error: { type: "PayloadTooLarge", message: `The body is larger than ${Bodies.limit} bytes` }
              })
              assert.strictEqual(seen.length, 0)
              assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "too_large")
            }
          }))
      }

      const transfers = style.connected ? ["content-length", "chunked"] as const : []
      for (const transfer of transfers) {
        it.live(`keeps the connection usable after a 413 (${transfer})`, () =>
          Effect.gen(function*() {
            const { handle, seen } = recorder()
            const server = yield* mount(style, { handle, maxBodySize: 1024 })
            const url = server.url ?? assert.fail("served over HTTP")
            const agent = yield* oneConnection
            const tooLarge = yield* nodePost(url, agent, yield* signedPayload(paddedTo(4 * Bodies.limit)), transfer)
            assert.strictEqual(tooLarge.status, 413)
            const next = yield* nodePost(url, agent, yield* signed(), transfer)
            assert.strictEqual(next.status, 200)
            assert.isTrue(next.reusedSocket, "the second delivery should reuse the first one's connection")
            assert.strictEqual(seen.length, 1)
          }))
      }
    })

    if (style.connected) {
      it.live("answers a client that waits for 100 Continue: 100 then its answer, or 413 at once over the limit", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const server = yield* mount(style, { handle, maxBodySize: 1024 })
          const url = server.url ?? assert.fail("served over HTTP")
          // RFC 9110 10.1.1: the body goes once the server says 100 Continue; a final answer may come instead.
          const expecting = (delivery: WebhookTesting.Signed, length: number) =>
            Effect.callback<{ readonly status: number; readonly continued: boolean }>((resume) => {
              let continued = false
              const headers = { ...delivery.headers, expect: "100-continue", "content-length": String(length) }
              const request = http.request(url, { method: "POST", headers }, (response) => {
                response.resume()
                response.on("end", () => {
                  request.destroy()
                  resume(Effect.succeed({ status: response.statusCode ?? 0, continued }))
                })
              })
              request.on("continue", () => {
                continued = true
                request.end(delivery.body)
              })
              request.on("error", () => undefined)
            })
          const delivery = yield* signed()
          assert.deepStrictEqual(yield* expecting(delivery, Buffer.byteLength(delivery.body)), {
            status: 200,
            continued: true
          })
          assert.strictEqual(seen.length, 1)
          const over = yield* expecting(yield* signedPayload(paddedTo(4 * Bodies.limit)), 4 * Bodies.limit)
          assert.strictEqual(over.status, 413)
          assert.strictEqual(seen.length, 1)
        }))
    }

    it.live("never shows the secret or a signature in a response or a log line", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, {
          maxBodySize: 2048,
          handle: (event) => event._tag === "response.failed" ? Effect.die(new Error("kaput")) : Effect.void
        })
        const wrong = yield* signed("response.completed", otherSecret)
        // The MAC the server computes for `wrong`, which must not be echoed back.
        const expected = yield* WebhookTesting.sign({
          payload: wrong.body,
          secret,
          id: wrong.headers["webhook-id"],
          timestamp: Number(wrong.headers["webhook-timestamp"])
        })
        const deliveries = [
          yield* signed("response.completed"),
          wrong,
          yield* signedPayload("not json"),
          yield* signed("response.failed"),
          yield* signedPayload(paddedTo(4096))
        ]
        const replies = [
          ...(yield* Effect.forEach(deliveries, server.post)),
          yield* server.send({ method: "PUT", headers: wrong.headers, body: bodyOf(wrong) })
        ]
        assert.deepStrictEqual(replies.map((reply) => reply.status), [200, 401, 400, 500, 413, 405])
        const key = Buffer.from(secret.slice("whsec_".length), "base64")
        const forbidden = [
          secret,
          secret.slice("whsec_".length),
          key.toString("hex"),
          expected.headers["webhook-signature"].slice("v1,".length),
          ...deliveries.map((delivery) => delivery.headers["webhook-signature"].slice("v1,".length))
        ]
        const shown = [...replies.map((reply) => reply.body), ...server.lines.map(textOf)]
        for (const text of shown) {
          for (const value of forbidden) assert.notInclude(text, value)
        }
      }))

    it.live("traces each delivery as an openai.webhook span with its id, outcome and event type", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, { handle: () => Effect.void, maxBodySize: 2048 })
        const processed = yield* signed("eval.run.succeeded")
        const rejected = yield* signed("eval.run.succeeded", otherSecret)
        const tooLarge = yield* signedPayload(paddedTo(4096))
        yield* server.post(processed)
        yield* server.post(rejected)
        yield* server.post(tooLarge)
        yield* server.send({ method: "GET" })
        const spans = server.spans.filter((span) => span.name === "openai.webhook")
        assert.deepStrictEqual(
          spans.map((span) => Object.fromEntries(span.attributes)),
          [
            {
              "openai.webhook.id": idOf(processed),
              "openai.webhook.outcome": "processed",
              "openai.webhook.event_type": "eval.run.succeeded"
            },
            {
              "openai.webhook.id": idOf(rejected),
              "openai.webhook.outcome": "rejected",
              "openai.webhook.event_type": ""
            },
            {
              "openai.webhook.id": idOf(tooLarge),
              "openai.webhook.outcome": "too_large",
              "openai.webhook.event_type": ""
            },
            {
              "openai.webhook.id": "none",
              "openai.webhook.outcome": "method_not_allowed",
              "openai.webhook.event_type": ""
            }
          ]
        )
        for (const span of spans) {
          assert.strictEqual(span.kind, "server")
          assert.strictEqual(span.status._tag, "Ended")
        }
      }))

    it.live("counts deliveries in openai_webhook_deliveries_total by outcome and event type", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, {
          handle: (event) => event._tag === "fine_tuning.job.failed" ? Effect.fail("no") : Effect.void
        })
        const series = [
          ["processed", "fine_tuning.job.succeeded"],
          ["failed", "fine_tuning.job.failed"],
          ["rejected", "none"],
          ["method_not_allowed", "none"]
        ] as const
        const byName = Effect.all(series.map(([outcome, eventType]) => counted(outcome, eventType)))
        // The same counts, read by reference from WebhookHttp.deliveries rather than by name from the registry.
        const byReference = Effect.map(WebhookHttp.deliveries.snapshot, (counts) =>
          series.map(([outcome, eventType]) =>
            counts.find((count) => count.outcome === outcome && count.eventType === eventType)?.count ?? 0
          ))
        const before = yield* byName
        const beforeByReference = yield* byReference
        yield* server.post(yield* signed("fine_tuning.job.succeeded"))
        yield* server.post(yield* signed("fine_tuning.job.succeeded"))
        yield* server.post(yield* signed("fine_tuning.job.failed"))
        yield* server.post(yield* signed("fine_tuning.job.failed", otherSecret))
        yield* server.send({ method: "GET" })
        const after = yield* byName
        assert.deepStrictEqual(after.map((n, i) => n - before[i]!), [2, 1, 1, 1])
        assert.deepStrictEqual(yield* byReference, after)
        assert.deepStrictEqual((yield* byReference).map((n, i) => n - beforeByReference[i]!), [2, 1, 1, 1])
        // The synchronous read sees the default registry: the one these deliveries were counted in.
        assert.deepStrictEqual(
          series.map(([outcome, eventType]) =>
            WebhookHttp.deliveries.unsafeSnapshot().find((count) =>
              count.outcome === outcome && count.eventType === eventType
            )?.count ?? 0
          ),
          after
        )
      }))
  })
}

describe("openai_webhook_deliveries_total", () => {
  /** The series the metric registry holds for the delivery counter. */
  const series = Effect.map(
    Metric.snapshot,
    (snapshots) => snapshots.filter((snapshot) => snapshot.id === "openai_webhook_deliveries_total")
  )

  it.live("counts every event type it does not know under event_type unknown: the series stay bounded", () =>
    Effect.gen(function*() {
      const observed = observe()
      const endpoint = yield* Effect.orDie(
        Effect.flatMap(nodeListener({ handle: () => Effect.void }, observed.layer), serveNode)
      )
      const count = 120
      const types = Array.from({ length: count }, (_, i) => `brand.new.${i}.${Math.random().toString(36).slice(2)}`)
      const before = yield* series
      const processedBefore = yield* counted("processed", "unknown")
      const invalidBefore = yield* counted("invalid", "unknown")
      const statuses = yield* Effect.forEach(types, (type, i) =>
        Effect.flatMap(
          // Every other one is authentic but not an event (no id): its type is on the wire all the same.
          signedPayload(JSON.stringify(i % 2 === 0 ? { id: `evt_${i}`, created_at: 1, type, data: {} } : { type })),
          (delivery) =>
            Effect.promise(() =>
              endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
                .then((response) => response.status)
            )
        ), { concurrency: 8 })
      assert.deepStrictEqual(statuses, types.map((_, i) => (i % 2 === 0 ? 200 : 400)))
      const after = yield* series
      const tagged = new Set(after.flatMap((snapshot) => Object.values(snapshot.attributes ?? {})))
      for (const type of types) assert.isFalse(tagged.has(type), `a series for ${type}`)
      assert.isAtMost(after.length - before.length, 2)
      assert.strictEqual((yield* counted("processed", "unknown")) - processedBefore, count / 2)
      assert.strictEqual((yield* counted("invalid", "unknown")) - invalidBefore, count / 2)
      // The log line still names the wire type: only the metric folds them together.
      assert.deepStrictEqual(observed.lines.map((line) => line.annotations["event_type"]).sort(), [...types].sort())
    }))

  it.live("counts in the MetricRegistry of the context a route runs in (Effect 4 keeps one per context)", () =>
    Effect.gen(function*() {
      const observed = observe()
      const registry: Metric.MetricRegistry = new Map()
      const own = Layer.merge(observed.layer, Layer.succeed(Metric.MetricRegistry, registry))
      const endpoint = yield* Effect.orDie(Effect.flatMap(nodeListener({ handle: () => Effect.void }, own), serveNode))
      const delivery = yield* signed("batch.cancelled")
      const response = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
      )
      assert.strictEqual(response.status, 200)
      const inOwn = yield* WebhookHttp.deliveries.snapshot.pipe(Effect.provideService(Metric.MetricRegistry, registry))
      assert.deepStrictEqual(
        inOwn.filter((count) => count.count > 0).map(({ count, eventType, outcome }) => [outcome, eventType, count]),
        [["processed", "batch.cancelled", 1]]
      )
    }))
})
